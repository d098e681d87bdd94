// Browser scenario of reviews and favourites (issue 15): a buyer reviews a completed order's
// item from the order page, the review shows on the product page, the merchant answers it in
// the console and the answer shows too; the buyer favourites the product and finds it under
// 我的收藏, and finds it again under 浏览记录. The review carries a photo the buyer uploads in
// the form; the product page shows its thumbnail, which opens the large size.
import { BASE, MOBILE, DESKTOP, apiCall, assert, screenshot } from './harness.mjs';
import { gradientPng } from './media.mjs';

// `h`: run.mjs's helpers (consoleLogin, shopLogin, buyerWithPaidOrder, merchantSession, DEMO_MERCHANT).
export async function reviewAndFavourite(ctx, h) {
  const buyer = await h.buyerWithPaidOrder();
  const orderId = buyer.order.id;
  const productId = buyer.order.items[0].product_id;
  const session = await h.merchantSession();
  await apiCall('POST', `/merchant/orders/${orderId}/ship`, { ...session, body: { carrier: '顺丰速运', tracking_no: 'SF778899' } });
  await apiCall('POST', `/merchant/orders/${orderId}/tracking`, { ...session, body: { description: '已签收', delivered: true } });
  const { token } = await apiCall('POST', '/auth/login', { body: { phone: buyer.phone, password: buyer.password } });
  await apiCall('POST', `/orders/${orderId}/confirm`, { token });

  const { page: shop } = await ctx.page(MOBILE, 'buyer');
  await h.shopLogin(shop, buyer);
  await shop.goto(`${BASE}/#/orders/${orderId}`);
  await shop.click('[data-test="go-review"]');
  const item = shop.locator('[data-test="review-item"]').first();
  await item.locator('[data-test="review-rating"] .van-rate__item').nth(3).click(); // 4 stars
  const text = `豆子很新鲜 ${String(Date.now()).slice(-4)}`;
  await item.locator('[data-test="review-text"] textarea').fill(text);
  await item
    .locator('[data-test="review-photos"] input[type="file"]')
    .setInputFiles({ name: 'beans.png', mimeType: 'image/png', buffer: gradientPng(640, 480) });
  // The card shows the server's thumbnail once the upload is answered.
  await item.locator('[data-test="review-photos"] img[src*="/media/"][src$="-s.jpg"]').waitFor();
  await item.locator('[data-test="review-submit"]').click();
  await item.locator('[data-test="review-done"]').waitFor();

  // The product page shows it (masked name), with the rating and the photo's thumbnail.
  await shop.goto(`${BASE}/#/product/${productId}`);
  const review = shop.locator('[data-test="product-reviews"] [data-test="review"]', { hasText: text });
  await review.waitFor();
  const photo = review.locator('[data-test="review-photo"] img');
  await shop.waitForFunction(
    (el) => el && /^\/media\/[0-9a-f]{64}-s\.jpg$/.test(el.getAttribute('src') || '') && el.naturalWidth > 0 && el.naturalWidth <= 160,
    await photo.elementHandle(),
  );
  // Tapping it opens the large size.
  await photo.click();
  await shop.locator('.van-image-preview img[src$="-l.jpg"]').waitFor();
  await shop.locator('.van-image-preview__close-icon').click();
  await shop.locator('.van-image-preview').waitFor({ state: 'hidden' });
  await shop.waitForSelector('[data-test="product-rating"]');
  // Favourite it; 我的收藏 lists it; 浏览记录 has it.
  await shop.click('[data-test="favorite"]');
  await shop.waitForSelector('[data-test="favorite"][data-on="true"]');
  await screenshot(shop, 'shop-product-review', { main: true });
  // The shop row opens the shop's storefront (its follow button, coupons and products).
  await shop.click('[data-test="shop-link"]');
  await shop.waitForSelector('[data-test="storefront"] [data-test="store-follow"]');
  await shop.goto(`${BASE}/#/favorites`);
  await shop.waitForSelector(`[data-test="fav-product"][data-product-id="${productId}"]`);
  await shop.goto(`${BASE}/#/history`);
  await shop.waitForSelector(`[data-test="history-list"] [data-product-id="${productId}"]`);

  // The merchant answers in the console; the answer shows under the review.
  const { page: console_ } = await ctx.page(DESKTOP, 'console');
  await h.consoleLogin(console_, h.DEMO_MERCHANT);
  await console_.goto(`${BASE}/console/#/reviews`);
  const card = console_.locator('[data-test="review-card"]', { hasText: text });
  await card.locator('[data-test="review-photo"] img[src$="-s.jpg"]').waitFor();
  await card.locator('[data-test="review-reply-open"]').click();
  await console_.locator('[data-test="review-reply-text"] textarea, textarea[data-test="review-reply-text"]').first().fill('谢谢支持，欢迎再来！');
  await console_.click('[data-test="review-reply-send"]');
  await card.locator('[data-test="review-reply"]').waitFor();
  await screenshot(console_, 'console-reviews', { main: true });
  await shop.goto(`${BASE}/#/product/${productId}`);
  await shop.locator('[data-test="review"]', { hasText: text }).locator('[data-test="review-reply"]:has-text("谢谢支持")').waitFor();
  assert((await review.locator('.name').textContent()).endsWith('*'), 'the reviewer is not masked on the product page');
}

// 客服: a buyer asks the shop from a product page; the console shows the unread question,
// answers it; the buyer reads the answer.
export async function customerService(ctx, h) {
  const { product } = await h.freeProduct();
  const { page: shop } = await ctx.page(MOBILE, 'buyer');
  await h.shopLogin(shop, await h.newBuyer('咨询'));
  await shop.goto(`${BASE}/#/product/${product.id}`);
  await shop.click('[data-test="contact-shop"]');
  await shop.waitForSelector('[data-test="cs-subject"]');
  const question = `这款有现货吗？${String(Date.now()).slice(-4)}`;
  await shop.locator('[data-test="cs-input"] input').fill(question);
  await shop.click('[data-test="cs-send"]');
  await shop.locator('[data-test="cs-message"][data-sender="buyer"]', { hasText: question }).waitFor();

  const { page: console_ } = await ctx.page(DESKTOP, 'console');
  await h.consoleLogin(console_, h.DEMO_MERCHANT);
  await console_.waitForSelector('[data-test="nav-cs-unread"]');
  await console_.click('[data-test="nav-cs"]');
  const thread = console_.locator('[data-test="cs-thread"]', { hasText: question });
  await thread.locator('[data-test="cs-thread-unread"]').waitFor();
  await thread.click();
  await console_.locator('[data-test="cs-conversation"] [data-test="cs-message"]', { hasText: question }).waitFor();
  await console_.locator('[data-test="cs-reply"] input, input[data-test="cs-reply"]').first().fill('有的，今天下单明天发货');
  await console_.click('[data-test="cs-send"]');
  await console_.locator('[data-test="cs-message"][data-sender="merchant"]', { hasText: '明天发货' }).waitFor();
  await thread.locator('[data-test="cs-thread-unread"]').waitFor({ state: 'detached' });
  await screenshot(console_, 'console-customer-service', { main: true });

  await shop.reload();
  await shop.locator('[data-test="cs-message"][data-sender="merchant"]', { hasText: '明天发货' }).waitFor();
  await screenshot(shop, 'shop-customer-service', { main: true });
}
