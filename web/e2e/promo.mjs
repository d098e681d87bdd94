// Browser scenarios of the promotions a buyer finds and the coupon console (issues 15 and 14):
// badges on list cards, a channel page with countdowns, a shop's coupons on its product page,
// the coupon centre; a coupon created in the console, claimed from its QR link, shown as
// 已领取, and the coupon page never showing the previous coupon when moving between links.
import { BASE, MOBILE, DESKTOP, apiCall, assert, screenshot } from './harness.mjs';

// `h`: run.mjs's helpers (inputOf, consoleLogin, shopLogin, newBuyer, merchantSession, demoMerchantId, DEMO_MERCHANT).
export async function couponConsoleToQr(ctx, h) {
  const { page: console_ } = await ctx.page(DESKTOP, 'console');
  await h.consoleLogin(console_, h.DEMO_MERCHANT);
  await console_.goto(`${BASE}/console/#/coupons`);
  await console_.waitForSelector('[data-test="coupon-table"]');
  const title = `扫码券${String(Date.now()).slice(-5)}`;
  await console_.click('[data-test="coupon-create"]');
  await h.inputOf(console_, 'coupon-title').fill(title);
  await h.inputOf(console_, 'coupon-amount').fill('3');
  await h.inputOf(console_, 'coupon-min-spend').fill('20');
  await console_.click('[data-test="coupon-save"]');
  // Saved: the QR dialog opens with the claim link and its code.
  await console_.waitForFunction(() => document.querySelector('[data-test="coupon-qr-img"]')?.naturalWidth > 0);
  const link = await h.inputOf(console_, 'coupon-link').inputValue();
  assert(/\/#\/coupon\/\d+$/.test(link), `claim link: ${link}`);
  const couponId = link.split('/').pop();
  const png = await console_.evaluate(async (href) => {
    const r = await fetch(href);
    return { status: r.status, type: r.headers.get('content-type') };
  }, await console_.locator('[data-test="coupon-qr-png"]').getAttribute('href'));
  assert(png.status === 200 && png.type === 'image/png', `QR download: ${JSON.stringify(png)}`);
  await screenshot(console_, 'console-coupon-qr', { main: true });

  // The buyer scans it: the claim page, one tap, 已领取.
  const { page: shop } = await ctx.page(MOBILE, 'buyer');
  await h.shopLogin(shop, await h.newBuyer('领券'));
  await shop.goto(link.replace(/^https?:\/\/[^/]+/, BASE));
  await shop.waitForSelector(`[data-test="coupon-card"][data-coupon-id="${couponId}"]`);
  assert((await shop.textContent('[data-test="coupon-card"]')).includes(title), 'the claim page shows another coupon');
  await shop.click('[data-test="coupon-claim"]');
  await shop.waitForSelector('[data-test="coupon-claimed"]:has-text("已领取")');

  // Another coupon's link in the same page: its own card and its own state, nothing of the
  // previous one; back to the first: 已领取 again (from the server, not from the page).
  const session = await h.merchantSession();
  const other = (await apiCall('GET', '/merchant/coupons', session)).items.find((c) => c.id !== couponId && c.status === 'active' && c.remaining > 0);
  assert(other, 'no second active coupon of the demo shop');
  await shop.evaluate((id) => { location.hash = `#/coupon/${id}`; }, other.id);
  await shop.waitForSelector(`[data-test="coupon-card"][data-coupon-id="${other.id}"]`);
  assert(!(await shop.locator(`[data-test="coupon-card"][data-coupon-id="${couponId}"]`).count()), 'the previous coupon is still shown');
  await shop.waitForSelector('[data-test="coupon-claim"]');
  assert(!(await shop.locator('[data-test="coupon-claimed"]').count()), 'the next coupon shows 已领取 before it was claimed');
  await shop.goBack();
  await shop.waitForSelector(`[data-test="coupon-card"][data-coupon-id="${couponId}"]`);
  await shop.reload();
  await shop.waitForSelector(`[data-test="coupon-card"][data-coupon-id="${couponId}"] [data-test="coupon-claimed"]`);
  await screenshot(shop, 'shop-coupon-claimed', { main: true });

  // The console counts the claim; stopping takes it out of the shop's lists.
  await console_.goto(`${BASE}/console/#/dashboard`);
  await console_.goto(`${BASE}/console/#/coupons`);
  const row = console_.locator('.el-table__row', { has: console_.locator(`[data-test="coupon-row-${couponId}"]`) });
  await row.locator('[data-test="coupon-claimed"]:has-text("1")').waitFor();
  await row.locator('[data-test="coupon-stop"]').click();
  await console_.click('.el-message-box__btns .el-button--primary');
  await row.locator('[data-test="coupon-status"]:has-text("已停止")').waitFor();
  const listed = (await apiCall('GET', `/merchants/${await h.demoMerchantId()}/coupons`)).items.map((c) => c.id);
  assert(!listed.includes(couponId), 'a stopped coupon is still claimable');
}

// Home → 秒杀 channel with countdowns → the product → the shop's coupons on the product page →
// the shop's page with activity badges on its cards; the coupon centre offers the platform's
// new-user coupon.
export async function findPromotions(ctx, h) {
  const { page: shop } = await ctx.page(MOBILE, 'buyer');
  await h.shopLogin(shop, await h.newBuyer('逛逛'));
  await shop.goto(`${BASE}/#/`);
  await shop.click('[data-test="channel-flash_sale"]');
  await shop.waitForSelector('[data-test="channel-item"] [data-test="countdown"]');
  const countdown = await shop.textContent('[data-test="countdown"]');
  assert(/\d{2} 天 \d{2}:\d{2}:\d{2}/.test(countdown), `countdown: ${countdown}`);
  await screenshot(shop, 'shop-channel-flash', { main: true });
  const productId = await shop.getAttribute('[data-test="channel-item"]', 'data-product-id');
  await shop.click('[data-test="channel-item"]');
  await shop.waitForSelector('[data-test="activity"][data-type="flash_sale"]');
  assert(shop.url().endsWith(`/product/${productId}`), `landed on ${shop.url()}`);
  // The demo shop's 满100减10 on the product page: claimed from the sheet.
  await shop.click('[data-test="shop-coupons"]');
  const sheet = shop.locator('[data-test="shop-coupons-sheet"]');
  await sheet.locator('[data-test="coupon-claim"]').first().click();
  await sheet.locator('[data-test="coupon-held"]').first().waitFor();
  await shop.keyboard.press('Escape');
  await shop.goto(`${BASE}/#/search?merchant_id=${await h.demoMerchantId()}`);
  // Scrolled down until the list has loaded the product (the activities are on older products).
  await shop.waitForFunction((sel) => {
    window.scrollTo(0, document.body.scrollHeight);
    return Boolean(document.querySelector(sel));
  }, `[data-test="product-card"][data-product-id="${productId}"] [data-test="activity-badge"][data-type="flash_sale"]`);
  const badges = await shop.locator('[data-test="activity-badge"]').evaluateAll((els) => els.map((e) => e.dataset.type));
  assert(badges.includes('group_buy') && badges.includes('bargain'), `badges on the shop page: ${badges.join(', ')}`);
  await shop.waitForSelector('[data-test="shop-coupons"]');
  await screenshot(shop, 'shop-page-badges', { main: true });

  // The coupon centre: the platform's new-user coupon, and the shop coupon just claimed as 已领取.
  await shop.goto(`${BASE}/#/coupon-centre`);
  const platform = shop.locator('[data-test="centre-platform"] [data-test="coupon-card"]', { hasText: '平台新人券' });
  await platform.waitFor();
  await platform.locator('[data-test="coupon-claim"]').click();
  await platform.locator('[data-test="coupon-held"]').waitFor();
  await shop.waitForSelector('[data-test="centre-shops"] [data-test="coupon-held"]');
  await screenshot(shop, 'shop-coupon-centre', { main: true });
}
