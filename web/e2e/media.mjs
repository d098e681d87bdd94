// Browser scenario of uploaded photos (issue 14): the merchant uploads a photo in the console's
// product dialog (Element Plus upload), saves the product, and the shop's product page shows
// the photo the server re-encoded (its /media/<sha256>-l.jpg, loaded as a real image).
import zlib from 'node:zlib';
import { BASE, MOBILE, DESKTOP, apiCall, assert, screenshot } from './harness.mjs';

// A `w`x`h` RGB PNG of a colour gradient, made here so the test needs no image file.
export function gradientPng(w, h) {
  const chunk = (type, data) => {
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const raw = Buffer.alloc((w * 3 + 1) * h);
  for (let y = 0; y < h; y++) {
    const row = y * (w * 3 + 1);
    for (let x = 0; x < w; x++) raw.set([(x * 255) / w, (y * 255) / h, 128], row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', zlib.deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

// `h`: run.mjs's helpers (inputOf, consoleLogin, DEMO_MERCHANT).
export async function photoUpload(ctx, h) {
  const { page } = await ctx.page(DESKTOP, 'merchant');
  await h.consoleLogin(page, h.DEMO_MERCHANT);
  await page.click('[data-test="nav-products"]');
  await page.click('[data-test="product-create"]');
  const title = `带照片的杯子 ${Date.now()}`;
  await h.inputOf(page, 'product-title').fill(title);
  await h.inputOf(page, 'product-category').fill('家居');
  await page.locator('input[data-test="sku-price"]').first().fill('25.00');
  await page
    .locator('[data-test="product-upload"] input[type="file"]')
    .setInputFiles({ name: 'cup.png', mimeType: 'image/png', buffer: gradientPng(900, 600) });
  // The card shows the server's copy once the upload is answered.
  await page.waitForFunction(() =>
    [...document.querySelectorAll('[data-test="product-upload"] img')].some((i) => i.src.includes('/media/') && i.naturalWidth > 0),
  );
  await screenshot(page, 'console-product-photo');
  await page.click('[data-test="product-save"]');
  await page.locator('[data-test="product-table"] tr', { hasText: title }).waitFor();

  const { items } = await apiCall('GET', `/products?q=${encodeURIComponent(title)}`);
  const found = items.find((p) => p.title === title);
  assert(found, 'the new product is not found by search');
  const product = await apiCall('GET', `/products/${found.id}`);
  assert(/^\/media\/[0-9a-f]{64}-l\.jpg$/.test(product.images[0] || ''), `images as stored: ${JSON.stringify(product.images)}`);

  const { page: shop } = await ctx.page(MOBILE, 'buyer');
  await shop.goto(`${BASE}/#/product/${found.id}`);
  await shop.waitForSelector('[data-test="buy-now"]');
  await shop.waitForFunction(
    (src) => [...document.querySelectorAll('.gallery img')].some((i) => i.getAttribute('src') === src && i.naturalWidth === 900),
    product.images[0],
  );
  await screenshot(shop, 'shop-product-photo');
}
