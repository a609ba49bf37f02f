// A tolerant scanner of XML tags, enough to read the model part of a 3MF
// package without an XML library: it gives each start, end or empty-element
// tag in order with its local name (any namespace prefix dropped) and its
// attributes, and skips text, comments, CDATA, processing instructions and
// declarations. It does not check that the document is well formed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace lima::thumbs {

/// One tag: <name a="1">, </name> or <name a="1"/>.
struct XmlTag {
  std::string_view name;        ///< the local name: "vertex" for <m:vertex>
  bool closing = false;         ///< </name>
  bool self_closing = false;    ///< <name/>
  std::string_view attributes;  ///< the raw text between the name and the end
  std::size_t offset = 0;       ///< where the tag starts in the document
};

/// The next attribute of `rest` (a tag's attributes): its local name and its
/// value without quotes (entities are not expanded). False when none is
/// left (or the rest is malformed).
bool next_xml_attribute(std::string_view& rest, std::string_view& name, std::string_view& value);

class XmlScanner {
 public:
  explicit XmlScanner(std::string_view xml) : xml_(xml) {}

  /// The next tag; false at the end of the document, or when it ends inside
  /// a tag or comment (then error() says so).
  bool next(XmlTag& tag);
  const std::string& error() const { return error_; }

  /// The 1-based line of an offset in the document (for reasons).
  std::uint64_t line_of(std::size_t offset) const;

 private:
  bool skip_past(std::string_view end, const char* what);

  std::string_view xml_;
  std::size_t pos_ = 0;
  std::string error_;
};

}  // namespace lima::thumbs
