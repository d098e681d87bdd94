// Routes of uploaded photos (issue 14, decision 020): a merchant's upload, a buyer's (review
// photos, issue 15), and the public files the apps show.
//
// An upload is decoded on the media pool (`AppContext::media_pool`), never on an I/O thread:
// the pool's queue is small and a full one is answered 503 UPLOADS_BUSY at once; the server
// also holds at most limits::kMaxUploadsInFlight upload bodies (http/server.cc). The bytes are
// staged where the media store keeps them before the command that records them runs, so the
// single writer never writes megabytes to a disk.
//
// GET /media/{name} is anonymous: the name is checked before any lookup, nothing is cached
// in this process (the page cache and the browsers' caches do that: a year, immutable, with an
// ETag, since a name's bytes never change), and the bytes being written out to clients are
// bounded in total (limits::kMaxMediaBytesServing; 503 beyond), so no number of slow readers
// grows the server's memory past that.
#include <atomic>

#include "base/limits.h"
#include "base/messages.h"
#include "http/api.h"
#include "media/media.h"

namespace xd::http {

using account::Perm;

namespace {

// Bytes held by /media answers not yet written out, in this process.
std::atomic<int64_t> g_serving_bytes{0};

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// The value of `name=` in a header's parameters (quotes removed); empty when absent.
std::string HeaderParam(std::string_view header, std::string_view name) {
  std::string lower = Lower(header);
  std::string key = std::string(name) + "=";
  size_t at = 0;
  while ((at = lower.find(key, at)) != std::string::npos) {
    if (at == 0 || lower[at - 1] == ';' || lower[at - 1] == ' ') break;
    at += key.size();
  }
  if (at == std::string::npos) return "";
  std::string_view v = header.substr(at + key.size());
  if (!v.empty() && v.front() == '"') {
    size_t end = v.find('"', 1);
    return end == std::string_view::npos ? "" : std::string(v.substr(1, end - 1));
  }
  size_t end = v.find_first_of("; ");
  return std::string(v.substr(0, end));
}

// The uploaded file: the `file` part (or the first part with a filename) of a
// multipart/form-data body, else the body itself (Content-Type image/... or
// application/octet-stream). A view into `req.body`.
Result<std::string_view> UploadedBytes(const Request& req) {
  std::string_view type = req.Header("content-type");
  std::string_view body = req.body;
  if (Lower(type.substr(0, 19)) != "multipart/form-data") {
    if (body.empty()) return Fail(Msg::MEDIA_FILE_MISSING);
    return body;
  }
  std::string boundary = HeaderParam(type, "boundary");
  if (boundary.empty() || boundary.size() > 70) return Fail(Msg::MULTIPART_MALFORMED);
  const std::string delim = "--" + boundary;
  const std::string next_delim = "\r\n" + delim;
  size_t pos = body.find(delim);
  if (pos == std::string_view::npos) return Fail(Msg::MULTIPART_MALFORMED);
  for (int parts = 0; parts < 16; ++parts) {
    pos += delim.size();
    if (body.substr(pos, 2) == "--") break;  // the closing delimiter: no file part
    if (body.substr(pos, 2) != "\r\n") return Fail(Msg::MULTIPART_MALFORMED);
    pos += 2;
    size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos) return Fail(Msg::MULTIPART_MALFORMED);
    std::string headers = Lower(body.substr(pos, headers_end - pos));
    size_t start = headers_end + 4;
    size_t end = body.find(next_delim, start);
    if (end == std::string_view::npos) return Fail(Msg::MULTIPART_MALFORMED);
    bool is_file = headers.find("name=\"file\"") != std::string::npos || headers.find("filename=") != std::string::npos;
    if (is_file) {
      if (end == start) return Fail(Msg::MEDIA_FILE_MISSING);
      return body.substr(start, end - start);
    }
    pos = end + 2;
  }
  return Fail(Msg::MEDIA_FILE_MISSING);
}

// Decodes the request's photo on the media pool and stages its bytes there, then `record`
// (given the staged upload) writes its rows: the part every upload route shares. The caller
// has checked who is uploading before anything is queued.
template <typename Caller, typename RecordFn>
Status QueueUpload(Call& c, const Caller& caller, RecordFn record) {
  AppContext& app = c.app();
  if (!app.media || !app.media_pool) return Fail(ErrorCode::UNAVAILABLE, "media uploads are not configured");
  Request& req = c.req();
  bool queued = app.media_pool->TrySubmit([&app, &req, respond = c.responder(), caller, record] {
    Call call(app, req, respond);
    Status s = [&]() -> Status {
      ASSIGN_OR_RETURN(std::string_view bytes, UploadedBytes(req));
      ASSIGN_OR_RETURN(media::Processed processed, media::ProcessUpload(bytes));
      RETURN_IF_ERROR(app.media->Stage(processed));
      auto p = std::make_shared<const media::Processed>(std::move(processed));
      call.Write(
          caller, [&app, p, record](Tx& tx, const Caller& who) { return record(tx, *app.media, who, *p); }, 201);
      return Ok();
    }();
    if (!s) call.ReplyError(s.error());
  });
  if (!queued) c.ReplyError(MakeError(Msg::UPLOADS_BUSY), 1);
  return Ok();
}

// A shop's photo (products, banner): staff with the products permission.
Status UploadMedia(Call& c) {
  ASSIGN_OR_RETURN(StaffCaller staff, c.Staff(Perm::kProducts));
  return QueueUpload(c, staff, [](Tx& tx, media::MediaStore& store, const StaffCaller& s, const media::Processed& p) {
    return media::RecordUpload(tx, store, s.merchant_id, s.principal.user_id, p);
  });
}

// A buyer's photo (reviews): any signed-in user, counted against their own quota.
Status UploadUserMedia(Call& c) {
  ASSIGN_OR_RETURN(account::Principal user, c.User());
  return QueueUpload(c, user, [](Tx& tx, media::MediaStore& store, const account::Principal& u, const media::Processed& p) {
    return media::RecordUserUpload(tx, store, u.user_id, p);
  });
}

// Releases its bytes from the serving budget when the answer holding it is gone.
struct ServingBytes {
  int64_t n;
  ~ServingBytes() { g_serving_bytes -= n; }
};

Status ServeMedia(Call& c) {
  std::string name(c.req().Param("name"));
  if (!media::ParseFileName(name) || !c.app().media) return Fail(Msg::MEDIA_NOT_FOUND);
  // The name is the content's address: an ETag the client holds for it is still right.
  const std::string etag = "\"" + name.substr(0, name.size() - 4) + "\"";
  auto headers = std::vector<std::pair<std::string, std::string>>{
      {"ETag", etag}, {"Cache-Control", "public, max-age=31536000, immutable"}, {"X-Content-Type-Options", "nosniff"}};
  if (c.req().Header("if-none-match").find(etag) != std::string_view::npos) {
    Response r;
    r.status = 304;
    r.headers = std::move(headers);
    c.responder()(std::move(r));
    return Ok();
  }
  if (g_serving_bytes.load() >= static_cast<int64_t>(limits::kMaxMediaBytesServing)) {
    c.ReplyError(MakeError(Msg::SERVER_BUSY), 1);
    return Ok();
  }
  ASSIGN_OR_RETURN(std::optional<std::string> bytes, c.app().media->Get(name));
  if (!bytes) return Fail(Msg::MEDIA_NOT_FOUND);
  auto held = std::make_shared<ServingBytes>(ServingBytes{static_cast<int64_t>(bytes->size())});
  g_serving_bytes += held->n;
  Response r;
  r.status = 200;
  r.content_type = "image/jpeg";
  r.body = std::move(*bytes);
  r.headers = std::move(headers);
  r.hold = std::move(held);
  c.responder()(std::move(r));
  return Ok();
}

}  // namespace

void AddMediaRoutes(Api& api) {
  // clang-format off
  RouteSpec upload{"POST", "/api/v1/merchant/media",
                   "Upload a photo (JPEG, PNG or WebP, at most 8 MB and 40 megapixels): multipart/form-data with a "
                   "`file` part, or the image's bytes as the body. Answers its id (SHA-256 of the bytes) and URLs of "
                   "three re-encoded JPEG sizes: l (1280 px), m (480 px), s (160 px). 413 too large, 415 not an image",
                   "media", AuthKind::kStaff, 201};
  upload.request_content_type = "multipart/form-data";
  RouteSpec user_upload{"POST", "/api/v1/media",
                        "A signed-in buyer uploads a photo to attach to a review (same body, checks, sizes and answer as "
                        "the merchant's upload; 500 distinct photos per user)",
                        "media", AuthKind::kUser, 201};
  user_upload.request_content_type = "multipart/form-data";
  api.AddTable({
      {upload, UploadMedia},
      {user_upload, UploadUserMedia},
      {{"GET", "/media/{name}",
        "An uploaded photo, <sha256>-<l|m|s>.jpg (immutable: a year's Cache-Control and an ETag)", "media"},
       ServeMedia},
  });
  // clang-format on
}

}  // namespace xd::http
