#include "media/media.h"

#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>
#include <vips/vips.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "account/account.h"
#include "base/crypto.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/messages.h"

namespace xd::media {

std::string_view FormatName(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg: return "jpeg";
    case ImageFormat::kPng: return "png";
    case ImageFormat::kWebp: return "webp";
  }
  return "jpeg";
}

std::optional<ImageFormat> SniffImage(std::string_view b) {
  if (b.size() >= 3 && b.compare(0, 3, "\xFF\xD8\xFF") == 0) return ImageFormat::kJpeg;
  if (b.size() >= 8 && b.compare(0, 8, std::string_view("\x89PNG\r\n\x1A\n", 8)) == 0) return ImageFormat::kPng;
  if (b.size() >= 12 && b.compare(0, 4, "RIFF") == 0 && b.compare(8, 4, "WEBP") == 0) return ImageFormat::kWebp;
  return std::nullopt;
}

void InitImaging() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (VIPS_INIT("xiaodian") != 0) {
      spdlog::error("event=vips_init_failed error=\"{}\"", vips_error_buffer());
      return;
    }
    // Only the three loaders an upload may reach; SVG, PDF, ImageMagick, TIFF... never run.
    // libvips' own warnings (a truncated file...) become our one log line per refusal.
    g_log_set_handler("VIPS", static_cast<GLogLevelFlags>(G_LOG_LEVEL_WARNING | G_LOG_LEVEL_MESSAGE | G_LOG_LEVEL_INFO),
                      [](const gchar*, GLogLevelFlags, const gchar*, gpointer) {}, nullptr);
    vips_block_untrusted_set(TRUE);
    vips_operation_block_set("VipsForeignLoad", TRUE);
    vips_operation_block_set("VipsForeignLoadJpeg", FALSE);
    vips_operation_block_set("VipsForeignLoadPng", FALSE);
    vips_operation_block_set("VipsForeignLoadWebp", FALSE);
    // No operation cache (memory that grows with distinct uploads), one thread per pipeline:
    // the upload pool bounds how many run at once.
    vips_cache_set_max(0);
    vips_cache_set_max_mem(0);
    vips_concurrency_set(1);
  });
}

namespace {

// Owns a VipsImage reference.
struct ImageRef {
  VipsImage* img = nullptr;
  ImageRef() = default;
  ImageRef(const ImageRef&) = delete;
  ImageRef& operator=(const ImageRef&) = delete;
  ~ImageRef() {
    if (img) g_object_unref(img);
  }
  void Reset(VipsImage* next) {
    if (img) g_object_unref(img);
    img = next;
  }
};

std::unexpected<Error> Unreadable(const char* step) {
  spdlog::info("event=image_unreadable step={} error=\"{}\"", step, vips_error_buffer());
  vips_error_clear();
  return std::unexpected(MakeError(Msg::IMAGE_UNREADABLE));
}

// The header only: the loaders are lazy, nothing is decoded until pixels are asked for.
Result<std::pair<int, int>> HeaderSize(std::string_view bytes, ImageFormat f) {
  ImageRef im;
  void* buf = const_cast<char*>(bytes.data());
  int rc = -1;
  switch (f) {
    case ImageFormat::kJpeg: rc = vips_jpegload_buffer(buf, bytes.size(), &im.img, nullptr); break;
    case ImageFormat::kPng: rc = vips_pngload_buffer(buf, bytes.size(), &im.img, nullptr); break;
    case ImageFormat::kWebp: rc = vips_webpload_buffer(buf, bytes.size(), &im.img, nullptr); break;
  }
  if (rc != 0 || !im.img) return Unreadable("header");
  return std::make_pair(vips_image_get_width(im.img), vips_image_get_height(im.img));
}

// `in` as an 8-bit sRGB JPEG without metadata, alpha flattened on white.
Result<Variant> Encode(VipsImage* in, char size) {
  ImageRef srgb, flat;
  if (vips_colourspace(in, &srgb.img, VIPS_INTERPRETATION_sRGB, nullptr) != 0) return Unreadable("colourspace");
  VipsImage* cur = srgb.img;
  if (vips_image_hasalpha(cur)) {
    VipsArrayDouble* white = vips_array_double_newv(1, 255.0);
    int rc = vips_flatten(cur, &flat.img, "background", white, nullptr);
    vips_area_unref(VIPS_AREA(white));
    if (rc != 0) return Unreadable("flatten");
    cur = flat.img;
  }
  void* out = nullptr;
  size_t len = 0;
  if (vips_jpegsave_buffer(cur, &out, &len, "Q", 82, "strip", TRUE, "optimize_coding", TRUE, nullptr) != 0)
    return Unreadable("encode");
  Variant v;
  v.size = size;
  v.bytes.assign(static_cast<const char*>(out), len);
  g_free(out);
  v.width = vips_image_get_width(cur);
  v.height = vips_image_get_height(cur);
  return v;
}

}  // namespace

