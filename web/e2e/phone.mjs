// The seller's console on a phone (issue 15): at 390×844 the seller ships a paid order and
// approves an after-sales refund from the bottom bar and card lists, and no page is wider than
// the screen (document.documentElement.scrollWidth <= innerWidth at every step). The back-office
// pages (finance, settings, open platform, admin) fit too, with nothing cut off inside them.
import { BASE, MOBILE, apiCall, assert, fitsTheScreen, screenshot } from './harness.mjs';

/**
 * fitsTheScreen, and inside the page nothing reaches past the screen's right edge: a wide table
 * in a scrolling box keeps the page itself narrow yet cuts its columns off.
 */
async function nothingCutOff(page, where) {
  await fitsTheScreen(page, where);
  const out = await page.evaluate(() => {
    const w = window.innerWidth;
    const main = document.querySelector('.el-main');
    return [...main.querySelectorAll('*')]
      .filter((el) => { const b = el.getBoundingClientRect(); return b.width > 0 && b.right > w + 1; })
      .slice(0, 3)
      .map((el) => `${el.tagName.toLowerCase()}.${[...el.classList].join('.')} (right edge ${Math.round(el.getBoundingClientRect().right)}px)`);
  });
  assert(!out.length, `${where}: cut off on a phone: ${out.join(', ')}`);
}

/** Opens a console page from the phone drawer and waits for `selector`. */
async function fromDrawer(page, nav, selector) {
  await page.click('[data-test="tab-more"]');
  await page.click(`[data-test="phone-drawer"] [data-test="nav-${nav}"]`);
  await page.waitForSelector(selector);
  await page.waitForSelector('.el-drawer', { state: 'hidden' }); // closed, not mid-slide in a screenshot
}

// `h`: run.mjs's helpers (consoleLogin, buyerWithPaidOrder, DEMO_MERCHANT).
export async function phoneConsole(ctx, h) {
  const buyer = await h.buyerWithPaidOrder();
  const orderId = buyer.order.id;
  const { page } = await ctx.page(MOBILE, 'seller');
  await h.consoleLogin(page, h.DEMO_MERCHANT);
  await page.waitForSelector('[data-test="phone-tabbar"]');
  assert(!(await page.locator('.el-aside').count()), 'the sidebar is still there on a phone');
  // The 数据 page with its breakdowns (charts, the cohort table, the tabs) loaded.
  await page.waitForSelector('[data-test="breakdowns"][data-loaded="true"] [data-test="bd-members-chart"][data-series] canvas');
  await fitsTheScreen(page, 'dashboard');

  // 订单 → the paid order's card → 发货.
  await page.click('[data-test="tab-orders"]');
  const card = page.locator(`[data-test="order-card"][data-order-id="${orderId}"]`);
  await card.waitFor();
  await fitsTheScreen(page, 'orders');
  await screenshot(page, 'console-phone-orders', { main: true });
  await card.locator('[data-test="order-ship"]').click();
  await page.locator('[data-test="ship-tracking"] input, input[data-test="ship-tracking"]').first().fill('SF1234567890');
  await fitsTheScreen(page, 'ship dialog');
  await page.click('[data-test="ship-confirm"]');
  await card.locator('[data-test="order-status"][data-status="shipped"]').waitFor();

  // The buyer asks for a refund; 售后 → approve (confirmed first).
  const { token } = await apiCall('POST', '/auth/login', { body: { phone: buyer.phone, password: buyer.password } });
  await apiCall('POST', `/orders/${orderId}/aftersales`, { token, body: { type: 'refund_only', amount_fen: 1, reason: '少了一包' } });
  await page.click('[data-test="tab-aftersales"]');
  const request = page.locator(`[data-test="aftersale-card"][data-order-id="${orderId}"]`);
  await request.waitFor();
  await fitsTheScreen(page, 'after-sales');
  await request.locator('[data-test="aftersale-approve"]').click();
  await page.locator('.el-message-box').waitFor();
  await fitsTheScreen(page, 'approval confirmation');
  await page.click('.el-message-box__btns .el-button--primary');
  await request.locator('[data-test="aftersale-status"]:not([data-status="pending"])').waitFor();
  await screenshot(page, 'console-phone-aftersales', { main: true });

  // The other daily pages fit too.
  for (const tab of ['products', 'activities']) {
    await page.click(`[data-test="tab-${tab}"]`);
    await page.waitForSelector(`[data-test="${tab === 'products' ? 'product' : 'activity'}-cards"]`);
    await fitsTheScreen(page, tab);
  }
  await page.click('[data-test="tab-more"]');
  await page.click('[data-test="phone-drawer"] [data-test="nav-coupons"]');
  await page.waitForSelector('[data-test="coupon-cards"]');
  await fitsTheScreen(page, 'coupons');
}

