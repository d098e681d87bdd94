// Share posters (海报): one PNG drawn in the browser on a canvas — the product photo, title,
// price, the activity badge, the shop, and the share link's QR code (GET /shares/{code}/qr.svg,
// drawn by the server) — for the buyer to long-press and save, or download. Every picture is
// same-origin (product photos are /img or /media, the QR is the API's), so the canvas stays
// readable; a picture that fails to load leaves its place blank rather than failing the poster.

const W = 600; // CSS pixels; drawn at 2× for sharp text on phones
const H = 900;
const SCALE = 2;

function loadImage(src) {
  return new Promise((resolve) => {
    if (!src) return resolve(null);
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => resolve(null);
    img.src = src;
  });
}

function roundRect(ctx, x, y, w, h, r) {
  ctx.beginPath();
  ctx.moveTo(x + r, y);
  ctx.arcTo(x + w, y, x + w, y + h, r);
  ctx.arcTo(x + w, y + h, x, y + h, r);
  ctx.arcTo(x, y + h, x, y, r);
  ctx.arcTo(x, y, x + w, y, r);
  ctx.closePath();
}

/** Lines of `text` that fit `width`, at most `max` (the last one ends in … when cut). */
function wrap(ctx, text, width, max) {
  const lines = [];
  let line = '';
  for (const ch of text) {
    if (ctx.measureText(line + ch).width > width) {
      lines.push(line);
      line = ch;
      if (lines.length === max) break;
    } else {
      line += ch;
    }
  }
  if (lines.length < max && line) lines.push(line);
  else if (lines.length === max && line) lines[max - 1] = `${lines[max - 1].slice(0, -1)}…`;
  return lines;
}

/**
 * Draws the poster and returns it as a PNG data URL.
 * @param {object} p
 * @param {string} p.image     product photo URL (may be empty)
 * @param {string} p.title     product title
 * @param {string} p.price     the price to show, formatted ("¥35.99")
 * @param {string} [p.listPrice] the struck-through list price, formatted
 * @param {string} [p.badge]   the activity's badge ("秒杀")
 * @param {string} p.shop      the shop's name
 * @param {string} p.qr        the share link's QR image URL
 * @param {string} p.hint      the words under the QR ("长按识别二维码")
 */
export async function drawPoster(p) {
  const [photo, qr] = await Promise.all([loadImage(p.image), loadImage(p.qr)]);
  const canvas = document.createElement('canvas');
  canvas.width = W * SCALE;
  canvas.height = H * SCALE;
  const ctx = canvas.getContext('2d');
  ctx.scale(SCALE, SCALE);
  const font = (px, weight = 400) => `${weight} ${px}px -apple-system, "PingFang SC", "Noto Sans CJK SC", "Microsoft YaHei", sans-serif`;

  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  // The photo, square, cropped to cover.
  ctx.fillStyle = '#f2f3f5';
  ctx.fillRect(0, 0, W, W);
  if (photo) {
    const s = Math.min(photo.naturalWidth || W, photo.naturalHeight || W);
    const sx = ((photo.naturalWidth || s) - s) / 2;
    const sy = ((photo.naturalHeight || s) - s) / 2;
    ctx.drawImage(photo, sx, sy, s, s, 0, 0, W, W);
  }
  let y = W + 44;
  let x = 24;
  if (p.badge) {
    ctx.font = font(20, 600);
    const bw = ctx.measureText(p.badge).width + 20;
    ctx.fillStyle = '#ee0a24';
    roundRect(ctx, x, y - 26, bw, 34, 6);
    ctx.fill();
    ctx.fillStyle = '#fff';
    ctx.fillText(p.badge, x + 10, y - 2);
    x += bw + 12;
  }
  ctx.fillStyle = '#ee0a24';
  ctx.font = font(36, 700);
  ctx.fillText(p.price, x, y);
  if (p.listPrice) {
    const px = x + ctx.measureText(p.price).width + 12;
    ctx.fillStyle = '#969799';
    ctx.font = font(20);
    ctx.fillText(p.listPrice, px, y);
    const lw = ctx.measureText(p.listPrice).width;
    ctx.fillRect(px, y - 7, lw, 2);
  }
  // Title (two lines) and shop on the left; the QR code on the right.
  const qrSize = 180;
  const textW = W - 48 - qrSize - 20;
  ctx.fillStyle = '#323233';
  ctx.font = font(24, 600);
  y += 44;
  for (const line of wrap(ctx, p.title, textW, 3)) {
    ctx.fillText(line, 24, y);
    y += 34;
  }
  ctx.fillStyle = '#969799';
  ctx.font = font(18);
  ctx.fillText(wrap(ctx, p.shop, textW, 1)[0] || '', 24, y + 6);
  const qy = W + 74;
  if (qr) ctx.drawImage(qr, W - 24 - qrSize, qy, qrSize, qrSize);
  ctx.fillStyle = '#969799';
  ctx.font = font(16);
  const hw = ctx.measureText(p.hint).width;
  ctx.fillText(p.hint, W - 24 - qrSize / 2 - hw / 2, qy + qrSize + 24);
  return canvas.toDataURL('image/png');
}