std::string Variant::FileName(const std::string& sha256) const { return sha256 + "-" + size + ".jpg"; }

Result<Processed> ProcessUpload(std::string_view bytes) {
  InitImaging();
  if (bytes.size() > limits::kMaxMediaBytes)
    return Fail(Msg::MEDIA_TOO_LARGE, {{"max_mb", static_cast<int64_t>(limits::kMaxMediaBytes >> 20)}});
  std::optional<ImageFormat> format = SniffImage(bytes);
  if (!format) return Fail(Msg::MEDIA_NOT_IMAGE);
  ASSIGN_OR_RETURN(auto size, HeaderSize(bytes, *format));
  auto [w, h] = size;
  if (w <= 0 || h <= 0 || w > limits::kMaxImageSide || h > limits::kMaxImageSide ||
      static_cast<int64_t>(w) * h > limits::kMaxImagePixels)
    return Fail(Msg::IMAGE_TOO_MANY_PIXELS, {{"width", int64_t{w}},
                                             {"height", int64_t{h}},
                                             {"max_megapixels", limits::kMaxImagePixels / 1'000'000},
                                             {"max_side", limits::kMaxImageSide}});
  Processed p;
  p.sha256 = Sha256Hex(bytes);
  p.format = *format;
  p.width = w;
  p.height = h;
  p.bytes = static_cast<int64_t>(bytes.size());
  // The largest size from the upload (JPEG and WebP shrink while decoding), kept in memory;
  // the smaller ones from it, so the upload is decoded once. fail_on=error: a truncated or
  // corrupt file is refused rather than shown half grey.
  ImageRef large, large_mem;
  const int l_side = kSizes[0].max_side;
  if (vips_thumbnail_buffer(const_cast<char*>(bytes.data()), bytes.size(), &large.img, l_side, "height", l_side,
                            "size", VIPS_SIZE_DOWN, "option_string", "fail_on=error", nullptr) != 0)
    return Unreadable("decode");
  large_mem.img = vips_image_copy_memory(large.img);
  if (!large_mem.img) return Unreadable("decode");
  ASSIGN_OR_RETURN(Variant l, Encode(large_mem.img, kSizes[0].name));
  p.variants.push_back(std::move(l));
  for (size_t i = 1; i < std::size(kSizes); ++i) {
    ImageRef small;
    if (vips_thumbnail_image(large_mem.img, &small.img, kSizes[i].max_side, "height", kSizes[i].max_side, "size",
                             VIPS_SIZE_DOWN, nullptr) != 0)
      return Unreadable("resize");
    ASSIGN_OR_RETURN(Variant v, Encode(small.img, kSizes[i].name));
    p.variants.push_back(std::move(v));
  }
  return p;
}

