#include "fs/mount.h"

#include "fs/mount_table.h"

#include <unistd.h>

#include <chrono>
#include <fstream>

#include "index/log.h"

namespace lima::fs {

Mount::Mount(index::Catalog& catalog, const std::filesystem::path& library_root, const MountOptions& options)
    : catalog_(catalog),
      mountpoint_(options.mountpoint),
      threads_(options.threads),
      tree_(catalog, library_root, [this] { return stats_.text(); }, options.api_url, options.status_text),
      nodes_(tree_.root()),
      ctx_{tree_, nodes_, gate_, stats_, options.cache_seconds, ::getuid(), ::getgid()} {}

index::Result<std::unique_ptr<Mount>> Mount::start(index::Catalog& catalog, const std::filesystem::path& library_root,
                                                  const MountOptions& options) {
  std::unique_ptr<Mount> m(new Mount(catalog, library_root, options));
  auto server = FuseServer::mount(m->ctx_, options);
  if (!server) return tl::unexpected(server.error());
  m->server_ = std::move(*server);
  m->invalidator_ = std::make_unique<Invalidator>(m->tree_, m->nodes_, *m->server_, m->gate_);
  Invalidator* inv = m->invalidator_.get();
  m->subscription_ = catalog.subscribe([inv](const index::Changes& c) { inv->changed(c); });
  Mount* self = m.get();
  m->serving_ = std::thread([self] {
    self->server_->serve(self->threads_);
    self->finished_.store(true);
  });
  return m;
}

void Mount::wait() {
  if (serving_.joinable()) serving_.join();
}

void Mount::stop() {
  if (stopped_ || !server_) return;
  stopped_ = true;
  catalog_.unsubscribe(subscription_);
  invalidator_.reset();  // nothing more is pushed to the kernel
  const auto device = mounted_at(mountpoint_);  // names the FUSE connection
  server_->exit();       // lazy unmount: the connection ends, the loop returns
  // ...unless a process still uses the mount (a shell's working directory):
  // then the connection lives on. Abort it, where the kernel lets us.
  const auto waited = [&](std::chrono::milliseconds limit) {
    const auto until = std::chrono::steady_clock::now() + limit;
    while (!finished_.load() && std::chrono::steady_clock::now() < until)
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return finished_.load();
  };
  if (!waited(std::chrono::seconds(2)) && device && device->major == 0) {
    std::ofstream abort("/sys/fs/fuse/connections/" + std::to_string(device->minor) + "/abort");
    if (abort) abort << "1" << std::flush;
  }
  if (!waited(std::chrono::seconds(2))) {
    // Still served: leave the session to the process's end rather than
    // free what its threads use.
    log::warning(mountpoint_.string() + " is still in use; it ends with this process");
    serving_.detach();
    (void)server_.release();
    abandoned_ = true;
    return;
  }
  wait();
}

Mount::~Mount() {
  if (server_) stop();
}

}  // namespace lima::fs
