// The invalidator on a real index and node table, with a notifier that
// records what the kernel would be told: after a change, exactly the places
// the kernel knows and the change can have touched are pushed out.
#include "fs/invalidator.h"

#include <catch2/catch.hpp>

#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <string>
#include <utility>

#include "index/metadata.h"
#include "support/indexed_library.h"
#include "test_support.h"

using namespace lima::fs;
using lima::test::write_file;
namespace stdfs = std::filesystem;

namespace {

/// What the kernel is told, with nodes named by their path in the view.
class RecordingNotifier : public Notifier {
 public:
  void name(NodeId id, const std::string& path) {
    std::lock_guard lock(mu_);
    paths_[id] = path;
  }
  void inval_inode(NodeId id) override { record("inode " + path(id)); }
  void inval_entry(NodeId parent, std::string_view name) override {
    record("entry " + path(parent) + "/" + std::string(name));
  }
  void delete_entry(NodeId parent, NodeId child, std::string_view name) override {
    record("delete " + path(parent) + "/" + std::string(name) + " (" + path(child) + ")");
  }
  /// What was told since the last call.
  std::set<std::string> take() {
    std::lock_guard lock(mu_);
    return std::exchange(told_, {});
  }

 private:
  std::string path(NodeId id) {
    std::lock_guard lock(mu_);
    auto it = paths_.find(id);
    return it == paths_.end() ? "node " + std::to_string(id) : it->second;
  }
  void record(std::string what) {
    std::lock_guard lock(mu_);
    told_.insert(std::move(what));
  }
  std::mutex mu_;
  std::map<NodeId, std::string> paths_;
  std::set<std::string> told_;
};

/// A synced library, its view, and an invalidator fed by the index's commits.
struct View {
  lima::test::IndexedLibrary lib;
  std::unique_ptr<Tree> tree;
  std::unique_ptr<NodeTable> nodes;
  RecordingNotifier told;
  ReplyGate gate;
  std::unique_ptr<Invalidator> invalidator;
  int subscription = 0;

  View() {
    write_file(lib.root / "Benchy/3DBenchy.stl", "solid benchy\n");
    write_file(lib.root / "Benchy/images/cover.png", "png");
    write_file(lib.root / "Dragon/dragon.stl", "solid dragon\n");
    sync();
    tree = std::make_unique<Tree>(*lib.cat, lib.root, [] { return std::string(); });
    nodes = std::make_unique<NodeTable>(tree->root());
    told.name(kRootNode, "/");
    invalidator = std::make_unique<Invalidator>(*tree, *nodes, told, gate);
    subscription = lib.cat->subscribe([this](const lima::index::Changes& c) { invalidator->changed(c); });
  }
  ~View() { lib.cat->unsubscribe(subscription); }

  void sync() { REQUIRE(lib.sync_with({}).status == lima::index::RunStatus::ok); }

  /// Looks `path` up one name at a time, as the kernel does: from then on
  /// the kernel knows each node on the way. Returns the last one.
  NodeId known(const std::string& path) {
    NodeId id = kRootNode;
    Place place = tree->root().place;
    std::string so_far;
    std::istringstream names(path);
    for (std::string name; std::getline(names, name, '/');) {
      lima::index::ReadTxn t(lib.cat->env());
      auto e = tree->lookup(t, place, name);
      INFO(path);
      REQUIRE(e);
      auto ref = nodes->remember(id, *e);
      REQUIRE(ref);
      so_far += (so_far.empty() ? "" : "/") + name;
      told.name(ref->id, so_far);
      id = ref->id;
      place = e->place;
    }
    return id;
  }
  /// Looks `path` up and lists it, as opendir does (the listing is kept).
  void listed(const std::string& path) {
    const NodeId id = known(path);
    const auto node = nodes->get(id);
    REQUIRE(node);
    lima::index::ReadTxn t(lib.cat->env());
    nodes->keep_listing(id, std::make_shared<const Listing>(tree->list(t, node->entry.place)), node->generation);
  }
  /// What the kernel was told about the changes so far.
  std::set<std::string> pushed() {
    invalidator->flush();
    return told.take();
  }
};

using Told = std::set<std::string>;

}  // namespace

TEST_CASE("a removed file: its name is deleted, its project and projects/ are told, nothing else", "[invalidator]") {
  View v;
  v.known("projects/Benchy/3DBenchy.stl");
  v.known("projects/Benchy/images/cover.png");
  v.known("projects/Dragon/dragon.stl");
  stdfs::remove(v.lib.root / "Benchy/3DBenchy.stl");
  v.sync();
  CHECK(v.pushed() == Told{"delete projects/Benchy/3DBenchy.stl (projects/Benchy/3DBenchy.stl)", "inode projects",
                           "inode projects/Benchy", "inode projects/Benchy/images"});
  v.sync();  // nothing changed
  CHECK(v.pushed() == Told{});
}

TEST_CASE("a renamed project folder: projects/ is told and the old name deleted", "[invalidator]") {
  View v;
  v.listed("projects");
  v.known("projects/Benchy/3DBenchy.stl");
  v.known("projects/Dragon");
  stdfs::rename(v.lib.root / "Benchy", v.lib.root / "Boat");
  v.sync();
  // The folder's names the kernel holds go first (it deletes a folder only
  // when none of them is in use); its link now points elsewhere.
  CHECK(v.pushed() == Told{"delete projects/Benchy (projects/Benchy)", "entry projects/Benchy/3DBenchy.stl",
                           "inode projects", "inode projects/Benchy", "inode projects/Benchy/3DBenchy.stl"});
}

TEST_CASE("a new tag on a project: tags/ is told, the project's folders are not", "[invalidator]") {
  View v;
  v.listed("tags");
  v.listed("projects");
  v.known("projects/Benchy/3DBenchy.stl");
  const auto benchy = v.lib.project_id_of("Benchy");
  REQUIRE(benchy);
  lima::index::Metadata meta(*v.lib.cat);
  v.lib.cat->write([&](lima::index::WriteTxn& t) { REQUIRE(meta.tag_project(t, *benchy, "pla")); });
  CHECK(v.pushed() == Told{"inode tags"});
}

TEST_CASE("a file added to a project the kernel never looked into: only projects/ is told", "[invalidator]") {
  View v;
  v.known("projects/Benchy/3DBenchy.stl");
  write_file(v.lib.root / "Dragon/wing.stl", "solid wing\n");
  v.sync();
  CHECK(v.pushed() == Told{"inode projects"});
}
