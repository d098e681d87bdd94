// Browser scenarios of social selling (issue 14): a gift in parts — the sender buys 2 units as a
// gift for 2 friends; one friend, signed out, types an address, signs up on the way and comes back
// with the address kept; the other accepts signed in; the order becomes shippable with both
// addresses for the merchant.
import { BASE, DESKTOP, MOBILE, apiCall, assert, screenshot } from './harness.mjs';
import { pickRegion } from './region.mjs';

// `h`: run.mjs's helpers (inputOf, shopLogin, consoleLogin, newBuyer, newPhone, freeProduct,
// merchantSession, checkoutAndPay, fenToYuanString, DEMO_MERCHANT).
export async function giftInParts(ctx, h) {
  const { product } = await h.freeProduct();
  const { page: sender } = await ctx.page(MOBILE, 'sender');
  await h.shopLogin(sender, await h.newBuyer('分礼物的人'));
  await sender.goto(`${BASE}/#/product/${product.id}`);
  await sender.click('[data-test="buy-now"]');
  await sender.click('[data-test="sku-confirm"]');
  await sender.waitForURL(/#\/checkout/);
  const orderId = await h.checkoutAndPay(sender, {
    before: async (page) => {
      await page.click('[data-test="gift-toggle"]');
      await h.inputOf(page, 'gift-message').fill('一人一份');
      await page.click('[data-test="gift-parts"] .van-stepper__plus');
      await page.waitForFunction(() => document.querySelector('[data-test="gift-parts"] input')?.value === '2');
      await screenshot(page, 'shop-gift-parts-checkout', { main: true });
    },
  });
  const senderToken = await sender.evaluate(() => localStorage.getItem('xiaodian.token'));
  const gift = (await apiCall('GET', '/me/gifts', { token: senderToken })).items.find((g) => g.order_id === orderId);
  assert(gift && gift.parts === 2 && gift.quantity === 2, `the gift is not 2 parts of 2 units: ${JSON.stringify(gift)}`);

  // Friend one is signed out: types the address, is sent to sign up, and comes back to the gift
  // with the address still there; the tap completes on return.
  const { page: one } = await ctx.page(MOBILE, 'friend-one');
  await one.goto(`${BASE}/#${gift.link}`);
  await one.waitForSelector('[data-test="gift"][data-status="waiting"]');
  assert((await one.textContent('[data-test="gift-from"]')).includes('分礼物的人'), 'the gift page does not say who sent it');
  assert((await one.getAttribute('[data-test="gift-parts-left"]', 'data-left')) === '2', 'the page does not say 2 parts are left');
  await h.inputOf(one, 'addr-name').fill('孙八');
  await h.inputOf(one, 'addr-phone').fill('13800138006');
  await pickRegion(one, ['湖北省', '武汉市', '洪山区']);
  await h.inputOf(one, 'addr-detail').fill('珞喻路 1 号');
  await screenshot(one, 'shop-gift-part-claim', { main: true });
  await one.click('[data-test="gift-accept"]');
  await one.waitForURL(/#\/login/);
  await one.locator('.van-tab').nth(1).click();
  await h.inputOf(one, 'phone').fill(h.newPhone('17'));
  await h.inputOf(one, 'password').fill('test1234');
  await h.inputOf(one, 'nickname').fill('孙八');
  await one.click('[data-test="login-submit"]');
  await one.waitForSelector('[data-test="gift-my-part"][data-part="1"]');

  // Friend two is signed in and takes the other part.
  const { page: two } = await ctx.page(MOBILE, 'friend-two');
  await h.shopLogin(two, await h.newBuyer('周九'));
  await two.goto(`${BASE}/#${gift.link}`);
  await two.waitForSelector('[data-test="gift-parts-left"][data-left="1"]');
  await h.inputOf(two, 'addr-name').fill('周九');
  await h.inputOf(two, 'addr-phone').fill('13800138007');
  await pickRegion(two, ['江苏省', '南京市', '鼓楼区']);
  await h.inputOf(two, 'addr-detail').fill('中山路 2 号');
  await two.click('[data-test="gift-accept"]');
  await two.waitForSelector('[data-test="gift-my-part"][data-part="2"]');

  // The sender's list shows both parts taken; the order is shippable; the merchant has both addresses.
  await sender.goto(`${BASE}/#/gifts`);
  await sender.waitForSelector(`[data-test="my-gift"][data-order-id="${orderId}"][data-status="accepted"]`);
  assert((await sender.locator(`[data-test="my-gift"][data-order-id="${orderId}"] [data-test="my-gift-part"][data-status="accepted"]`).count()) === 2,
    'the sender does not see both parts accepted');
  await screenshot(sender, 'shop-gift-parts-sent', { main: true });
  await sender.goto(`${BASE}/#/orders/${orderId}`);
  await sender.waitForSelector('[data-test="order-detail"][data-status="paid"][data-sub-status=""]');
  const parts = await apiCall('GET', `/merchant/orders/${orderId}/gift-parts`, await h.merchantSession());
  const names = parts.parts.map((p) => p.address?.name);
  assert(names[0] === '孙八' && names[1] === '周九', `the merchant's parts: ${JSON.stringify(parts)}`);
}

// Share-to-drop: created in the console's activity form with one tier (1 friend → 10% off);
// a buyer sees "0/1 位好友打开" on the product, shares the activity's link from the panel; a
// friend opens it signed in; the buyer's progress and price drop.
export async function shareToDrop(ctx, h) {
  const { product, sku } = await h.freeProduct({ withImage: true }); // the poster shows its photo
  const { page: merchant } = await ctx.page(DESKTOP, 'merchant');
  await h.consoleLogin(merchant, h.DEMO_MERCHANT);
  await merchant.click('[data-test="nav-activities"]');
  await merchant.click('[data-test="activity-create"]');
  await merchant.click('[data-test="type-share_drop"]');
  await merchant.click('[data-test="activity-product"]');
  await merchant.keyboard.type(product.title);
  await merchant.locator('.el-select-dropdown__item:visible', { hasText: product.title }).first().click();
  await h.inputOf(merchant, 'activity-price').fill(h.fenToYuanString(Math.floor(sku.price_fen / 2)));
  await h.inputOf(merchant, 'drop-tier-opens-0').fill('1');
  await h.inputOf(merchant, 'drop-tier-off-0').fill('10');
  await h.inputOf(merchant, 'drop-tier-off-0').blur();
  await screenshot(merchant, 'console-share-drop-create', { main: true });
  await merchant.click('[data-test="activity-save"]');
  await merchant.locator('.el-message--success').first().waitFor();
  const { items } = await apiCall('GET', '/merchant/activities?limit=5', await h.merchantSession());
  const activity = items.find((a) => a.sku_id === sku.id && a.type === 'share_drop' && a.status === 'active');
  assert(activity && activity.tiers?.[0]?.opens === 1 && activity.tiers[0].off_bps === 1000, `the console did not create the share-to-drop: ${JSON.stringify(items[0])}`);

  const sharerLogin = await h.newBuyer('转发达人');
  const friendLogin = await h.newBuyer('好友甲');
  const sharerToken = (await apiCall('POST', '/auth/login', { body: sharerLogin })).token;
  const friendToken = (await apiCall('POST', '/auth/login', { body: friendLogin })).token;
  await apiCall('POST', '/friends/requests', { token: sharerToken, body: { phone: friendLogin.phone } });
  const request = (await apiCall('GET', '/friends/requests', { token: friendToken })).items[0];
  await apiCall('POST', `/friends/requests/${request.id}/accept`, { token: friendToken });

  const { page: sharer } = await ctx.page(MOBILE, 'sharer');
  await h.shopLogin(sharer, sharerLogin);
  await sharer.goto(`${BASE}/#/product/${product.id}`);
  const panel = `[data-test="activity"][data-activity-id="${activity.id}"]`;
  await sharer.waitForSelector('[data-test="share-drop-progress"][data-friends="0"]');
  assert((await sharer.textContent('[data-test="share-drop-progress"]')).includes('0/1'), 'the progress does not say 0/1');
  await screenshot(sharer, 'shop-share-drop', { main: true });
  await sharer.click(`${panel} [data-test="share-drop-share"]`);
  const linkBox = sharer.locator('[data-test="share-link"]:not([data-code=""])');
  await linkBox.waitFor();
  const code = await linkBox.getAttribute('data-code');
  const share = await apiCall('GET', `/shares/${code}`);
  assert(share.target.kind === 'activity' && share.target.id === activity.id, `the panel shared ${JSON.stringify(share.target)}`);
  // 生成海报: a PNG poster of the activity (badge, price) with the link's QR code, to long-press.
  await sharer.click('[data-test="share-poster"]');
  const poster = sharer.locator('[data-test="poster-image"]');
  await poster.waitFor();
  assert((await poster.getAttribute('data-badge')) === '转发降价', `the poster's badge is "${await poster.getAttribute('data-badge')}"`);
  const drawn = await poster.evaluate(async (img) => {
    await img.decode();
    const c = document.createElement('canvas');
    c.width = img.naturalWidth;
    c.height = img.naturalHeight;
    const g = c.getContext('2d');
    g.drawImage(img, 0, 0);
    // Dark modules in the QR's square (bottom right) and a photo that is not blank (top).
    const dark = (x, y, w, h) => {
      const d = g.getImageData(x, y, w, h).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i] + d[i + 1] + d[i + 2] < 200) n++;
      return n / (w * h);
    };
    const photo = g.getImageData(0, 0, c.width, c.width).data;
    let colours = 0;
    for (let i = 0; i < photo.length; i += 4 * 997) if (photo[i] !== 242 || photo[i + 1] !== 243) colours++;
    return { src: img.src.slice(0, 22), w: c.width, h: c.height, qr: dark(c.width - 48 - 360, c.width + 148, 360, 360), colours };
  });
  assert(drawn.src === 'data:image/png;base64,' && drawn.w === 1200 && drawn.h === 1800, `the poster is ${JSON.stringify(drawn)}`);
  assert(drawn.qr > 0.2 && drawn.qr < 0.8, `no QR code on the poster (${drawn.qr} of its square dark)`);
  if (drawn.colours <= 100) {
    const photo = await poster.getAttribute('data-photo');
    const fetched = await sharer.evaluate(async (u) => { try { const r = await fetch(u); return `${r.status} ${r.headers.get('content-type')} ${(await r.arrayBuffer()).byteLength} B`; } catch (e) { return String(e); } }, photo);
    assert(false, `the poster has no product photo (photo ${photo}: ${fetched})`);
  }
  assert((await sharer.getAttribute('[data-test="poster-save"]', 'download')) === 'xiaodian-poster.png', 'no 保存图片 download');
  await sharer.waitForFunction(() => !document.querySelector('[class*="-enter-active"]')); // popped up, not mid-fade
  await screenshot(sharer, 'shop-share-poster', { main: true });
  await sharer.locator('[data-test="poster-popup"] .van-popup__close-icon').click();

  const { page: friend } = await ctx.page(MOBILE, 'friend');
  await h.shopLogin(friend, friendLogin);
  await friend.goto((await linkBox.textContent()).trim());
  await friend.waitForURL(new RegExp(`#/product/${product.id}`));
  await friend.waitForSelector('[data-test="product-title"]');

  await sharer.reload();
  await sharer.waitForSelector('[data-test="share-drop-progress"][data-friends="1"]');
  const price = Number(await sharer.getAttribute('[data-test="share-drop-progress"]', 'data-price'));
  const off = sku.price_fen - price; // 10% of the list price, rounded by the server
  assert(Math.abs(off - sku.price_fen / 10) <= 1, `the price ${price} is not 10% off ${sku.price_fen}`);
  await screenshot(sharer, 'shop-share-drop-dropped', { main: true });
}
