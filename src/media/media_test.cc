#include "media/media.h"

#include <vips/vips.h>
#include <zlib.h>

#include <filesystem>

#include <gtest/gtest.h>

#include "base/crypto.h"
#include "base/limits.h"
#include "base/messages.h"

namespace xd::media {
namespace {

// A `w`x`h` test picture (a gradient; with alpha when `bands` is 4) encoded by libvips.
std::string MakeImage(int w, int h, const char* suffix, int bands = 3) {
  InitImaging();
  VipsImage* base = nullptr;
  EXPECT_EQ(vips_xyz(&base, w, h, nullptr), 0);
  VipsImage* band = nullptr;
  EXPECT_EQ(vips_extract_band(base, &band, 0, nullptr), 0);
  VipsImage* bytes = nullptr;
  EXPECT_EQ(vips_cast_uchar(band, &bytes, nullptr), 0);
  VipsImage* joined = nullptr;
  std::vector<VipsImage*> parts(static_cast<size_t>(bands), bytes);
  EXPECT_EQ(vips_bandjoin(parts.data(), &joined, bands, nullptr), 0);
  void* buf = nullptr;
  size_t len = 0;
  EXPECT_EQ(vips_image_write_to_buffer(joined, suffix, &buf, &len, nullptr), 0) << vips_error_buffer();
  std::string out(static_cast<const char*>(buf), len);
  g_free(buf);
  for (VipsImage* im : {base, band, bytes, joined}) g_object_unref(im);
  return out;
}

std::string Be32(uint32_t v) {
  return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8), static_cast<char>(v)};
}

// A PNG whose header says `w`x`h` and that has no pixel data at all: any decode of it fails,
// so refusing it with IMAGE_TOO_MANY_PIXELS shows the header alone was read.
std::string Chunk(const std::string& type_and_data) {
  uint32_t crc = static_cast<uint32_t>(
      crc32(0, reinterpret_cast<const Bytef*>(type_and_data.data()), static_cast<uInt>(type_and_data.size())));
  return Be32(static_cast<uint32_t>(type_and_data.size() - 4)) + type_and_data + Be32(crc);
}
std::string PngHeaderOnly(uint32_t w, uint32_t h) {
  return std::string("\x89PNG\r\n\x1A\n", 8) +
         Chunk("IHDR" + Be32(w) + Be32(h) + std::string("\x08\x02\x00\x00\x00", 5)) +
         Chunk("IDAT" + std::string(16, 'x')) + Chunk("IEND");
}

Msg ReasonOf(const Result<Processed>& r) { return r ? Msg::INTERNAL : *r.error().reason; }

TEST(Media, SniffsJpegPngWebpByMagicOnly) {
  EXPECT_EQ(SniffImage(MakeImage(8, 8, ".jpg")), ImageFormat::kJpeg);
  EXPECT_EQ(SniffImage(MakeImage(8, 8, ".png")), ImageFormat::kPng);
  EXPECT_EQ(SniffImage(MakeImage(8, 8, ".webp")), ImageFormat::kWebp);
  EXPECT_FALSE(SniffImage("<svg xmlns='http://www.w3.org/2000/svg'/>"));
  EXPECT_FALSE(SniffImage("GIF89a......"));
  EXPECT_FALSE(SniffImage(""));
  EXPECT_FALSE(SniffImage("RIFF1234WAVE"));
}

TEST(Media, MakesThreeJpegSizesFromTheHeadersDimensions) {
  std::string jpeg = MakeImage(2000, 1000, ".jpg");
  Result<Processed> p = ProcessUpload(jpeg);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->sha256, Sha256Hex(jpeg));
  EXPECT_EQ(p->format, ImageFormat::kJpeg);
  EXPECT_EQ(p->width, 2000);
  EXPECT_EQ(p->height, 1000);
  ASSERT_EQ(p->variants.size(), 3u);
  EXPECT_EQ(p->variants[0].width, 1280);
  EXPECT_EQ(p->variants[0].height, 640);
  EXPECT_EQ(p->variants[1].width, 480);
  EXPECT_EQ(p->variants[2].width, 160);
  for (const Variant& v : p->variants) EXPECT_EQ(SniffImage(v.bytes), ImageFormat::kJpeg);
  EXPECT_EQ(p->variants[1].FileName(p->sha256), p->sha256 + "-m.jpg");
}