bool IsMediaId(std::string_view id) {
  return id.size() == 64 &&
         std::all_of(id.begin(), id.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::optional<std::pair<std::string, char>> ParseFileName(std::string_view name) {
  // 64 hex + "-" + size + ".jpg"
  if (name.size() != 64 + 2 + 4 || name[64] != '-' || name.substr(66) != ".jpg") return std::nullopt;
  if (!IsMediaId(name.substr(0, 64))) return std::nullopt;
  char size = name[65];
  for (const SizeSpec& s : kSizes)
    if (s.name == size) return std::make_pair(std::string(name.substr(0, 64)), size);
  return std::nullopt;
}

std::string MediaUrl(const std::string& sha256, char size) { return "/media/" + sha256 + "-" + size + ".jpg"; }

Json MediaJson(const std::string& sha256, std::string_view format, int64_t width, int64_t height, int64_t bytes) {
  Json urls = Json::object();
  for (const SizeSpec& s : kSizes) urls[std::string(1, s.name)] = MediaUrl(sha256, s.name);
  return Json{{"id", sha256},          {"url", MediaUrl(sha256, kSizes[0].name)},
              {"urls", std::move(urls)}, {"width", width},
              {"height", height},       {"format", std::string(format)},
              {"bytes", bytes}};
}

namespace {

Status WriteFileDurably(const std::filesystem::path& final_path, std::string_view bytes) {
  std::error_code ec;
  if (std::filesystem::exists(final_path, ec)) return Ok();  // content-addressed: already there
  std::string tmp = final_path.string() + ".tmp" + RandomHex(8);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(ErrorCode::INTERNAL, "media: open " + tmp + ": " + std::strerror(errno));
  size_t off = 0;
  while (off < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      ::unlink(tmp.c_str());
      return Fail(ErrorCode::INTERNAL, "media: write " + tmp + ": " + std::strerror(errno));
    }
    off += static_cast<size_t>(n);
  }
  if (::fdatasync(fd) != 0 || ::close(fd) != 0) {
    ::unlink(tmp.c_str());
    return Fail(ErrorCode::INTERNAL, "media: sync " + tmp);
  }
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return Fail(ErrorCode::INTERNAL, "media: rename " + tmp + ": " + std::strerror(errno));
  }
  // The rename is durable once the directory is.
  int dfd = ::open(final_path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return Ok();
}

class DiskMediaStore : public MediaStore {
 public:
  explicit DiskMediaStore(std::string dir) : dir_(std::move(dir)) {}
  Status Stage(const Processed& p) override {
    for (const Variant& v : p.variants) {
      std::filesystem::path sub = std::filesystem::path(dir_) / p.sha256.substr(0, 2);
      std::error_code ec;
      std::filesystem::create_directories(sub, ec);
      if (ec) return Fail(ErrorCode::INTERNAL, "media: mkdir " + sub.string() + ": " + ec.message());
      RETURN_IF_ERROR(WriteFileDurably(sub / v.FileName(p.sha256), v.bytes));
    }
    return Ok();
  }
  Status Record(Tx&, const Processed&) override { return Ok(); }
  Result<std::optional<std::string>> Get(const std::string& file_name) override {
    std::filesystem::path path = std::filesystem::path(dir_) / file_name.substr(0, 2) / file_name;
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::optional<std::string>();
      return Fail(ErrorCode::INTERNAL, "media: open " + path.string() + ": " + std::strerror(errno));
    }
    std::string out;
    char buf[64 * 1024];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        ::close(fd);
        return Fail(ErrorCode::INTERNAL, "media: read " + path.string());
      }
      if (n == 0) break;
      out.append(buf, static_cast<size_t>(n));
      if (out.size() > limits::kMaxMediaBytes) break;  // never a file we wrote: stop reading
    }
    ::close(fd);
    return std::optional<std::string>(std::move(out));
  }
  std::string_view Name() const override { return "disk"; }

 private:
  std::string dir_;
};

std::string ToBase64(std::string_view bytes) {
  std::string out(sodium_base64_ENCODED_LEN(bytes.size(), sodium_base64_VARIANT_ORIGINAL), '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(),
                    sodium_base64_VARIANT_ORIGINAL);
  out.resize(std::strlen(out.c_str()));
  return out;
}

Result<std::string> FromBase64(std::string_view text) {
  std::string out(text.size() / 4 * 3 + 3, '\0');
  size_t len = 0;
  // PostgreSQL's encode(…, 'base64') breaks lines every 76 characters.
  if (sodium_base642bin(reinterpret_cast<unsigned char*>(out.data()), out.size(), text.data(), text.size(), "\r\n", &len,
                        nullptr, sodium_base64_VARIANT_ORIGINAL) != 0)
    return Fail(ErrorCode::INTERNAL, "media: stored bytes are not base64");
  out.resize(len);
  return out;
}

