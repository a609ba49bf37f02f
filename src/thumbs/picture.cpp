#include "thumbs/picture.h"

namespace lima::thumbs {

std::string_view mime_type(Format f) {
  switch (f) {
    case Format::webp: return "image/webp";
    case Format::png: return "image/png";
  }
  return "application/octet-stream";
}

std::string_view to_string(FailureKind k) {
  switch (k) {
    case FailureKind::undecodable_image: return "undecodable_image";
    case FailureKind::unparsable_model: return "unparsable_model";
    case FailureKind::over_cap: return "picture_over_cap";
    case FailureKind::no_picture: return "no_picture";
  }
  return "unknown";
}

}  // namespace lima::thumbs
