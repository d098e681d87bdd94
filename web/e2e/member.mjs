// Browser scenario of membership cards (issue 16): the merchant designs the card and adds a store
// in the console (the store's QR code shows), a buyer opens the store's claim link on a phone,
// claims the card, sees the member code, receives a push in the inbox, buys at the member price,
// earns points when the order completes and redeems them at checkout; the merchant pushes to the
// members carrying a data-platform tag.
import { BASE, MOBILE, DESKTOP, apiCall, assert, screenshot } from './harness.mjs';

// `h`: run.mjs's helpers (inputOf, consoleLogin, shopLogin, newBuyer, newPhone, freeProduct,
// merchantSession, checkoutAndPay, DEMO_MERCHANT).
export async function memberCard(ctx, h) {
  const { page: console_, expectApiError } = await ctx.page(DESKTOP, 'console');
  expectApiError('GET', /\/merchant\/member-programme$/, 404); // no card yet: the page offers to design one
  await h.consoleLogin(console_, h.DEMO_MERCHANT);
  await console_.goto(`${BASE}/console/#/members`);
  await h.inputOf(console_, 'members-title').fill('咖啡会员卡');
  await h.inputOf(console_, 'members-level-discount').fill('5');
  await h.inputOf(console_, 'members-level-discount').blur();
  await h.inputOf(console_, 'members-redeem-rate').fill('100');
  await h.inputOf(console_, 'members-redeem-rate').blur();
  await h.inputOf(console_, 'members-redeem-cap').fill('50');
  await h.inputOf(console_, 'members-redeem-cap').blur();
  await console_.click('[data-test="members-save"]');
  await console_.waitForFunction(() => document.querySelector('[data-test="members-programme-qr"] img')?.naturalWidth > 0);
  await console_.click('[data-test="members-add-store"]');
  await h.inputOf(console_, 'members-store-name').fill('静安店');
  await h.inputOf(console_, 'members-store-address').fill('上海市静安区南京西路 1266 号');
  await console_.click('[data-test="members-store-save"]');
  await console_.waitForFunction(() => document.querySelector('[data-test="members-store-qr"]')?.naturalWidth > 0);
  await screenshot(console_, 'console-members', { main: true });

  const session = await h.merchantSession();
  const programme = await apiCall('GET', '/merchant/member-programme', session);
  assert(programme.title === '咖啡会员卡' && programme.levels[0].discount_bps === 500, `programme as saved: ${JSON.stringify(programme)}`);
  assert(programme.redeem_points_per_yuan === 100 && programme.redeem_cap_bps === 5000, `redemption as saved: ${JSON.stringify(programme)}`);
  const stores = (await apiCall('GET', '/merchant/member-stores', session)).items;
  const store = stores.find((s) => s.name === '静安店');
  assert(store, `no store 静安店 in ${JSON.stringify(stores)}`);

  // The buyer scans the store's code: the claim page, one tap, the card with its member code.
  const { page: shop } = await ctx.page(MOBILE, 'member');
  await h.shopLogin(shop, await h.newBuyer('会员'));
  await shop.goto(`${BASE}/#/c/${store.claim_token}`);
  await shop.waitForSelector('[data-test="member-claim-store"]');
  await screenshot(shop, 'shop-member-claim', { main: true });
  await shop.click('[data-test="member-claim"]');
  await shop.waitForURL(/#\/member-cards\/\d+$/);
  const cardId = shop.url().split('/member-cards/')[1];
  const digits = (await shop.locator('[data-test="member-code-digits"]').textContent()).replace(/\s/g, '');
  assert(/^\d{18}$/.test(digits), `member code ${digits}`);
  await shop.locator('.van-toast').first().waitFor({ state: 'hidden' }); // the claim's toast, over the code
  await screenshot(shop, 'shop-member-card', { main: true });

  // The console lists the new member, phone masked.
  await console_.reload();
  await console_.waitForSelector('[data-test="members-list"] .el-table__row');
  const row = await console_.locator('[data-test="members-list"] .el-table__row').first().textContent();
  assert(row.includes('会员') && /\d{3}\*{4}\d{4}/.test(row), `member row ${row}`);

  // The merchant pushes a message from the console; it arrives in the buyer's inbox (消息).
  await console_.waitForSelector('[data-test="members-push-form"]');
  await h.inputOf(console_, 'members-push-text').fill('本周新品：会员 9.5 折');
  await console_.click('[data-test="members-push-send"]');
  await console_.waitForSelector('[data-test="members-pushes"] .el-table__row');
  await shop.goto(`${BASE}/#/inbox`);
  await shop.waitForSelector('[data-test="inbox"][data-loaded="true"]');
  const texts = await shop.locator('[data-test="inbox-text"]').allTextContents();
  assert(texts.includes('本周新品：会员 9.5 折'), `the push is not in the inbox: ${JSON.stringify(texts)}`);
  await screenshot(shop, 'shop-inbox', { main: true });

  // A push to members by a data-platform tag (新用户): the audience shows as the tag's name.
  await console_.click('[data-test="members-push-audience"]');
  await console_.locator('.el-select-dropdown__item:visible', { hasText: '按标签筛选' }).click();
  await console_.click('[data-test="members-push-tags"]');
  // Besides the fixed tags, an interest in each category with products on sale (interest:<category>).
  await console_.locator('.el-select-dropdown__item:visible', { hasText: '兴趣：' }).first().waitFor();
  await console_.locator('.el-select-dropdown__item:visible', { hasText: '新用户' }).click();
  await console_.keyboard.press('Escape');
  await h.inputOf(console_, 'members-push-text').fill('新人专享：首单加赠积分');
  await console_.click('[data-test="members-push-send"]');
  await console_.locator('[data-test="members-pushes"] .el-table__row', { hasText: '新人专享' }).first().waitFor();
  const tagRow = await console_.locator('[data-test="members-pushes"] .el-table__row', { hasText: '新人专享' }).first().textContent();
  assert(tagRow.includes('新用户'), `the tag push's audience: ${tagRow}`);
  await screenshot(console_, 'console-member-push-by-tag', { main: true });

  // Member price at checkout; points arrive when the order completes (decision 018).
  const { product } = await h.freeProduct();
  const buy = async () => {
    await shop.goto(`${BASE}/#/product/${product.id}`);
    await shop.click('[data-test="buy-now"]');
    await shop.click('[data-test="sku-confirm"]');
    await shop.waitForURL(/#\/checkout/);
  };
  await buy();
  const orderId = await h.checkoutAndPay(shop, { expectStep: 'member' });
  const buyerToken = await shop.evaluate(() => localStorage.getItem('xiaodian.token'));
  await apiCall('POST', `/merchant/orders/${orderId}/ship`, { ...session, body: { carrier: '顺丰', tracking_no: 'SF-E2E' } });
  await apiCall('POST', `/orders/${orderId}/confirm`, { token: buyerToken });
  await shop.goto(`${BASE}/#/member-cards/${cardId}`);
  await shop.waitForSelector('[data-test="member-history"]');
  const points = Number(await shop.locator('[data-test="member-points"]').textContent());
  assert(points > 0, `no points after a completed order: ${points}`);

  // Points redeemed at checkout: the shop takes them (100 points = ¥1), shown as their own step.
  await buy();
  await h.checkoutAndPay(shop, {
    expectStep: 'points',
    before: async (page) => {
      await page.waitForSelector('[data-test="member-points-option"]');
      await page.click('[data-test="member-points-toggle"]');
      await page.waitForSelector('[data-test="pricing-step"][data-step="points"]');
      await screenshot(page, 'shop-checkout-member-points', { main: true });
    },
  });
  const after = await apiCall('GET', `/me/member-cards/${cardId}`, { token: buyerToken });
  assert(after.points < points, `points not spent: ${points} → ${after.points}`);

  // A shopper without an account: one tap, register, and the card is in the new wallet.
  const { page: guest } = await ctx.page(MOBILE, 'guest');
  await guest.goto(`${BASE}/#/c/${store.claim_token}`);
  await guest.click('[data-test="member-claim"]');
  await guest.waitForURL(/#\/login/);
  await guest.locator('.van-tab').nth(1).click();
  await h.inputOf(guest, 'phone').fill(h.newPhone('17'));
  await h.inputOf(guest, 'password').fill('test1234');
  await h.inputOf(guest, 'nickname').fill('新会员');
  await guest.click('[data-test="login-submit"]');
  await guest.waitForURL(/#\/member-cards\/\d+$/);
  await guest.waitForSelector('[data-test="member-code-digits"]');
}
