// Browser scenarios of stale or wrong states (issue 15): a flash sale's per-user limit and its
// own stock in the SKU picker, 马上抢 gone once the limit is used, and the errors a shopper
// meets on failing paths (wrong password, a phone already registered, the per-user limit)
// worded in Chinese by the shop.
import { BASE, MOBILE, apiCall, assert, screenshot } from './harness.mjs';

// `h`: run.mjs's helpers (inputOf, shopLogin, newBuyer, createActivity, DEMO_BUYER).
export async function flashLimitInPicker(ctx, h) {
  const { activity, productId, sku } = await h.createActivity('flash_sale', (price) => ({
    price_fen: Math.max(1, Math.floor(price / 2)), stock: 5, per_user_limit: 1,
  }));
  const { page: shop, expectApiError } = await ctx.page(MOBILE, 'buyer');
  const buyer = await h.newBuyer('限购');
  await h.shopLogin(shop, buyer);
  await shop.goto(`${BASE}/#/product/${productId}`);
  await shop.click('[data-test="activity-flash_sale"]');
  const picker = shop.locator('[data-test="sku-picker"]');
  await picker.locator('[data-test="sku-limit"]').waitFor();
  // The sale's own stock (5), not the SKU's; one each: the stepper cannot go to 2.
  const stock = await picker.locator('[data-test="sku-stock"]').textContent();
  assert(stock.includes('5') && !stock.includes(String(sku.stock)), `picker stock: ${stock} (SKU stock ${sku.stock})`);
  await picker.locator('[data-test="sku-confirm"]').waitFor();
  const plus = picker.locator('.van-stepper__plus');
  await plus.dispatchEvent('click');
  const qty = await picker.locator('.van-stepper__input').inputValue();
  assert(qty === '1', `the picker allows ${qty} with a limit of 1`);
  assert(await plus.evaluate((el) => el.classList.contains('van-stepper__plus--disabled') || el.disabled), 'the + button stays enabled at the limit');
  await screenshot(shop, 'shop-flash-picker-limit', { main: true });

  // The buyer takes their one (through the API), then the page offers no 马上抢.
  const { token } = await apiCall('POST', '/auth/login', { body: buyer });
  const address = { name: '限购', phone: '13800138009', region: '上海市 浦东新区', detail: '世纪大道 1 号' };
  await apiCall('POST', '/checkout', { token, body: { items: [{ sku_id: sku.id, quantity: 1 }], address, activity: { id: activity.id } } });
  await shop.reload();
  await shop.waitForSelector('[data-test="activity-flash_sale-done"]:has-text("已达限购")');
  assert(!(await shop.locator('[data-test="activity-flash_sale"]').count()), '马上抢 is still offered after the limit is used');

  // A stale link to the flash checkout: the refusal in Chinese, with the numbers.
  expectApiError('POST', /\/checkout\/preview$/, 422);
  await shop.goto(`${BASE}/#/checkout?product=${productId}&sku=${sku.id}&qty=1&activity=${activity.id}`);
  const pending = shop.locator('[data-test="pricing-pending"]');
  await pending.filter({ hasText: '每人限购 1 件' }).waitFor();
  assert((await pending.textContent()).includes('你已购买 1 件'), `limit message: ${await pending.textContent()}`);
}

export async function chineseErrors(ctx, h) {
  const { page: shop, expectApiError } = await ctx.page(MOBILE, 'buyer');
  expectApiError('POST', /\/auth\/login$/, 401);
  expectApiError('POST', /\/auth\/register$/, 409);
  // Wrong password.
  await shop.goto(`${BASE}/#/login`);
  await h.inputOf(shop, 'phone').fill(h.DEMO_BUYER.phone);
  await h.inputOf(shop, 'password').fill('wrong-password');
  await shop.click('[data-test="login-submit"]');
  await shop.locator('.van-toast', { hasText: '手机号或密码错误' }).waitFor();
  // A phone already registered.
  await shop.click('.van-tab:has-text("注册")');
  await h.inputOf(shop, 'phone').fill(h.DEMO_BUYER.phone);
  await h.inputOf(shop, 'password').fill('test1234');
  await h.inputOf(shop, 'nickname').fill('重复');
  await shop.click('[data-test="login-submit"]');
  await shop.locator('.van-toast', { hasText: '该手机号已注册' }).waitFor();
  const text = await shop.locator('.van-toast').last().textContent();
  assert(!/[a-z]{4,}/i.test(text), `an English word in the message: ${text}`);
  await screenshot(shop, 'shop-error-zh', { main: true });
}
