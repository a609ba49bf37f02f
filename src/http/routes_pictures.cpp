// Pictures: an asset's thumbnail and a project's cover (DESIGN §7). A
// picture is made by the daemon's worker; until it is, the answer is 202
// with Retry-After and the request has moved the file to the front of the
// worker's queue.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "http/api_error.h"
#include "http/input.h"
#include "http/pictures.h"
#include "http/query_params.h"
#include "http/routes.h"
#include "index/unique_fd.h"

namespace lima::http {

using nlohmann::json;

namespace {

int picture_size(const httplib::Request& req) {
  auto text = single_param(req, "size");
  if (!text) return thumbs::kDefaultSize;
  for (int s : thumbs::kSizes)
    if (*text == std::to_string(s)) return s;
  throw_invalid("size must be 256 or 512, not '" + *text + "'");
}

thumbs::PictureWorker& worker(Call& c) {
  if (!c.ctx.pictures) throw ApiError(503, code::unavailable, "pictures are not made by this server");
  return *c.ctx.pictures;
}

std::string read_small_file(const std::filesystem::path& p) {
  index::UniqueFd fd(::open(p.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.fd < 0) throw ApiError(500, code::internal, "cannot read the picture " + p.string() + ": " + std::strerror(errno));
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = ::read(fd.fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw ApiError(500, code::internal, "cannot read the picture " + p.string() + ": " + std::strerror(errno));
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  return out;
}

// Answers with asset a's picture at `size`: 200 (or 304), 202 while it is
// being made, 404 when its kind has none, 422 when its file has none.
void answer_picture(Call& c, const index::Asset& a, const thumbs::PictureJob& job) {
  auto answer = worker(c).request(job);
  const auto what = "asset " + std::to_string(a.id) + " (" + a.path + ")";
  switch (answer.status) {
    case thumbs::PictureWorker::Status::pending: {
      c.res.set_header("Retry-After", "1");
      const auto s = worker(c).stats();
      reply(c.res, 202,
            {{"status", "pending"}, {"asset", a.id}, {"size", job.size}, {"queued", s.queued},
             {"message", "the picture of " + what + " is being made; ask again in a second"}});
      return;
    }
    case thumbs::PictureWorker::Status::failed:
      if (answer.failure.kind == thumbs::FailureKind::no_picture)
        throw ApiError(404, code::no_picture, what + " has no picture: " + answer.failure.reason);
      throw ApiError(422, thumbs::to_string(answer.failure.kind), what + ": " + answer.failure.reason);
    case thumbs::PictureWorker::Status::ready: break;
  }
  const std::string etag = "\"xxh3:" + job.hash + "-" + std::to_string(job.size) + "-v" +
                           std::to_string(thumbs::kPictureVersion) + "\"";
  c.res.set_header("ETag", etag);
  // A URL that names the content (?v=HASH) never changes what it shows.
  const auto v = single_param(c.req, "v");
  const bool versioned = v && !v->empty() && job.hash.starts_with(*v) && v->size() >= 16;
  c.res.set_header("Cache-Control", versioned ? "public, max-age=31536000, immutable" : "public, max-age=86400");
  c.res.set_header("Content-Location", "/api/v1/assets/" + std::to_string(a.id) + "/thumbnail?size=" +
                                           std::to_string(job.size) + "&v=" + job.hash);
  const auto inm = c.req.get_header_value("If-None-Match");
  if (!inm.empty() && (inm == "*" || inm.find(etag) != std::string::npos)) {
    c.res.status = 304;
    return;
  }
  c.res.status = 200;
  c.res.set_content(read_small_file(answer.file), std::string(thumbs::mime_type(thumbs::Format::webp)));
}

void get_thumbnail(Call& c) {
  refuse_repeats(c.req, {"size", "v"});
  const int size = picture_size(c.req);
  index::ReadTxn t(c.ctx.catalog->env());
  const auto id = parse_id(c.params[0], "asset");
  auto a = c.ctx.catalog->asset(t, id);
  if (!a || a->state != index::ItemState::live) throw_not_found("no asset with id " + std::to_string(id));
  auto job = picture_job(*c.ctx.catalog, t, *a, c.ctx.library, size);
  if (!job)
    throw ApiError(404, code::no_picture,
                   "asset " + std::to_string(a->id) + " (" + a->path + ") is a " +
                       std::string(index::to_string(a->kind)) + " file of a kind that has no picture");
  answer_picture(c, *a, *job);
}

void get_cover(Call& c) {
  refuse_repeats(c.req, {"size", "v"});
  const int size = picture_size(c.req);
  auto& w = worker(c);
  index::ReadTxn t(c.ctx.catalog->env());
  const auto id = parse_id(c.params[0], "project");
  auto p = c.ctx.catalog->project(t, id);
  if (!p || p->state != index::ItemState::live) throw_not_found("no project with id " + std::to_string(id));
  index::Metadata meta(*c.ctx.catalog);
  auto cover = project_cover(*c.ctx.catalog, meta, t, id, &w.store());
  std::optional<thumbs::PictureJob> job;
  if (cover) job = picture_job(*c.ctx.catalog, t, *cover, c.ctx.library, size);
  if (!job) throw ApiError(404, code::no_picture, "project " + p->name + " has no image and no model with a picture");
  answer_picture(c, *cover, *job);
}

}  // namespace

void add_picture_routes(std::vector<Route>& out) {
  out.push_back({"GET", "/api/v1/assets/{id}/thumbnail", Body::none, get_thumbnail});
  out.push_back({"GET", "/api/v1/projects/{id}/cover", Body::none, get_cover});
}

}  // namespace lima::http