// PostgreSQL keeps the bytes as BYTEA, moved as base64 text (the store binds text and
// integers only); SQLite, where this store is an option rather than the default, keeps the
// base64 text itself.
class DatabaseMediaStore : public MediaStore {
 public:
  explicit DatabaseMediaStore(Store& store) : store_(store) {}
  Status Stage(const Processed&) override { return Ok(); }
  Status Record(Tx& tx, const Processed& p) override {
    bool pg = tx.dialect().kind() == SqlDialect::kPostgres;
    for (const Variant& v : p.variants) {
      RETURN_IF_ERROR(tx.Run(pg ? "INSERT INTO media_blobs(name, data) VALUES(?, decode(?, 'base64')) ON CONFLICT(name) DO NOTHING"
                                : "INSERT INTO media_blobs(name, data) VALUES(?, ?) ON CONFLICT(name) DO NOTHING",
                             {v.FileName(p.sha256), ToBase64(v.bytes)}));
    }
    return Ok();
  }
  Result<std::optional<std::string>> Get(const std::string& file_name) override {
    ASSIGN_OR_RETURN(std::optional<Row> row, store_.Read([&](Reader& r) {
      bool pg = r.dialect().kind() == SqlDialect::kPostgres;
      return r.QueryOne(pg ? "SELECT encode(data, 'base64') FROM media_blobs WHERE name=?"
                           : "SELECT data FROM media_blobs WHERE name=?",
                        {file_name});
    }));
    if (!row) return std::optional<std::string>();
    ASSIGN_OR_RETURN(std::string bytes, FromBase64(row->Str(0)));
    return std::optional<std::string>(std::move(bytes));
  }
  std::string_view Name() const override { return "database"; }

 private:
  Store& store_;
};

}  // namespace

std::unique_ptr<MediaStore> NewDiskMediaStore(std::string dir) { return std::make_unique<DiskMediaStore>(std::move(dir)); }
std::unique_ptr<MediaStore> NewDatabaseMediaStore(Store& store) { return std::make_unique<DatabaseMediaStore>(store); }

namespace {

// The platform's media row (once per hash) and the bytes where the store keeps them: what every
// upload records, whoever uploaded it.
Status RecordMedia(Tx& tx, MediaStore& store, const Processed& p, int64_t now_ms) {
  RETURN_IF_ERROR(tx.Run("INSERT INTO media(sha256, format, width, height, bytes, created_at_ms) VALUES(?,?,?,?,?,?) "
                         "ON CONFLICT(sha256) DO NOTHING",
                         {p.sha256, FormatName(p.format), int64_t{p.width}, int64_t{p.height}, p.bytes, now_ms}));
  return store.Record(tx, p);
}

}  // namespace

Result<Json> RecordUpload(Tx& tx, MediaStore& store, int64_t merchant_id, int64_t user_id, const Processed& p) {
  ASSIGN_OR_RETURN(int64_t mine, tx.QueryInt("SELECT COUNT(*) FROM merchant_media WHERE merchant_id=? AND sha256=?",
                                             {merchant_id, p.sha256}));
  if (mine == 0) {
    RETURN_IF_ERROR(account::LockMerchant(tx, merchant_id));  // the quota is a count: one node at a time
    ASSIGN_OR_RETURN(int64_t count, tx.QueryInt("SELECT COUNT(*) FROM merchant_media WHERE merchant_id=?", {merchant_id}));
    if (count >= limits::kMaxMediaPerMerchant) return Fail(Msg::MEDIA_QUOTA, {{"max", limits::kMaxMediaPerMerchant}});
  }
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(RecordMedia(tx, store, p, now));
  RETURN_IF_ERROR(tx.Run("INSERT INTO merchant_media(merchant_id, sha256, uploaded_by, created_at_ms) VALUES(?,?,?,?) "
                         "ON CONFLICT(merchant_id, sha256) DO NOTHING",
                         {merchant_id, p.sha256, user_id, now}));
  return MediaJson(p.sha256, FormatName(p.format), p.width, p.height, p.bytes);
}

Result<Json> RecordUserUpload(Tx& tx, MediaStore& store, int64_t user_id, const Processed& p) {
  ASSIGN_OR_RETURN(int64_t mine,
                   tx.QueryInt("SELECT COUNT(*) FROM user_media WHERE user_id=? AND sha256=?", {user_id, p.sha256}));
  if (mine == 0) {
    ASSIGN_OR_RETURN(int64_t count, tx.QueryInt("SELECT COUNT(*) FROM user_media WHERE user_id=?", {user_id}));
    if (count >= limits::kMaxMediaPerUser) return Fail(Msg::USER_MEDIA_QUOTA, {{"max", limits::kMaxMediaPerUser}});
  }
  int64_t now = tx.NowMs();
  RETURN_IF_ERROR(RecordMedia(tx, store, p, now));
  RETURN_IF_ERROR(tx.Run("INSERT INTO user_media(user_id, sha256, created_at_ms) VALUES(?,?,?) "
                         "ON CONFLICT(user_id, sha256) DO NOTHING",
                         {user_id, p.sha256, now}));
  return MediaJson(p.sha256, FormatName(p.format), p.width, p.height, p.bytes);
}

}  // namespace xd::media
