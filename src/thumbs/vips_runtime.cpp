#include "thumbs/vips_runtime.h"

#include <algorithm>
#include <atomic>

#include <vips/vips8>

namespace lima::thumbs {
namespace {

// Each file is read once, so a kept operation only costs memory and open
// files, and could answer for a file since replaced at the same path.
constexpr int kCachedOperations = 0;
constexpr std::size_t kCachedBytes = 0;
constexpr int kCachedFiles = 0;

std::atomic<bool> g_started{false};

// libvips' warnings (a truncated file, a bad chunk) become failures' reasons
// or are harmless; they do not go to the daemon's standard error.
void drop_vips_warning(const gchar*, GLogLevelFlags, const gchar*, gpointer) {}

tl::expected<void, std::string> start_once() {
  if (VIPS_INIT("limafs") != 0) {
    std::string reason = vips_error_buffer();
    vips_error_clear();
    if (reason.empty()) reason = "libvips did not start";
    return tl::unexpected(std::move(reason));
  }
  vips_block_untrusted_set(TRUE);
  // libvips' own text matrix format is trusted, but no picture: a text
  // file that starts with two numbers is not an image.
  vips_operation_block_set("VipsForeignLoadMatrix", TRUE);
  vips_cache_set_max(kCachedOperations);
  vips_cache_set_max_mem(kCachedBytes);
  vips_cache_set_max_files(kCachedFiles);
  vips_concurrency_set(1);
  g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, drop_vips_warning, nullptr);
  g_started = true;
  return {};
}

void* add_loader(GType type, void* names_arg) {
  if (G_TYPE_IS_ABSTRACT(type)) return nullptr;
  auto* klass = static_cast<VipsOperationClass*>(g_type_class_ref(type));
  if (!(klass->flags & VIPS_OPERATION_BLOCKED)) {
    auto* names = static_cast<std::vector<std::string>*>(names_arg);
    names->emplace_back(VIPS_OBJECT_CLASS(klass)->nickname);
  }
  g_type_class_unref(klass);
  return nullptr;
}

}  // namespace

tl::expected<void, std::string> start_vips() {
  static const tl::expected<void, std::string> started = start_once();
  return started;
}

void end_vips_thread() {
  if (g_started) vips_thread_shutdown();
}

std::vector<std::string> image_loaders() {
  std::vector<std::string> names;
  if (!start_vips()) return names;
  vips_type_map_all(g_type_from_name("VipsForeignLoad"), add_loader, &names);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace lima::thumbs