// Finance, settings, the open platform and the admin pages on a 390×844 phone: card lists and
// stacked forms, nothing wider than the screen. `h`: run.mjs's helpers.
export async function phoneBackOffice(ctx, h) {
  // A completed order of the demo shop gives its ledger rows (the finance page's card list).
  const buyer = await h.buyerWithPaidOrder();
  const session = await h.merchantSession();
  await apiCall('POST', `/merchant/orders/${buyer.order.id}/ship`, { ...session, body: { carrier: '顺丰', tracking_no: 'SF-PHONE' } });
  const { token } = await apiCall('POST', '/auth/login', { body: { phone: buyer.phone, password: buyer.password } });
  await apiCall('POST', `/orders/${buyer.order.id}/confirm`, { token });

  const { page } = await ctx.page(MOBILE, 'seller');
  await h.consoleLogin(page, h.DEMO_MERCHANT);
  await page.waitForSelector('[data-test="phone-tabbar"]');
  await fromDrawer(page, 'finance', '[data-test="finance-explain"]');
  await page.locator('[data-test="auto-card"]').first().waitFor();
  await nothingCutOff(page, 'finance');
  await page.locator('[data-test="auto-card"]').first().evaluate((el) => el.scrollIntoView({ block: 'center' }));
  await screenshot(page, 'console-phone-finance', { main: true });
  await fromDrawer(page, 'settings', '[data-test="staff-cards"]');
  await nothingCutOff(page, 'settings');

  // The open platform of a ka shop, with a key and an endpoint listed as cards.
  const ka = await ctx.page(MOBILE, 'ka-owner');
  await h.consoleLogin(ka.page, h.DEMO_KA);
  const tag = String(Date.now()).slice(-6);
  await fromDrawer(ka.page, 'open', '[data-test="key-cards"]');
  await ka.page.locator('[data-test="key-name"] input, input[data-test="key-name"]').first().fill(`手机密钥 ${tag}`);
  await ka.page.click('[data-test="key-scopes"]');
  await ka.page.locator('.el-select-dropdown__item:visible', { hasText: '读取订单' }).first().click();
  await ka.page.keyboard.press('Escape');
  await ka.page.click('[data-test="key-create"]');
  await ka.page.click('[data-test="secret-close"]');
  await ka.page.locator('[data-test="key-card"]', { hasText: `手机密钥 ${tag}` }).waitFor();
  await ka.page.locator('[data-test="hook-url"] input, input[data-test="hook-url"]').first().fill(`http://erp.example.com/phone-${tag}`);
  await ka.page.click('[data-test="hook-create"]');
  await ka.page.click('[data-test="secret-close"]');
  await ka.page.locator('[data-test="hook-card"]', { hasText: `phone-${tag}` }).waitFor();
  await nothingCutOff(ka.page, 'open platform');
  await screenshot(ka.page, 'console-phone-open', { main: true });

  // The platform admin's pages.
  const admin = await ctx.page(MOBILE, 'admin');
  await h.consoleLogin(admin.page, h.DEMO_ADMIN);
  for (const [nav, selector] of [
    ['admin-merchants', '[data-test="admin-merchant-cards"]'],
    ['admin-kinds', '[data-test="kind-c2c"]'],
    ['admin-cards', '[data-test="card-phone"]'],
    ['admin-ledger', '[data-test="ledger-check-cards"]'],
  ]) {
    await admin.page.click('[data-test="phone-menu"]');
    await admin.page.click(`[data-test="phone-drawer"] [data-test="nav-${nav}"]`);
    await admin.page.waitForSelector(selector);
    await admin.page.waitForSelector('.el-drawer', { state: 'hidden' });
    await nothingCutOff(admin.page, nav);
  }
}
