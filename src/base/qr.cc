// QR symbols from libqrencode, drawn as SVG (one path) and PNG (greyscale, zlib-deflated).
#include "base/qr.h"

#include <qrencode.h>
#include <zlib.h>

#include <cstdint>
#include <memory>

#include "base/messages.h"
#include "base/result.h"

namespace xd {

namespace {

void PutU32(std::string& out, uint32_t v) {
  out.push_back(static_cast<char>(v >> 24));
  out.push_back(static_cast<char>(v >> 16));
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v));
}

// A PNG chunk: length, type, data, CRC-32 of type and data.
void PutChunk(std::string& out, const char type[4], const std::string& data) {
  PutU32(out, static_cast<uint32_t>(data.size()));
  std::string body(type, 4);
  body += data;
  out += body;
  PutU32(out, static_cast<uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()),
                                          static_cast<uInt>(body.size()))));
}

}  // namespace

Result<QrCode> EncodeQr(std::string_view text) {
  if (text.empty() || text.size() > kMaxQrTextLen)
    return Fail(Msg::QR_TEXT_LENGTH, {{"max", kMaxQrTextLen}});
  std::unique_ptr<QRcode, void (*)(QRcode*)> qr(
      QRcode_encodeData(static_cast<int>(text.size()),
                        reinterpret_cast<const unsigned char*>(text.data()), 0, QR_ECLEVEL_M),
      QRcode_free);
  if (!qr) return Fail(ErrorCode::INTERNAL, "QRcode_encodeData failed");
  QrCode code;
  code.size = qr->width;
  code.dark.resize(static_cast<size_t>(qr->width) * qr->width);
  // Bit 0 of each module byte is "dark"; the other bits describe the module's role.
  for (size_t i = 0; i < code.dark.size(); ++i) code.dark[i] = (qr->data[i] & 1) != 0;
  return code;
}

std::string QrSvg(const QrCode& code, int module_px, int quiet) {
  const int side = (code.size + 2 * quiet) * module_px;
  std::string path;
  for (int y = 0; y < code.size; ++y) {
    for (int x = 0; x < code.size;) {
      if (!code.Dark(x, y)) {
        ++x;
        continue;
      }
      int run = 1;  // one rectangle per horizontal run of dark modules
      while (x + run < code.size && code.Dark(x + run, y)) ++run;
      path += "M" + std::to_string((x + quiet) * module_px) + "," +
              std::to_string((y + quiet) * module_px) + "h" + std::to_string(run * module_px) +
              "v" + std::to_string(module_px) + "h-" + std::to_string(run * module_px) + "z";
      x += run;
    }
  }
  const std::string s = std::to_string(side);
  return "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" + s + "\" height=\"" + s +
         "\" viewBox=\"0 0 " + s + " " + s +
         "\" shape-rendering=\"crispEdges\"><rect width=\"100%\" height=\"100%\" "
         "fill=\"#fff\"/><path fill=\"#000\" d=\"" +
         path + "\"/></svg>";
}

std::string QrPng(const QrCode& code, int module_px, int quiet) {
  const int side = (code.size + 2 * quiet) * module_px;
  // Raw scanlines: a filter byte (0, none) and one grey byte per pixel.
  std::string raw;
  raw.reserve(static_cast<size_t>(side) * (side + 1));
  for (int py = 0; py < side; ++py) {
    raw.push_back(0);
    const int y = py / module_px - quiet;
    for (int px = 0; px < side; ++px) {
      const int x = px / module_px - quiet;
      const bool dark = x >= 0 && y >= 0 && x < code.size && y < code.size && code.Dark(x, y);
      raw.push_back(static_cast<char>(dark ? 0x00 : 0xff));
    }
  }
  uLongf deflated_len = compressBound(static_cast<uLong>(raw.size()));
  std::string deflated(deflated_len, '\0');
  // compress2 fails only for a short buffer or a bad level: compressBound rules out both.
  const int z = compress2(reinterpret_cast<Bytef*>(deflated.data()), &deflated_len,
                          reinterpret_cast<const Bytef*>(raw.data()),
                          static_cast<uLong>(raw.size()), Z_BEST_COMPRESSION);
  CHECK(z == Z_OK);
  deflated.resize(deflated_len);

  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string ihdr;
  PutU32(ihdr, static_cast<uint32_t>(side));
  PutU32(ihdr, static_cast<uint32_t>(side));
  ihdr +=
      std::string("\x08\x00\x00\x00\x00", 5);  // 8-bit greyscale, deflate, no filter, no interlace
  PutChunk(png, "IHDR", ihdr);
  PutChunk(png, "IDAT", deflated);
  PutChunk(png, "IEND", "");
  return png;
}

}  // namespace xd
