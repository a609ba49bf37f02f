// Metadata backup through the API: export every tag, collection, note and
// main image as one JSON document; import one into this index.
#include "http/input.h"
#include "http/write.h"
#include "index/backup.h"

namespace lima::http {

using nlohmann::json;

namespace {

void export_metadata(Call& c) {
  index::ReadTxn t(c.ctx.catalog->env());
  c.res.set_header("Content-Disposition", "attachment; filename=\"limafs-metadata.json\"");
  reply(c.res, 200, index::export_metadata(*c.ctx.catalog, t));
}

void import_metadata(Call& c) {
  if (c.body.empty()) throw_invalid("the request body must be a metadata export (limafs export)");
  json doc = json::parse(c.body, nullptr, false);
  if (doc.is_discarded()) throw_invalid("the request body is not valid JSON");
  auto report = index::import_metadata(*c.ctx.catalog, doc);
  if (!report) throw to_api_error(report.error());
  settle(c);
  reply(c.res, 200, index::to_json(*report));
}

}  // namespace

void add_metadata_routes(std::vector<Route>& out) {
  out.insert(out.end(), {
      {"GET", "/api/v1/metadata/export", Body::none, export_metadata},
      {"POST", "/api/v1/metadata/import", Body::import, import_metadata},
  });
}

}  // namespace lima::http
