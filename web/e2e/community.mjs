// Browser scenario of community group buying (社区团购, issue 17), every screen a 390×844 phone:
// the merchant publishes a campaign in the console; a resident opens the shop's campaign link and
// applies to lead (申请当团长) with a pickup point at her location; the merchant approves; her 我的团
// shows her personal link with its QR code; a neighbour orders through that link (picked up: no
// address) and another through the shop's link, choosing the nearest pickup point; the merchant
// closes the campaign early (提前截单), and the cutoff timer consolidates one batch for the point;
// the merchant ships it with one tracking number; the leader marks it arrived; the neighbour's
// order shows the pickup code (digits and QR); the leader verifies it and the order completes.
// Also: an item's own commission in the form, each leader's link and QR in the console, the
// printable picking list, a partial pickup through the code's preview (one of two units, then
// the rest, its code scanned by the camera), the leader's results (orders, GMV, commission) in the console, and her application to a
// second shop from the pickup point she already runs.
import { BASE, MOBILE, apiCall, assert, fitsTheScreen, screenshot } from './harness.mjs';

// Her pickup point, and where the neighbours stand (a few hundred metres away).
const POINT = { latitude: 31.2231, longitude: 121.5447 };
const NEAR = { latitude: 31.2250, longitude: 121.5460 };
const located = (where) => ({ ...MOBILE, geolocation: where, permissions: ['geolocation', 'camera'] });

