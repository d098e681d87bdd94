// The seller's console on a phone (issue 15): at 390×844 the seller ships a paid order and
// approves an after-sales refund from the bottom bar and card lists, and no page is wider than
// the screen (document.scrollingElement.scrollWidth <= innerWidth at every step).
import { BASE, MOBILE, apiCall, assert, screenshot } from './harness.mjs';

async function fitsTheScreen(page, where) {
  const { scroll, inner } = await page.evaluate(() => ({ scroll: document.scrollingElement.scrollWidth, inner: window.innerWidth }));
  assert(scroll <= inner, `${where}: the page is ${scroll}px wide on a ${inner}px screen`);
}

// `h`: run.mjs's helpers (consoleLogin, buyerWithPaidOrder, DEMO_MERCHANT).
export async function phoneConsole(ctx, h) {
  const buyer = await h.buyerWithPaidOrder();
  const orderId = buyer.order.id;
  const { page } = await ctx.page(MOBILE, 'seller');
  await h.consoleLogin(page, h.DEMO_MERCHANT);
  await page.waitForSelector('[data-test="phone-tabbar"]');
  assert(!(await page.locator('.el-aside').count()), 'the sidebar is still there on a phone');
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
