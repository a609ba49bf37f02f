#include "thumbs/xml_scanner.h"

#include <algorithm>

#include "thumbs/model_text.h"

namespace lima::thumbs {
namespace {

std::string_view local_name(std::string_view name) {
  const std::size_t colon = name.rfind(':');
  return colon == std::string_view::npos ? name : name.substr(colon + 1);
}

bool name_char(char c) { return !is_space(c) && c != '/' && c != '>' && c != '=' && c != '"' && c != '\''; }

}  // namespace

bool next_xml_attribute(std::string_view& rest, std::string_view& name, std::string_view& value) {
  std::size_t i = 0;
  while (i < rest.size() && (is_space(rest[i]) || rest[i] == '/')) ++i;
  std::size_t j = i;
  while (j < rest.size() && name_char(rest[j])) ++j;
  if (j == i) return false;
  name = local_name(rest.substr(i, j - i));
  while (j < rest.size() && is_space(rest[j])) ++j;
  if (j >= rest.size() || rest[j] != '=') return false;
  ++j;
  while (j < rest.size() && is_space(rest[j])) ++j;
  if (j >= rest.size() || (rest[j] != '"' && rest[j] != '\'')) return false;
  const char quote = rest[j];
  const std::size_t end = rest.find(quote, j + 1);
  if (end == std::string_view::npos) return false;
  value = rest.substr(j + 1, end - j - 1);
  rest.remove_prefix(end + 1);
  return true;
}

bool XmlScanner::skip_past(std::string_view end, const char* what) {
  const std::size_t at = xml_.find(end, pos_);
  if (at == std::string_view::npos) {
    error_ = std::string("the XML ends inside a ") + what;
    pos_ = xml_.size();
    return false;
  }
  pos_ = at + end.size();
  return true;
}

bool XmlScanner::next(XmlTag& tag) {
  for (;;) {
    const std::size_t open = xml_.find('<', pos_);
    if (open == std::string_view::npos) {
      pos_ = xml_.size();
      return false;
    }
    pos_ = open;
    const std::string_view at = xml_.substr(open);
    if (at.substr(0, 4) == "<!--") {
      if (!skip_past("-->", "comment")) return false;
      continue;
    }
    if (at.substr(0, 9) == "<![CDATA[") {
      if (!skip_past("]]>", "CDATA section")) return false;
      continue;
    }
    if (at.substr(0, 2) == "<?") {
      if (!skip_past("?>", "processing instruction")) return false;
      continue;
    }
    if (at.substr(0, 2) == "<!") {
      if (!skip_past(">", "declaration")) return false;
      continue;
    }
    // A tag: the name, then attributes up to a '>' outside quotes.
    std::size_t i = open + 1;
    tag = XmlTag{};
    tag.offset = open;
    if (i < xml_.size() && xml_[i] == '/') {
      tag.closing = true;
      ++i;
    }
    const std::size_t name_start = i;
    while (i < xml_.size() && name_char(xml_[i])) ++i;
    tag.name = local_name(xml_.substr(name_start, i - name_start));
    const std::size_t attributes_start = i;
    char quote = 0;
    while (i < xml_.size() && (quote != 0 || xml_[i] != '>')) {
      if (quote != 0) {
        if (xml_[i] == quote) quote = 0;
      } else if (xml_[i] == '"' || xml_[i] == '\'') {
        quote = xml_[i];
      }
      ++i;
    }
    if (i >= xml_.size()) {
      error_ = "the XML ends inside a tag";
      pos_ = xml_.size();
      return false;
    }
    tag.self_closing = i > attributes_start && xml_[i - 1] == '/';
    tag.attributes = xml_.substr(attributes_start, i - attributes_start);
    pos_ = i + 1;
    return true;
  }
}

std::uint64_t XmlScanner::line_of(std::size_t offset) const {
  const std::string_view before = xml_.substr(0, std::min(offset, xml_.size()));
  return 1 + static_cast<std::uint64_t>(std::count(before.begin(), before.end(), '\n'));
}

}  // namespace lima::thumbs
