#include "fs/mount.h"

#include <unistd.h>

namespace lima::fs {

Mount::Mount(index::Catalog& catalog, const std::filesystem::path& library_root, const MountOptions& options)
    : catalog_(catalog),
      mountpoint_(options.mountpoint),
      threads_(options.threads),
      tree_(catalog, library_root, [this] { return stats_.text(); }),
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
  if (stopped_) return;
  stopped_ = true;
  catalog_.unsubscribe(subscription_);
  invalidator_.reset();  // nothing more is pushed to the kernel
  server_->exit();       // lazy unmount: the connection ends, the loop returns
  wait();
}

Mount::~Mount() { stop(); }

}  // namespace lima::fs
