// Browser scenario of live commerce (issue 18): the merchant's room goes live from the console, a
// viewer on a phone opens the room page, the host pins a product in the console and the viewer's
// page shows it (through the room stream) with its live price, the viewer comments and buys it at
// the live price from the room's buy sheet (the video stays; the cashier follows), the stock left falls, and the host ends the live. Before it starts the viewer
// taps 预约 on the room page and finds it, booked, on the shop's 直播 list (home → 直播); once it
// is live the list shows it first as 直播中, 我的 → 消息 has the line “…开播啦” opening the room,
// and 我的 → 我的预约 lists it as live with the same line. The host deletes one of the viewer's comments on the console's host screen and the
// viewer's open page drops it (the stream's comment_deleted). After the end, the console's 数据
// shows the room's results: the viewer counted once, conversion 100%.
import { BASE, MOBILE, DESKTOP, apiCall, assert, fitsTheScreen, screenshot } from './harness.mjs';

// `h`: run.mjs's helpers (consoleLogin, shopLogin, newBuyer, freeProduct, merchantSession,
// payAtCashier, DEMO_MERCHANT).
export async function liveRoom(ctx, h) {
  const session = await h.merchantSession();
  const { sku } = await h.freeProduct();
  const livePrice = Math.max(100, Math.floor(sku.price_fen / 2));
  const room = await apiCall('POST', '/merchant/live/rooms', {
    ...session,
    body: {
      title: '周末直播专场',
      stream_url: 'https://live.example.com/hls/weekend.m3u8',
      products: [{ sku_id: sku.id, live_price_fen: livePrice, live_stock: 5 }],
    },
  });

  // A viewer on a phone books the upcoming room (预约).
  const { page: viewer } = await ctx.page(MOBILE, 'live');
  const buyer = await h.newBuyer('直播观众');
  await h.shopLogin(viewer, buyer);
  // The buyer's default address (the first of the address book), which the buy sheet picks.
  const { token: buyerToken } = await apiCall('POST', '/auth/login', { body: buyer });
  await apiCall('POST', '/me/addresses', { token: buyerToken, body: { name: '钱七', phone: '13800138007', region: '浙江省 杭州市 西湖区', detail: '文三路 100 号' } });
  await viewer.goto(`${BASE}/#/live/${room.id}`);
  await viewer.waitForSelector('[data-test="live"][data-status="scheduled"]');
  await viewer.click('[data-test="live-remind"]');
  await viewer.waitForSelector('[data-test="live-remind"][disabled]');
  // Home → 直播: the list shows the room as upcoming, with its start time, already booked.
  const listed = `[data-test="live-room-card"][data-room-id="${room.id}"]`;
  await viewer.goto(`${BASE}/#/`);
  await viewer.click('[data-test="channel-live"]');
  await viewer.waitForSelector(`${listed}[data-status="scheduled"] [data-test="live-room-remind"][disabled]`);
  assert((await viewer.locator(`${listed} [data-test="live-room-starts"]`).textContent()).includes('开播'), 'upcoming room without its start time');

  // The host goes live from the console.
  const { page: host } = await ctx.page(DESKTOP, 'console');
  await h.consoleLogin(host, h.DEMO_MERCHANT);
  await host.goto(`${BASE}/console/#/live`);
  const card = `[data-test="live-room"][data-id="${room.id}"]`;
  await host.click(`${card} [data-test="live-start"]`);
  await host.waitForSelector(`[data-test="live-room"][data-id="${room.id}"][data-status="live"]`);

  // The list now shows the room live (直播中), before the upcoming ones.
  await viewer.goto(`${BASE}/#/`);
  await viewer.click('[data-test="channel-live"]');
  await viewer.waitForSelector(`${listed}[data-status="live"] [data-test="live-room-badge"]`);
  const statuses = await viewer.locator('[data-test="live-room-card"]').evaluateAll((els) => els.map((e) => e.dataset.status));
  assert(statuses.indexOf('scheduled') === -1 || statuses.lastIndexOf('live') < statuses.indexOf('scheduled'), `live rooms not first: ${statuses.join(', ')}`);
  await fitsTheScreen(viewer, 'the live list');
  await screenshot(viewer, 'shop-live-list', { main: true });

  // 我的 → 消息: the reminder's line (…开播啦) among the buyer's messages, opening the room.
  await viewer.goto(`${BASE}/#/me`);
  await viewer.click('[data-test="go-inbox"]');
  const inboxLine = `[data-test="inbox-live"][data-room-id="${room.id}"][data-status="live"]`;
  await viewer.waitForSelector(inboxLine);
  const said = await viewer.locator(`${inboxLine} [data-test="inbox-live-text"]`).textContent();
  assert(said.includes('开播啦') && said.includes('周末直播专场'), `inbox line: ${said}`);
  await fitsTheScreen(viewer, 'the inbox');
  await screenshot(viewer, 'shop-inbox-live');

  // 我的 → 我的预约: the room, live now, with the inbox line.
  await viewer.goto(`${BASE}/#/me`);
  await viewer.click('[data-test="go-live-reminders"]');
  const reminder = `[data-test="live-reminder"][data-room-id="${room.id}"][data-status="live"]`;
  await viewer.waitForSelector(reminder);
  const line = await viewer.locator(`${reminder} [data-test="live-reminder-message"]`).textContent();
  assert(line.includes('开播啦'), `reminder line: ${line}`);
  await screenshot(viewer, 'shop-live-reminders', { main: true });

  // The viewer opens the room from the reminder: live, nothing presented yet.
  await viewer.click(reminder);
  await viewer.waitForSelector('[data-test="live"][data-status="live"]');
  assert((await viewer.locator('[data-test="live-pinned"]').count()) === 0, 'a product is pinned before the host pinned one');

  // The host presents the product; the viewer's page shows it from the stream, with the live price.
  // How long from the host's click to the viewer's page painting the card is printed (the issue
  // asks for "within a second"; timings are reported, never asserted). Both pages read the same
  // machine clock: the host's page notes its click, the viewer's the first frame with the card.
  await viewer.evaluate((skuId) => {
    window.xdPinShownAt = 0;
    const shown = () => document.querySelector(`[data-test="live-pinned"][data-sku="${skuId}"]`);
    const watch = new MutationObserver(() => {
      if (!shown()) return;
      watch.disconnect();
      requestAnimationFrame(() => { window.xdPinShownAt = Date.now(); });
    });
    watch.observe(document.body, { subtree: true, childList: true, attributes: true });
  }, sku.id);
  const pin = `${card} [data-test="live-pin"][data-sku="${sku.id}"]`;
  await host.evaluate((sel) => document.querySelector(sel).addEventListener('click', () => { window.xdPinClickAt = Date.now(); }, { capture: true, once: true }), pin);
  await host.click(pin);
  await viewer.waitForSelector(`[data-test="live-pinned"][data-sku="${sku.id}"][data-left="5"]`);
  await viewer.waitForFunction(() => window.xdPinShownAt > 0);
  const pinMs = (await viewer.evaluate(() => window.xdPinShownAt)) - (await host.evaluate(() => window.xdPinClickAt));
  console.log(`# live: the host's pin click → the viewer's page shows the pinned product: ${pinMs} ms (reported, not asserted)`);
  // The host's screen shows how many watch now (在线), once the server reports viewers_now.
  if ('viewers_now' in (await apiCall('GET', `/merchant/live/rooms/${room.id}`, session))) {
    await host.waitForSelector(`${card} [data-test="live-viewers-now"]`);
  }

  // A comment reaches the room.
  await viewer.locator('[data-test="live-comment-input"] input').fill('主播好，来一单');
  await viewer.click('[data-test="live-comment-send"]');
  await viewer.waitForFunction(() => document.querySelector('[data-test="live-comments"]')?.textContent.includes('主播好，来一单'));
  await screenshot(viewer, 'shop-live', { main: true });
  // Staff delete another comment of the viewer's: the open page drops it.
  await viewer.locator('[data-test="live-comment-input"] input').fill('这条会被删');
  await viewer.click('[data-test="live-comment-send"]');
  await viewer.waitForFunction(() => document.querySelector('[data-test="live-comments"]')?.textContent.includes('这条会被删'));
  const replay = await apiCall('GET', `/live/rooms/${room.id}/comments`);
  const doomed = replay.items.find((c) => c.text === '这条会被删');
  // The host's screen lists the room's comments (refreshed every 2 s): 删除 there.
  const hostComment = `${card} [data-test="live-host-comment"][data-id="${doomed.id}"]`;
  await host.waitForSelector(hostComment);
  await screenshot(host, 'console-live', { main: true });
  await host.click(`${hostComment} [data-test="live-comment-delete"]`);
  await viewer.waitForFunction(() => !document.querySelector('[data-test="live-comments"]')?.textContent.includes('这条会被删'));

  // 马上抢: the buy sheet over the video — the live price, the stock left, the default address —
  // places the order in the room; the cashier follows; the stock left falls for every viewer.
  await viewer.click('[data-test="live-buy"]');
  const sheet = `[data-test="live-sheet"][data-sku="${sku.id}"]`;
  await viewer.waitForSelector(`${sheet} [data-test="live-sheet-left"][data-left="5"]`);
  await viewer.waitForFunction((s) => document.querySelector(`${s} [data-test="live-sheet-address"]`)?.textContent.includes('钱七'), sheet);
  await viewer.waitForSelector(`${sheet} [data-test="live-sheet-total"]`);
  assert((await viewer.locator(`${sheet} [data-test="live-sheet-price"]`).textContent()).includes((livePrice / 100).toFixed(2)),
    'the sheet does not show the live price');
  assert(await viewer.locator('[data-test="live-video"]').isVisible(), 'the video left the page under the sheet');
  await viewer.waitForTimeout(400);  // the sheet's slide-in, for the screenshot only
  await fitsTheScreen(viewer, 'the room with its buy sheet');
  await screenshot(viewer, 'shop-live-buy-sheet', { main: true });
  await viewer.click(`${sheet} [data-test="live-sheet-submit"]`);
  const orderId = await h.payAtCashier(viewer);
  const order = await apiCall('GET', `/merchant/orders/${orderId}`, session);
  assert(order.items[0].unit_price_fen === livePrice, `live price ${livePrice} but the order has ${order.items[0].unit_price_fen}`);
  assert(order.activity?.live?.room_id === room.id, `order not attributed to the room: ${JSON.stringify(order.activity)}`);
  const after = await apiCall('GET', `/live/rooms/${room.id}`);
  assert(after.pinned.left === 4 && after.orders === 1, `room after the order: ${JSON.stringify(after.pinned)} orders ${after.orders}`);

  // The host ends the live: what is left goes back to the product.
  await host.click(`${card} [data-test="live-end"]`);
  await host.click('.el-message-box__btns .el-button--primary');
  await host.waitForSelector(`[data-test="live-room"][data-id="${room.id}"][data-status="ended"]`);
  const ended = await apiCall('GET', `/merchant/live/rooms/${room.id}`, session);
  assert(ended.status === 'ended' && ended.products[0].left === 0, `room after the end: ${JSON.stringify(ended)}`);

  // 数据: the room's results — the one viewer who opened the page bought and paid: 1 unique
  // viewer, conversion 100%.
  await host.click(`${card} [data-test="live-results"]`);
  await host.waitForSelector('[data-test="live-results-panel"]');
  const figure = async (key) => host.locator(`[data-test="live-results-${key}"]`).getAttribute('data-value');
  assert((await figure('unique')) === '1', `unique viewers ${await figure('unique')}`);
  assert((await figure('paidBuyers')) === '1', `paying buyers ${await figure('paidBuyers')}`);
  assert((await figure('conversion')) === '10000', `conversion ${await figure('conversion')} bp`);
  await host.waitForTimeout(400);  // the dialog's fade-in, for the screenshot only
  await screenshot(host, 'console-live-results', { main: true });
}