// Polls `fn` (an API read) until it returns something truthy: the cutoff timer runs on the
// server's timer thread, a moment after the campaign is closed.
async function until(fn, what, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function pay(page) {
  await page.waitForURL(/#\/cashier\//);
  const orderId = page.url().split('/cashier/')[1];
  await page.waitForSelector('[data-test="start-pay"], [data-test="confirm-pay"]:not(.van-button--loading)');
  if (await page.locator('[data-test="start-pay"]').count()) await page.click('[data-test="start-pay"]');
  await page.waitForSelector('[data-test="confirm-pay"]:not(.van-button--loading)');
  await page.click('[data-test="confirm-pay"]');
  await page.waitForSelector('[data-test="pay-success"]', { timeout: 30000 });
  return orderId;
}

const vantTab = (page, text) => page.locator('.van-tab', { hasText: text }).first().click();

// A screenshot without the passing toast or message over it (the page in front: a page behind
// others may have its timers slowed, and the toast's with them).
async function settled(page, name) {
  await page.bringToFront();
  await page.locator('.van-toast:visible, .el-message:visible, .van-dialog:visible, .el-message-box:visible').first()
    .waitFor({ state: 'hidden', timeout: 10000 });
  await screenshot(page, name, { main: true });
}

// `h`: run.mjs's helpers (inputOf, consoleLogin, shopLogin, newBuyer, freeProduct, merchantSession, DEMO_MERCHANT).
export async function communityGroupBuy(ctx, h) {
  const session = await h.merchantSession();
  const { product, sku } = await h.freeProduct();
  const title = `周三蔬果团 ${String(Date.now()).slice(-4)}`;
  const price = sku.price_fen - 100;

  // The merchant publishes the campaign from the console on a phone.
  const { page: merchant } = await ctx.page(MOBILE, 'console');
  await h.consoleLogin(merchant, h.DEMO_MERCHANT);
  await merchant.goto(`${BASE}/console/#/community`);
  await merchant.click('[data-test="community-create"]');
  await h.inputOf(merchant, 'community-title').fill(title);
  await merchant.click('[data-test="community-product-0"]');
  await merchant.locator('.el-select-dropdown__item:visible', { hasText: product.title }).first().click();
  await h.inputOf(merchant, 'community-price-0').fill((price / 100).toFixed(2));
  await h.inputOf(merchant, 'community-stock-0').fill('20');
  await h.inputOf(merchant, 'community-item-commission-0').fill('15');
  await fitsTheScreen(merchant, 'the campaign form');
  await merchant.click('[data-test="community-publish"]');
  const campaignCard = merchant.locator('[data-test="community-campaign"]', { hasText: title });
  await campaignCard.waitFor();
  const campaignId = await campaignCard.getAttribute('data-campaign-id');
  const shopLink = (await campaignCard.locator('[data-test="community-campaign-link"]').textContent()).trim();
  assert(shopLink.endsWith(`/#/tuan/${campaignId}`), `campaign link ${shopLink}`);

  // A resident opens the shop's link and applies to lead, her pickup point where she stands.
  const residentAccount = await h.newBuyer('王阿姨');
  const { page: resident } = await ctx.page(located(POINT), 'leader');
  await h.shopLogin(resident, residentAccount);
  await resident.goto(shopLink);
  await resident.waitForSelector('[data-test="tuan-title"]');
  await resident.click('[data-test="tuan-be-leader"]');
  await h.inputOf(resident, 'leader-name').fill('王阿姨');
  await h.inputOf(resident, 'leader-phone').fill('13912345678');
  await h.inputOf(resident, 'leader-point').fill('幸福小区 3 号楼便利店');
  await h.inputOf(resident, 'leader-address').fill('浦东新区幸福路 88 弄 3 号');
  await resident.click('[data-test="leader-locate"]');
  await resident.waitForSelector('[data-test="leader-located"]');
  await fitsTheScreen(resident, 'the application form');
  await screenshot(resident, 'shop-leader-apply', { main: true });
  await resident.click('[data-test="leader-apply"]');
  const role = resident.locator('[data-test="leader-role"][data-status="pending"]');
  await role.waitFor();
  const leaderId = await role.getAttribute('data-leader-id');

  // The merchant approves the application.
  await merchant.reload();
  const application = merchant.locator(`[data-test="community-leader"][data-leader-id="${leaderId}"]`);
  await application.locator('[data-test="community-approve"]').click();
  await merchant.locator(`[data-test="community-leader"][data-leader-id="${leaderId}"][data-status="active"]`).waitFor();
  const published = await apiCall('GET', `/merchant/community/campaigns/${campaignId}`, session);
  assert(published.items[0].commission_bps === 1500, `item commission ${JSON.stringify(published.items[0])}`);

  // The console shows each active leader's own link with its QR code, to hand to her.
  await merchant.click('#tab-campaigns');
  const consoleCampaign = merchant.locator(`[data-test="community-campaign"][data-campaign-id="${campaignId}"]`);
  await consoleCampaign.locator('[data-test="community-leader-links"]').click();
  const herLink = consoleCampaign.locator(`[data-test="community-leader-link"][data-leader-id="${leaderId}"]`);
  await herLink.locator('[data-test="community-leader-qr"] svg').waitFor();
  const consoleLink = (await herLink.locator('[data-test="community-leader-url"]').textContent()).trim();
  await fitsTheScreen(merchant, 'the leader links');
  await settled(merchant, 'console-community-leader-links');

  // 我的团: her personal link (the attribution code, not her user id) with its QR code.
  await resident.reload();
  const mine = resident.locator(`[data-test="leader-campaign"][data-campaign-id="${campaignId}"]`);
  await mine.locator('[data-test="leader-qr"] svg').waitFor();
  const link = (await mine.locator('[data-test="leader-link"]').textContent()).trim();
  const { code } = (await apiCall('GET', '/me/leaders', { token: (await apiCall('POST', '/auth/login', { body: residentAccount })).token })).items[0];
  assert(link.endsWith(`/#/tuan/${campaignId}/${code}`), `leader link ${link} (code ${code})`);
  assert(consoleLink === link, `the console's link for her ${consoleLink} vs hers ${link}`);
  await settled(resident, 'shop-leader-centre');
  // 生成海报: the campaign's poster, drawn in the page with her link's QR code, to save or send.
  await mine.locator('[data-test="leader-poster"]').click();
  const poster = resident.locator('[data-test="leader-poster-image"]');
  await poster.waitFor();
  const posterSrc = await poster.getAttribute('src');
  assert(posterSrc.startsWith('data:image/png;base64,') && posterSrc.length > 20000, `the poster: ${posterSrc.slice(0, 40)}… (${posterSrc.length} chars)`);
  await resident.waitForFunction(() => getComputedStyle(document.querySelector('[data-test="leader-poster-popup"]')).opacity === '1');
  await screenshot(resident, 'shop-leader-poster', { main: true });
  await resident.locator('[data-test="leader-poster-popup"] .van-popup__close-icon').click();
  await poster.waitFor({ state: 'hidden' });

  // A neighbour buys through her link: her point, the community price, the countdown, no address.
  const neighbourAccount = await h.newBuyer('邻居小林');
  const { page: neighbour } = await ctx.page(located(NEAR), 'neighbour');
  await h.shopLogin(neighbour, neighbourAccount);
  await neighbour.goto(link);
  await neighbour.waitForSelector('[data-test="tuan-point"][data-status="open"]');
  await neighbour.waitForSelector('[data-test="tuan-countdown"][data-closed="false"]');
  const shown = await neighbour.locator('[data-test="tuan-item"] [data-test="tuan-price"]').first().textContent();
  assert(shown.includes((price / 100).toFixed(2)), `community price shown: ${shown}`);
  await neighbour.click('[data-test="tuan-item"] .van-stepper__plus');
  await neighbour.click('[data-test="tuan-item"] .van-stepper__plus');
  await screenshot(neighbour, 'shop-tuan', { main: true });
  await neighbour.click('[data-test="tuan-buy"]');
  const orderId = await pay(neighbour);

  // Another neighbour comes through the shop's link and takes the nearest pickup point: hers.
  const otherAccount = await h.newBuyer('邻居小张');
  const { page: other } = await ctx.page(located(NEAR), 'neighbour-2');
  await h.shopLogin(other, otherAccount);
  await other.goto(shopLink);
  const nearest = other.locator('[data-test="tuan-point-option"]').first();
  await nearest.waitFor();
  const pointId = await nearest.getAttribute('data-point-id');
  const { token: residentToken } = await apiCall('POST', '/auth/login', { body: residentAccount });
  const roleJson = await apiCall('GET', `/me/leaders/${leaderId}`, { token: residentToken });
  assert(pointId === roleJson.pickup_point.id, `nearest point ${pointId}, hers ${roleJson.pickup_point.id}`);
  await other.click('[data-test="tuan-item"] .van-stepper__plus');
  await screenshot(other, 'shop-tuan-nearest', { main: true });
  await other.click('[data-test="tuan-buy"]');
  const otherOrderId = await pay(other);

  const { token: neighbourToken } = await apiCall('POST', '/auth/login', { body: neighbourAccount });
  const order = await apiCall('GET', `/orders/${orderId}`, { token: neighbourToken });
  assert(order.activity?.community?.leader_id === leaderId && order.shipping_fen === 0 && !order.address?.name,
    `community order: ${JSON.stringify({ activity: order.activity, shipping: order.shipping_fen, address: order.address })}`);

  // The merchant closes the campaign early; the cutoff timer makes the point's batch.
  await merchant.reload();
  await merchant.click('#tab-campaigns');
  await merchant.locator(`[data-test="community-campaign"][data-campaign-id="${campaignId}"] [data-test="community-close"]`).click();
  await merchant.click('.el-message-box__btns .el-button--primary');
  await merchant.locator(`[data-test="community-campaign"][data-campaign-id="${campaignId}"][data-status="consolidated"]`).waitFor();
  const batch = await until(async () => (await apiCall('GET', `/merchant/community/batches?campaign_id=${campaignId}`, session)).items[0],
    'the consolidated shipment');
  const listed = batch.buyers.map((b) => b.order_id).sort();
  assert(JSON.stringify(listed) === JSON.stringify([orderId, otherOrderId].sort()), `batch buyers ${listed} vs ${orderId}, ${otherOrderId}`);

  // The merchant ships the batch with one tracking number.
  await merchant.reload();
  await merchant.click('#tab-batches');
  const card = merchant.locator(`[data-test="community-batch"][data-batch-id="${batch.id}"]`);
  await h.inputOf(card, 'community-carrier').fill('顺丰');
  await h.inputOf(card, 'community-tracking').fill(`SF${Date.now()}`);
  await card.locator('[data-test="community-ship"]').click();
  await merchant.locator(`[data-test="community-batch"][data-batch-id="${batch.id}"][data-status="shipped"]`).waitFor();
  await fitsTheScreen(merchant, 'the batches');
  await settled(merchant, 'console-community-batch');

  // The printable picking list: a page of its own with the SKU totals and each buyer.
  await card.locator('[data-test="community-print"]').click();
  await merchant.waitForSelector('[data-test="batch-print-sku"]');
  const printed = await merchant.locator('[data-test="batch-print-buyer"]').count();
  assert(printed === 2, `printed buyers ${printed}`);
  const skuQty = (await merchant.locator('[data-test="batch-print-sku"] td').nth(1).textContent()).trim();
  assert(skuQty === '3', `picking total ${skuQty} (2 + 1 units)`);
  await fitsTheScreen(merchant, 'the picking list');
  await screenshot(merchant, 'console-community-picking-print', { main: true });
  await merchant.goBack();

  // The neighbour waits for the goods: no code before they arrive.
  await neighbour.goto(`${BASE}/#/orders/${orderId}`);
  await neighbour.waitForSelector('[data-test="order-pickup"] [data-test="pickup-waiting"]');

  // The leader marks the batch arrived.
  await resident.reload();
  await vantTab(resident, '到货');
  const arriving = resident.locator(`[data-test="leader-batch"][data-batch-id="${batch.id}"]`);
  await arriving.locator('[data-test="leader-arrive"]').click();
  await resident.click('.van-dialog__confirm');
  await resident.locator(`[data-test="leader-batch"][data-batch-id="${batch.id}"][data-status="arrived"]`).waitFor();
  await settled(resident, 'shop-leader-batch');

  // The neighbour's order now shows the pickup code, digits and QR.
  await neighbour.reload();
  await neighbour.waitForSelector('[data-test="pickup-qr"] svg');
  const pickupCode = (await neighbour.locator('[data-test="pickup-code"]').textContent()).trim();
  assert(/^\d{6}$/.test(pickupCode), `pickup code ${pickupCode}`);
  await screenshot(neighbour, 'shop-pickup-code', { main: true });

  // The leader verifies it in part: the code's preview shows the two units; one is handed over.
  await vantTab(resident, '核销');
  await h.inputOf(resident, 'leader-code').fill(pickupCode);
  await resident.click('[data-test="leader-partial"]');
  const preview = resident.locator(`[data-test="leader-preview"][data-order-id="${orderId}"]`);
  await preview.waitFor();
  await preview.locator('[data-test="leader-take"] .van-stepper__minus').first().click();
  await settled(resident, 'shop-leader-partial-pickup');
  await preview.locator('[data-test="leader-verify-part"]').click();
  await resident.waitForSelector(`[data-test="leader-verified"][data-order-id="${orderId}"]`);
  const half = await apiCall('GET', `/orders/${orderId}`, { token: neighbourToken });
  assert(half.status !== 'completed', `order after a partial pickup: ${half.status}`);
  // Then the rest, the code read off the buyer's screen by the camera: 扫码 opens the camera
  // (Chromium's fake device), the QR detector reads the code and it lands in the field. The
  // detector is stubbed to see the buyer's code: headless Chromium has no BarcodeDetector, so
  // what is tested is the page's part (camera, video, detector loop, the code taken).
  await resident.addInitScript((value) => {
    window.BarcodeDetector = class { async detect() { return [{ rawValue: ` ${value} ` }]; } };
  }, pickupCode);
  await resident.reload();
  await vantTab(resident, '核销');
  await resident.click('[data-test="leader-scan"]');
  await until(async () => (await h.inputOf(resident, 'leader-code').inputValue()) === pickupCode, 'the scanned code in the field');
  await resident.locator('[data-test="leader-scanner"]').waitFor({ state: 'hidden' });
  // Handed over, the order completes.
  await resident.click('[data-test="leader-verify"]');
  await resident.waitForSelector(`[data-test="leader-verified"][data-order-id="${orderId}"]`);
  await settled(resident, 'shop-leader-verify');
  const done = await apiCall('GET', `/orders/${orderId}`, { token: neighbourToken });
  assert(done.status === 'completed', `order after pickup: ${done.status}`);
  await neighbour.reload();
  await neighbour.waitForSelector('[data-test="order-pickup"] [data-test="pickup-done"]');

  // The console's leader results: her two paid orders and the commission on the picked-up one.
  const commission = await until(async () => {
    const perf = await apiCall('GET', `/merchant/community/performance?campaign_id=${campaignId}`, session);
    const row = perf.items.find((r) => r.leader.id === leaderId);
    return row && row.commission_fen > 0 ? row : null;
  }, 'the commission in the results');
  assert(commission.orders === 2, `her orders ${JSON.stringify(commission)}`);
  await merchant.reload();
  await merchant.click('#tab-performance');
  const perfRow = merchant.locator(`[data-test="community-perf-row"][data-leader-id="${leaderId}"][data-campaign-id="${campaignId}"]`);
  await perfRow.waitFor();
  const perfOrders = (await perfRow.locator('[data-test="community-perf-orders"]').textContent()).trim();
  assert(perfOrders === '2', `orders shown ${perfOrders}`);
  await fitsTheScreen(merchant, 'the leader results');
  await settled(merchant, 'console-community-performance');

  // She leads for a second shop from the same pickup point: the form offers hers, already chosen,
  // and asks for no new point.
  const { items: onSale } = await apiCall('GET', '/products?limit=50');
  const otherShop = onSale.find((p) => p.merchant_id !== product.merchant_id).merchant_id;
  await resident.goto(`${BASE}/#/leader?merchant=${otherShop}`);
  await resident.locator('[data-test="leader-point-existing"]').waitFor();
  assert(await resident.locator('[data-test="leader-point"]').count() === 0, 'no new-point fields while her point is chosen');
  await resident.click('[data-test="leader-apply"]');
  await resident.locator('[data-test="leader-apply"]').waitFor({ state: 'detached' });
  const roles = (await apiCall('GET', '/me/leaders', { token: residentToken })).items;
  const second = roles.find((r) => r.merchant_id === otherShop);
  const first = roles.find((r) => r.id === leaderId);
  assert(second && second.status === 'pending' && second.pickup_point.id === first.pickup_point.id,
    `second role ${JSON.stringify(second)} on her point ${first.pickup_point.id}`);
}
