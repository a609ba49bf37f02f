// `limafs thumbnail INPUT OUTPUT [--size N]`: one file's picture as a PNG,
// the freedesktop thumbnailer contract (dist/limafs.thumbnailer runs it for
// file managers). A file a running daemon serves gets the daemon's stored
// picture, scaled; any other file (or when the daemon has none yet, or
// inside a file manager's sandbox where no daemon is visible) is pictured
// here, with no daemon and no network.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cli/args.h"
#include "cli/cli.h"
#include "cli/daemon_picture.h"
#include "cli/file_uri.h"
#include "index/names.h"
#include "thumbs/image_thumbnail.h"
#include "thumbs/make_picture.h"

namespace lima::cli {

namespace {

namespace stdfs = std::filesystem;

constexpr const char* kHelp = R"(usage: limafs thumbnail INPUT OUTPUT [options]

Write a PNG picture of INPUT to OUTPUT, its long edge N pixels: an image
is scaled, a 3MF, G-code, bgcode or FreeCAD file's own picture is used
when it carries one, an STL, OBJ or 3MF mesh is rendered. INPUT is a path
or a file:// URI. This is the desktop thumbnailer (limafs.thumbnailer):
no daemon is needed. When a running limafs serves INPUT (INPUT lies in its
library or its mount), its stored picture is used instead.

OUTPUT is written whole or not at all: on failure it is left as it was
and the reason is printed on one line.

Options:
  -s, --size N    the long edge in pixels, 1 to 2048 (default 256)
  -v, --verbose   say where the picture came from
  -h, --help      show this help

Exit status: 0 the picture was written, 1 INPUT has no picture (or it
could not be written), 2 bad command line.
)";

constexpr int kMaxSize = 2048;

struct Failed {
  std::string reason;
};

std::optional<int> parse_size(const std::string& s) {
  if (s.empty() || s.size() > 4 || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  const int n = std::stoi(s);
  if (n < 1 || n > kMaxSize) return std::nullopt;
  return n;
}

// Writes `bytes` to `target` through a temporary file beside it, renamed
// over it once complete: a reader never sees half a picture.
tl::expected<void, std::string> write_whole(const stdfs::path& target, const std::string& bytes) {
  std::string temp = target.string() + ".XXXXXX";
  const int fd = ::mkstemp(temp.data());
  if (fd < 0) return tl::unexpected("cannot write " + target.string() + ": " + std::strerror(errno));
  std::size_t done = 0;
  int err = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      err = n < 0 ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(n);
  }
  if (::close(fd) != 0 && err == 0) err = errno;
  if (err == 0 && ::rename(temp.c_str(), target.c_str()) != 0) err = errno;
  if (err != 0) {
    ::unlink(temp.c_str());
    return tl::unexpected("cannot write " + target.string() + ": " + std::strerror(err));
  }
  return {};
}

// The bytes of a stored picture, or nullopt when it cannot be read or is
// larger than a picture may be.
std::optional<std::string> read_stored(const stdfs::path& file, std::uint64_t max_bytes) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::string bytes;
  char chunk[1 << 16];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
    bytes.append(chunk, static_cast<std::size_t>(in.gcount()));
    if (bytes.size() > max_bytes) return std::nullopt;
  }
  return bytes;
}

// The picture of `real` made from the stored picture of the daemon serving
// it, or nullopt (and why, in `note`) when there is none to use.
std::optional<thumbs::Picture> from_daemon(const stdfs::path& real, int size, const thumbs::Limits& limits,
                                           std::string& note) {
  const auto daemons = running_daemons(/*tidy=*/false);
  const auto found = find_daemon_picture(real, size, daemons);
  if (!found.daemon) {
    note = "no running daemon serves it: made here";
    return std::nullopt;
  }
  const std::string serving = "the daemon serving " + index::printable(found.daemon->library);
  if (found.file.empty()) {
    note = serving + ": " + found.why_none + ": made here";
    return std::nullopt;
  }
  const auto bytes = read_stored(found.file, limits.max_image_bytes);
  if (!bytes) {
    note = serving + ": cannot read " + found.file.string() + ": made here";
    return std::nullopt;
  }
  auto picture =
      thumbs::thumbnail_buffer(*bytes, size, thumbs::Format::png, limits, thumbs::Clock::now() + limits.max_time);
  if (!picture) {
    note = serving + ": its picture " + found.file.string() + " does not decode (" + picture.error().reason +
           "): made here";
    return std::nullopt;
  }
  note = "the picture of " + serving + " (" + found.file.string() + ")";
  return std::move(*picture);
}

// The path to hand to make_picture, which goes by the file's name: the name
// as given when it is one a picture can be made of, else the name of the
// file a symlink leads to ("part.stl" -> a content-addressed blob, or the
// other way round).
stdfs::path name_to_picture(const stdfs::path& given, const stdfs::path& real) {
  return thumbs::may_have_picture(given.filename().string()) ? given : real;
}

int thumbnail(const std::string& input_arg, const stdfs::path& output, int size, bool verbose) {
  std::string input = input_arg;
  if (looks_like_uri(input_arg)) {
    auto path = path_of_file_uri(input_arg);
    if (!path) throw Failed{index::printable(input_arg) + ": " + path.error()};
    input = *path;
  }
  const std::string shown = index::printable(input);
  auto fail = [&](const std::string& reason) { return Failed{shown + ": " + reason}; };

  struct stat st {};
  if (::stat(input.c_str(), &st) != 0) throw fail(std::string("cannot read it: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) throw fail("not a regular file");
  std::error_code ec;
  const stdfs::path real = stdfs::canonical(input, ec);
  if (ec) throw fail("cannot read it: " + ec.message());

  const thumbs::Limits limits;
  std::string note;
  auto picture = from_daemon(real, size, limits, note);
  if (!picture) {
    auto made = thumbs::make_picture(name_to_picture(input, real), size, thumbs::Format::png, limits);
    if (!made) throw fail(made.error().reason);
    picture = std::move(*made);
  }
  if (auto written = write_whole(output, picture->bytes); !written) throw Failed{written.error()};
  if (verbose)
    std::fprintf(stderr, "limafs thumbnail: %s: %dx%d, %s\n", shown.c_str(), picture->width, picture->height,
                 note.c_str());
  return kOk;
}

}  // namespace

int cmd_thumbnail(const std::vector<std::string>& argv) {
  std::string err;
  auto args = parse_args(argv, {{"size", true, false, 's'}, {"verbose", false, false, 'v'}, {"help"}},
                         err);
  if (!args) return complain(kUsage, "thumbnail: " + err + " (try 'limafs thumbnail --help')");
  if (args->has("help")) {
    std::fputs(kHelp, stdout);
    return kOk;
  }
  if (args->positional.size() != 2) return complain(kUsage, "thumbnail: usage: limafs thumbnail INPUT OUTPUT [--size N]");
  int size = thumbs::kDefaultSize;
  if (auto s = args->value("size")) {
    auto n = parse_size(*s);
    if (!n) return complain(kUsage, "thumbnail: --size takes a number of pixels from 1 to 2048, not '" + *s + "'");
    size = *n;
  }
  try {
    return thumbnail(args->positional[0], args->positional[1], size, args->has("verbose"));
  } catch (const Failed& f) {
    std::fprintf(stderr, "limafs thumbnail: %s\n", f.reason.c_str());
    return kError;
  } catch (const std::exception& e) {  // out of memory, a filesystem error
    std::fprintf(stderr, "limafs thumbnail: %s: %s\n", index::printable(args->positional[0]).c_str(), e.what());
    return kError;
  }
}

}  // namespace lima::cli
