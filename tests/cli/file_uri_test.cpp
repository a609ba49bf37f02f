#include <catch2/catch.hpp>

#include "cli/file_uri.h"

using namespace lima::cli;

TEST_CASE("a file URI from a file manager gives the local path, escapes decoded") {
  CHECK(path_of_file_uri("file:///home/me/Models/Benchy/3DBenchy.stl") == "/home/me/Models/Benchy/3DBenchy.stl");
  CHECK(path_of_file_uri("file:///mnt/models/tags/boat/Benchy%20-%203DBenchy.stl") ==
        "/mnt/models/tags/boat/Benchy - 3DBenchy.stl");
  CHECK(path_of_file_uri("file://localhost/a/%23%25%3f.3mf") == "/a/#%?.3mf");
  CHECK(path_of_file_uri("FILE:///a/b.obj") == "/a/b.obj");
  CHECK(path_of_file_uri("file:///caf%C3%A9.stl") == "/caf\xC3\xA9.stl");
  // A fragment or query is not part of the name.
  CHECK(path_of_file_uri("file:///a/b.stl#frag") == "/a/b.stl");
}

TEST_CASE("URIs that name no local file are refused with a reason") {
  CHECK(path_of_file_uri("smb://nas/share/a.stl").error() == "only local files (file://) are read, not smb://...");
  CHECK(path_of_file_uri("file://nas/share/a.stl").error() == "a file on another host (nas) is not read");
  CHECK(path_of_file_uri("file:///a%2").error() == "a bad escape in the file URI: %2");
  CHECK(path_of_file_uri("file:///a%zz.stl").error() == "a bad escape in the file URI: %zz");
  CHECK(path_of_file_uri("file:///a%00.stl").error() == "a file URI with a NUL byte (%00)");
  CHECK(path_of_file_uri("file:a.stl").error() == "a file URI with a relative path");
}

TEST_CASE("paths are told from URIs") {
  CHECK(looks_like_uri("file:///a.stl"));
  CHECK(looks_like_uri("sftp://host/a.stl"));
  CHECK_FALSE(looks_like_uri("/home/me/a.stl"));
  CHECK_FALSE(looks_like_uri("part.stl"));
  CHECK_FALSE(looks_like_uri("Benchy: the boat.stl"));
  CHECK_FALSE(looks_like_uri("./x:y.stl"));
}
