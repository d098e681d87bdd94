// QR codes for links people scan (membership-card claim links today; share and coupon links
// can take the same helper): the symbol from libqrencode, drawn as SVG or PNG. The image is a
// pure function of the text, so a caller may cache it or let the browser cache it.
//
//   ASSIGN_OR_RETURN(QrCode code, EncodeQr("https://shop.example/#/c/k3J…"));
//   std::string svg = QrSvg(code);   // image/svg+xml
//   std::string png = QrPng(code);   // image/png
//
// Thread-safety: every function is thread-safe (Debian's libqrencode is built with pthreads).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace xd {

// Bytes a QR code carries here: links, which must stay short enough to scan from a counter
// poster at a small print size.
inline constexpr size_t kMaxQrTextLen = 512;

// A QR symbol: `size` × `size` modules, row by row, true = dark. No quiet zone.
struct QrCode {
  int size = 0;
  std::vector<bool> dark;
  bool Dark(int x, int y) const { return dark[static_cast<size_t>(y) * size + x]; }
};

// The symbol of `text` (8-bit mode, error correction level M: a poster may be a little
// scuffed). INVALID_FIELD for empty text or text past kMaxQrTextLen.
Result<QrCode> EncodeQr(std::string_view text);

// The symbol as an SVG document: `module_px` user units per module, a `quiet` module wide
// white border (4 is the standard's minimum), dark modules as one path.
std::string QrSvg(const QrCode& code, int module_px = 8, int quiet = 4);

// The same as an 8-bit greyscale PNG (deflated with zlib).
std::string QrPng(const QrCode& code, int module_px = 8, int quiet = 4);

}  // namespace xd