TEST(Media, NeverEnlargesAndFlattensAlpha) {
  Result<Processed> p = ProcessUpload(MakeImage(100, 50, ".png", 4));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->format, ImageFormat::kPng);
  EXPECT_EQ(p->variants[0].width, 100);  // smaller than every size: kept as is
  EXPECT_EQ(p->variants[2].width, 100 > 160 ? 160 : 100);
  Result<Processed> w = ProcessUpload(MakeImage(600, 300, ".webp"));
  ASSERT_TRUE(w) << w.error().message;
  EXPECT_EQ(w->format, ImageFormat::kWebp);
  EXPECT_EQ(w->variants[1].width, 480);
}

TEST(Media, RefusesWhatIsNotAJpegPngOrWebp) {
  EXPECT_EQ(ReasonOf(ProcessUpload("<svg xmlns='http://www.w3.org/2000/svg' width='1' height='1'/>")), Msg::MEDIA_NOT_IMAGE);
  EXPECT_EQ(ReasonOf(ProcessUpload(MakeImage(8, 8, ".gif"))), Msg::MEDIA_NOT_IMAGE);
  EXPECT_EQ(ProcessUpload("hello").error().code, ErrorCode::UNSUPPORTED_MEDIA_TYPE);
}

TEST(Media, RefusesTooManyPixelsFromTheHeaderBeforeDecoding) {
  Result<Processed> big = ProcessUpload(PngHeaderOnly(8000, 6000));  // 48 megapixels
  EXPECT_EQ(ReasonOf(big), Msg::IMAGE_TOO_MANY_PIXELS);
  EXPECT_EQ(big.error().code, ErrorCode::PAYLOAD_TOO_LARGE);
  EXPECT_EQ(ReasonOf(ProcessUpload(PngHeaderOnly(20000, 10))), Msg::IMAGE_TOO_MANY_PIXELS);  // a side too long
  // Within the limits the same header-only file reaches the decoder, which finds no pixels.
  EXPECT_EQ(ReasonOf(ProcessUpload(PngHeaderOnly(100, 100))), Msg::IMAGE_UNREADABLE);
}

TEST(Media, RefusesATruncatedImage) {
  std::string jpeg = MakeImage(400, 400, ".jpg");
  EXPECT_EQ(ReasonOf(ProcessUpload(std::string_view(jpeg).substr(0, jpeg.size() / 2))), Msg::IMAGE_UNREADABLE);
}

TEST(Media, RefusesAnUploadOverTheSizeLimit) {
  std::string big(limits::kMaxMediaBytes + 1, '\0');
  big.replace(0, 3, "\xFF\xD8\xFF");
  EXPECT_EQ(ReasonOf(ProcessUpload(big)), Msg::MEDIA_TOO_LARGE);
}

TEST(Media, FileNamesAreCheckedBeforeAnyLookup) {
  std::string sha(64, 'a');
  EXPECT_TRUE(ParseFileName(sha + "-l.jpg"));
  EXPECT_TRUE(ParseFileName(sha + "-s.jpg"));
  EXPECT_FALSE(ParseFileName(sha + "-x.jpg"));
  EXPECT_FALSE(ParseFileName(sha + "-l.png"));
  EXPECT_FALSE(ParseFileName(std::string(64, 'A') + "-l.jpg"));
  EXPECT_FALSE(ParseFileName("../../etc/passwd"));
  EXPECT_FALSE(ParseFileName(sha.substr(1) + "-l.jpg"));
  EXPECT_EQ(MediaUrl(sha, 'm'), "/media/" + sha + "-m.jpg");
}

TEST(Media, DiskStoreKeepsEachFileOnceAndAnswersMissing) {
  auto dir = std::filesystem::temp_directory_path() / ("xd_media_test_" + RandomHex(6));
  auto store = NewDiskMediaStore(dir.string());
  Result<Processed> p = ProcessUpload(MakeImage(300, 200, ".jpg"));
  ASSERT_TRUE(p);
  ASSERT_TRUE(store->Stage(*p));
  ASSERT_TRUE(store->Stage(*p));  // again: content-addressed, nothing changes
  for (const Variant& v : p->variants) {
    auto got = store->Get(v.FileName(p->sha256));
    ASSERT_TRUE(got && *got);
    EXPECT_EQ(**got, v.bytes);
  }
  auto missing = store->Get(std::string(64, 'b') + "-l.jpg");
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace xd::media
