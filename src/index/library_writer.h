// The only writes to the library (DESIGN §2, guarantee 1): creating a
// project folder at the top of the library, and uploading a file into a
// project. An upload is received into a file without a name (O_TMPFILE; a
// named ".limafs-upload-…" file where the filesystem lacks it) in the
// deepest folder that exists already, flushed, and only then linked into
// place, creating the folders it needs; it never overwrites unless asked.
// A refused, failed or abandoned upload leaves the library as it was,
// folder times included. Every path is opened one component at a time
// without following symlinks, so nothing a client sends reaches outside
// the library.
//
// Errors are values: invalid_argument for a path or name that may not be
// written, conflict for a name taken (or a project folder gone),
// library_offline when the library cannot be opened, io for anything the
// filesystem refuses; each message names the path and says what is wrong.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "index/error.h"

namespace lima::index {

/// A path inside a project as a client gives it: relative, at most 4000
/// bytes, every component non-empty, not "." or "..", without NUL, at most
/// 255 bytes and not a name the index ignores (dot-files, partial
/// downloads, …).
class ProjectPath {
 public:
  /// The checked path; the message starts with `what` ("path").
  static Result<ProjectPath> parse(std::string_view path, std::string_view what = "path");
  const std::string& text() const { return text_; }
  /// Its components, the file name last.
  const std::vector<std::string>& parts() const { return parts_; }
  /// The folder it is in, relative to the project ("" at the top).
  std::string folder() const;

 private:
  std::string text_;
  std::vector<std::string> parts_;
};

class LibraryWriter {
 public:
  explicit LibraryWriter(std::filesystem::path library_root) : root_(std::move(library_root)) {}
  const std::filesystem::path& library_root() const { return root_; }

  /// Creates the folder of a new project at the top of the library; `name`
  /// must follow kFolderNameRule (names.h). conflict when the name exists.
  Result<void> create_project_folder(std::string_view name) const;

  class Upload;
  /// Checks where a file would go: the project's folder `project_folder`
  /// exists and is a folder (conflict when it is gone), the folders of
  /// `path` that exist are folders, not symlinks, and the file is not there
  /// already (unless `overwrite`; a symlink or a folder is never replaced).
  /// Nothing is written yet.
  Result<Upload> prepare_upload(std::string_view project_folder, const ProjectPath& path, bool overwrite) const;

 private:
  std::filesystem::path root_;
};

/// A file on its way into the library. open(), write() as often as needed,
/// then commit(); dropped without a successful commit() (or after any
/// failure of commit()), it removes what it made: the temporary file and
/// any folder it created.
class LibraryWriter::Upload {
 public:
  Upload(Upload&&) noexcept;
  Upload& operator=(Upload&&) noexcept;
  ~Upload();

  /// Creates the file the content is received into.
  Result<void> open();
  /// Appends n bytes.
  Result<void> write(const char* data, std::size_t n);
  /// Flushes the file, creates the missing folders and links the file into
  /// place (replacing the existing file atomically when overwriting).
  /// conflict when the name was taken meanwhile.
  Result<void> commit();

 private:
  friend class LibraryWriter;
  struct State;
  explicit Upload(std::unique_ptr<State> s);
  std::unique_ptr<State> s_;
};

}  // namespace lima::index
