// Browser scenario of the traffic layer (issue 20): a buyer on a phone follows a shop from its
// storefront (banner, intro, coupon, an upcoming room; 关注 → 已关注, one more follower); a friend
// recommends a product; the followed shop
// lists a new product and a room goes live; the buyer's home feed shows the friend's
// recommendation (with the friend's name), the followed shop's new product and the live room,
// and the impressions it logs carry the feed's id and positions.
import { BASE, DESKTOP, MOBILE, apiCall, assert, fitsTheScreen, screenshot } from './harness.mjs';
import { gradientPng } from './media.mjs';

// Vant's toast (关注成功…) fades after two seconds: screenshots wait for it to go.
const toastGone = (page) => page.waitForSelector('.van-toast', { state: 'hidden' }).catch(() => {});

export async function homeFeed(ctx, h) {
  const session = await h.merchantSession();
  // A small shop opened today (c2c: active at once), with two products.
  const owner = await h.newBuyer('小林');
  const { token: ownerToken } = await apiCall('POST', '/auth/login', { body: owner });
  const small = await apiCall('POST', '/merchants', { token: ownerToken, body: { kind: 'c2c', name: '小林手作' } });
  const smallSession = { token: ownerToken, headers: { 'X-Merchant-Id': small.id } };
  const list = (title, price) => apiCall('POST', '/merchant/products', {
    ...smallSession,
    body: { title, category: '食品', images: [], skus: [{ spec: {}, price_fen: price, stock: 30 }], status: 'on_sale' },
  });
  const sesame = await list('手工芝麻酥', 1880);
  await list('手工杏仁饼', 2280);
  const merchantId = small.id;
  // Its storefront has what a shop's page shows: a banner photo, an intro, a coupon and a room.
  const upload = await fetch(`${BASE}/api/v1/merchant/media`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/png', Authorization: `Bearer ${ownerToken}`, 'X-Merchant-Id': small.id },
    body: gradientPng(1200, 400),
  });
  assert(upload.status === 201, `banner upload: ${upload.status}`);
  const banner = (await upload.json()).url;
  await apiCall('PATCH', '/merchant', { ...smallSession, body: { banner, description: '手工点心，每天现做现发；芝麻、杏仁都选本地好料。' } });
  await apiCall('POST', '/merchant/coupons', {
    ...smallSession,
    body: { title: '新店见面礼', kind: 'threshold', amount_fen: 300, min_spend_fen: 3000, total_quota: 100, scope: { type: 'merchant' }, valid_days: 30 },
  });
  await apiCall('POST', '/merchant/live/rooms', {
    ...smallSession,
    body: { title: '周末现做直播', stream_url: 'https://live.example.com/hls/xiaolin.m3u8',
      starts_at: new Date(Date.now() + 2 * 86400e3).toISOString(),
      products: [{ sku_id: sesame.skus[0].id, live_price_fen: 1580, live_stock: 10 }] },
  });
  const buyer = await h.newBuyer('逛逛');
  const pal = await h.newBuyer('老友阿强');
  const { token: buyerToken } = await apiCall('POST', '/auth/login', { body: buyer });
  const { token: palToken } = await apiCall('POST', '/auth/login', { body: pal });
  await apiCall('POST', '/friends/requests', { token: palToken, body: { phone: buyer.phone } });
  const reqs = await apiCall('GET', '/friends/requests', { token: buyerToken });
  await apiCall('POST', `/friends/requests/${reqs.items[0].id}/accept`, { token: buyerToken });
  const { product: recommended } = await h.freeProduct();
  await apiCall('POST', '/recommendations', { token: palToken, body: { product_id: recommended.id, text: '这个真的好用' } });

  // The buyer follows the small shop from its storefront.
  const { page } = await ctx.page(MOBILE, 'feed');
  // The client events the shop sends (track.js batches them every few seconds).
  const sent = [];
  page.on('request', (req) => {
    if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/api/v1/events') return;
    try { sent.push(...(JSON.parse(req.postData() || '{}').events || [])); } catch { /* not JSON: not ours */ }
  });
  await h.shopLogin(page, buyer);
  await page.goto(`${BASE}/#/shop/${merchantId}`);
  await page.waitForSelector('[data-test="store-follow"][data-following="0"]');
  const before = (await apiCall('GET', `/shops/${merchantId}`)).followers;
  await page.click('[data-test="store-follow"]');
  await page.waitForSelector('[data-test="store-follow"][data-following="1"]');
  const after = (await apiCall('GET', `/shops/${merchantId}`)).followers;
  assert(after === before + 1, `followers ${before} → ${after}`);
  await page.waitForSelector('[data-test="product-card"]');
  await page.waitForSelector('[data-test="store-banner"][data-banner="1"]');
  await page.waitForSelector('[data-test="store-intro"]');
  await page.waitForSelector('[data-test="store-live"]');
  await page.waitForSelector('[data-test="shop-coupons"]');
  await page.waitForFunction(() => [...document.images].every((i) => i.complete));
  await toastGone(page);
  await fitsTheScreen(page, 'the storefront');
  await screenshot(page, 'shop-storefront', { main: true });

  // The followed shop lists something new; a room goes live.
  const fresh = await list('新上架 手工桂花糕', 1680);
  const { sku } = await h.freeProduct();
  const room = await apiCall('POST', '/merchant/live/rooms', {
    ...session,
    body: { title: '晚间直播 好物推荐', stream_url: 'https://live.example.com/hls/evening.m3u8',
      products: [{ sku_id: sku.id, live_price_fen: Math.max(100, Math.floor(sku.price_fen / 2)), live_stock: 3 }] },
  });
  await apiCall('POST', `/merchant/live/rooms/${room.id}/start`, session);

  // The home feed shows all three: the live room leads, the friend's recommendation names the
  // friend, the followed shop's new product says why it is there.
  await page.goto(`${BASE}/#/`);
  await page.waitForSelector(`[data-test="feed-live"][data-room-id="${room.id}"]`);
  await page.locator(`[data-test="feed-live"][data-room-id="${room.id}"]`).scrollIntoViewIfNeeded();
  await page.waitForSelector(`[data-test="product-card"][data-feed-id][data-product-id="${recommended.id}"][data-source="friend"]`);
  const reason = await page.locator(`[data-test="product-card"][data-feed-id][data-product-id="${recommended.id}"] [data-test="feed-reason"]`).textContent();
  assert(reason.includes('老友阿强'), `friend's reason: ${reason}`);
  await toastGone(page);
  await screenshot(page, 'shop-home-feed', { main: true });
  // The followed shop's new product is further down (a page shows one of the buyer's friends'
  // or followed shops' items by its third slot, rank.h kSocialSlot): the buyer scrolls.
  const followed = `[data-test="product-card"][data-feed-id][data-product-id="${fresh.id}"][data-source="followed"]`;
  for (let i = 0; i < 30 && (await page.locator(followed).count()) === 0; ++i) {
    const n = await page.locator('[data-test="product-card"][data-feed-id]').count();
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await page.waitForFunction((k) => document.querySelectorAll('[data-test="product-card"][data-feed-id]').length > k
      || document.querySelector('.van-list__finished-text'), n).catch(() => {});
  }
  if ((await page.locator(followed).count()) === 0) {
    // Not on the page: say what the feed API gives this buyer.
    let cursor = null; const seen = [];
    for (let i = 0; i < 40; ++i) {
      const r = await apiCall('GET', `/feed?limit=20${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { token: buyerToken });
      for (const it of r.items || []) {
        if (it.kind === 'product') seen.push(`${it.product.id}:${it.source}:${it.product.merchant_id}`);
      }
      cursor = r.next_cursor; if (!cursor) break;
    }
    throw new Error(`the followed shop's new product ${fresh.id} is not on the home feed after scrolling: ` +
      `${await page.locator('[data-test="product-card"][data-feed-id]').count()} cards on the page; the API's feed has ` +
      `${seen.length} items, this product as ${seen.filter((x) => x.startsWith(fresh.id)).join(',') || 'none'}, ` +
      `the shop's: ${seen.filter((x) => x.endsWith(':' + merchantId)).join(' ') || 'none'}`);
  }
  await page.waitForSelector(followed, { timeout: 2000 });
  await page.locator(followed).scrollIntoViewIfNeeded();
  await toastGone(page);
  await screenshot(page, 'shop-home-feed-followed', { main: true });
  const feedId = await page.locator('[data-test="product-card"][data-feed-id]').first().getAttribute('data-feed-id');
  assert(/^[0-9a-f]{16}$/.test(feedId || ''), `feed id on the cards: ${feedId}`);
  // The live card's impression names the room, its position among the live cards and the feed.
  const liveShown = () => sent.find((e) => e.type === 'impression' && e.room_id === room.id);
  for (let i = 0; i < 40 && !liveShown(); ++i) await page.waitForTimeout(250);
  const shownLive = liveShown();
  assert(shownLive && shownLive.feed_source === 'live' && shownLive.position === 0 && /^[0-9a-f]{16}$/.test(shownLive.feed_id || '')
    && !shownLive.product_id, `live card impression: ${JSON.stringify(shownLive)} of ${sent.length} events`);

  // The shop name on a card opens the storefront, which says the buyer follows it.
  await page.locator(`[data-test="product-card"][data-feed-id][data-product-id="${fresh.id}"] [data-test="card-shop"]`).click();
  await page.waitForSelector(`[data-test="storefront"][data-merchant-id="${merchantId}"] [data-test="store-follow"][data-following="1"]`);
  await apiCall('POST', `/merchant/live/rooms/${room.id}/end`, session);

  // The small shop's owner sees the follower on the console's 数据 page.
  const { page: con } = await ctx.page(DESKTOP, 'console');
  await h.consoleLogin(con, owner);
  await con.goto(`${BASE}/console/#/dashboard`);
  await con.waitForSelector('[data-test="followers"][data-followers="1"]');
  // The admin reads the fairness report and changes the long-tail share.
  const { page: adm } = await ctx.page(DESKTOP, 'admin');
  await h.consoleLogin(adm, h.DEMO_ADMIN);
  await adm.goto(`${BASE}/console/#/admin/fairness`);
  await adm.waitForSelector('[data-test="fairness"][data-loaded="true"] [data-test="fair-bands"]');
  await adm.locator('[data-test="fair-long_tail_share_bps"] input').fill('4500');
  await adm.click('[data-test="fair-save"]');
  await adm.waitForSelector('.el-message--success');
  const settings = await apiCall('GET', '/admin/feed/settings', { token: (await apiCall('POST', '/auth/login', { body: h.DEMO_ADMIN })).token });
  assert(settings.long_tail_share_bps === 4500, `settings after save: ${JSON.stringify(settings)}`);
  // The report counts the impressions the buyer's feed logged (the data platform writes client
  // events as they come): the page, opened again, shows them (and no 操作成功 over it).
  const adminToken = (await apiCall('POST', '/auth/login', { body: h.DEMO_ADMIN })).token;
  const shown = async () => (await apiCall('GET', '/admin/feed/fairness?days=30', { token: adminToken })).bands.reduce((n, b) => n + b.impressions, 0);
  for (let i = 0; i < 20 && !(await shown()); ++i) await adm.waitForTimeout(250);
  const impressions = await shown();
  assert(impressions > 0, 'the fairness report counts no impression after the feed was shown');
  await adm.reload();
  await adm.waitForSelector('[data-test="fairness"][data-loaded="true"] [data-test="fair-bands"]');
  await adm.waitForSelector('.el-message', { state: 'hidden' }).catch(() => {});
  await screenshot(adm, 'console-fairness', { main: true });
}
