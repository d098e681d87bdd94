// Uploaded photos (issue 14, decision 020): what an upload is allowed to be, how it becomes
// the sizes the apps show, where the bytes live, and the rows that say who uploaded what.
//
// An upload is believed only as far as its bytes prove: the format comes from the magic bytes
// (JPEG, PNG, WebP; anything else is UNSUPPORTED_MEDIA_TYPE), the dimensions from the image's
// own header, read before any pixel is decoded, and an image above limits::kMaxImagePixels or
// limits::kMaxImageSide is refused there (PAYLOAD_TOO_LARGE) — the decode's cost is bounded
// before it starts. Only libvips' JPEG, PNG and WebP loaders are enabled in the process
// (InitImaging), so no other decoder (SVG, PDF, ImageMagick) ever sees uploaded bytes. The
// original is never served: every size is re-encoded as JPEG with metadata stripped (no EXIF
// location leaves the server), at most kSizes' long side, alpha flattened on white.
//
// Content addressing: an upload's id is the SHA-256 of its bytes; its files are named
// "<sha256>-<size>.jpg" (l, m, s). The same photo uploaded twice, by one shop or two, is
// stored once; each shop that uploaded it has a `merchant_media` row (its quota counts them).
//
//   InitImaging();                                     // once, before any upload
//   ASSIGN_OR_RETURN(Processed p, ProcessUpload(bytes));  // CPU-heavy: off the I/O threads
//   RETURN_IF_ERROR(media_store.Stage(p));             // disk: files written and synced
//   store.Submit([&](Tx& tx) { return RecordUpload(tx, media_store, merchant_id, user_id, p); });
//
// Thread-safety: ProcessUpload and the MediaStores may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.h"
#include "base/result.h"
#include "store/store.h"

namespace xd::media {

enum class ImageFormat { kJpeg, kPng, kWebp };
std::string_view FormatName(ImageFormat f);  // "jpeg" | "png" | "webp"

// The format the bytes' magic says, or nullopt (not an image we take).
std::optional<ImageFormat> SniffImage(std::string_view bytes);

// The sizes every upload is turned into: name and longest side in pixels. `l` is what a
// product page shows, `m` a card in a list, `s` a thumbnail.
struct SizeSpec {
  char name;
  int max_side;
};
inline constexpr SizeSpec kSizes[] = {{'l', 1280}, {'m', 480}, {'s', 160}};

// Enables libvips' JPEG, PNG and WebP loaders only, no operation cache, one worker thread per
// pipeline. Idempotent; call before ProcessUpload (App does).
void InitImaging();

struct Variant {
  char size = 'l';
  std::string bytes;  // JPEG
  int width = 0, height = 0;
  std::string FileName(const std::string& sha256) const;  // "<sha256>-l.jpg"
};
struct Processed {
  std::string sha256;  // hex, of the uploaded bytes
  ImageFormat format = ImageFormat::kJpeg;
  int width = 0, height = 0;  // the original's, from its header
  int64_t bytes = 0;          // the original's size
  std::vector<Variant> variants;  // one per kSizes entry, in that order
};

// Checks and converts one upload: MEDIA_TOO_LARGE past limits::kMaxMediaBytes,
// MEDIA_NOT_IMAGE when the magic is not JPEG/PNG/WebP, IMAGE_TOO_MANY_PIXELS from the header,
// IMAGE_UNREADABLE when decoding fails. CPU-heavy (tens of ms for a phone photo).
Result<Processed> ProcessUpload(std::string_view bytes);

// "<64 hex>-<l|m|s>.jpg" → {sha256, size}; nullopt for any other name (checked before any
// lookup, so a GET for an arbitrary name costs nothing).
std::optional<std::pair<std::string, char>> ParseFileName(std::string_view name);
// The URL an app uses for a size of an upload: "/media/<sha256>-<size>.jpg".
std::string MediaUrl(const std::string& sha256, char size);

// Where the bytes live. Stage runs before the command that records the upload (a disk or an
// object store writes there, so a large write never holds the single writer); Record runs in
// that command (a database store inserts the bytes in the same transaction). A staged file
// whose command then fails stays, unreferenced: content addressing makes a retry reuse it.
class MediaStore {
 public:
  virtual ~MediaStore() = default;
  virtual Status Stage(const Processed& p) = 0;
  virtual Status Record(Tx& tx, const Processed& p) = 0;
  // The bytes of one file (a name ParseFileName accepted); nullopt when there is none.
  virtual Result<std::optional<std::string>> Get(const std::string& file_name) = 0;
  virtual std::string_view Name() const = 0;  // "disk" | "database", for logs and docs
};
// Files under `dir` (created if missing), fanned out by the hash's first two characters;
// each written to a temporary name, fsynced, renamed. The SQLite default: `dir` is beside the
// database (App: "<db_path>.media").
std::unique_ptr<MediaStore> NewDiskMediaStore(std::string dir);
// Bytes in the store's `media_blobs` table, so every node sharing a PostgreSQL database
// serves every photo (the PostgreSQL default).
std::unique_ptr<MediaStore> NewDatabaseMediaStore(Store& store);

// Records `p` as uploaded by `user_id` for `merchant_id`: the media row once per hash, the
// merchant's row once per merchant (a repeat upload answers the same media), MEDIA_QUOTA past
// limits::kMaxMediaPerMerchant, then `store.Record`. Returns the media's JSON.
Result<Json> RecordUpload(Tx& tx, MediaStore& store, int64_t merchant_id, int64_t user_id, const Processed& p);

// Records `p` as uploaded by the buyer `user_id` (review photos): the media row once per hash,
// the user's row once (a repeat upload answers the same media), USER_MEDIA_QUOTA past
// limits::kMaxMediaPerUser, then `store.Record`. Returns the media's JSON.
Result<Json> RecordUserUpload(Tx& tx, MediaStore& store, int64_t user_id, const Processed& p);

// Whether `id` has the shape of a media id (64 lowercase hex digits): checked before any lookup.
bool IsMediaId(std::string_view id);

// {"id": sha256, "url": large, "urls": {"l","m","s"}, "width", "height", "format", "bytes"}.
Json MediaJson(const std::string& sha256, std::string_view format, int64_t width, int64_t height, int64_t bytes);

}  // namespace xd::media
