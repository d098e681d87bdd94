// Browser scenario of the data platform (issue 19): a shopper browses the demo shop signed out
// (impressions on the home cards, a product page view), signs in (the device is linked), adds to
// the cart and buys; the console's 数据 page then shows the view and the sale in charts rendered
// from the server's BI (GET /merchant/insights/overview), never from sums in the browser.
import { BASE, MOBILE, DESKTOP, apiCall, assert, screenshot } from './harness.mjs';

// `h`: run.mjs's helpers (consoleLogin, shopLogin, newBuyer, freeProduct, checkoutAndPay, merchantSession, DEMO_MERCHANT).
export async function insights(ctx, h) {
  const session = await h.merchantSession();
  const before = await apiCall('GET', '/merchant/insights/overview', session);
  const { product } = await h.freeProduct();

  const { page: shop } = await ctx.page(MOBILE, 'shopper');
  const posted = [];
  shop.on('request', (r) => { if (r.url().endsWith('/api/v1/events') && r.method() === 'POST') posted.push(r.postDataJSON()); });
  await shop.goto(`${BASE}/#/`);
  await shop.waitForSelector('[data-test="product-card"]');
  await shop.goto(`${BASE}/#/product/${product.id}`);
  await shop.locator('[data-test="product-title"]').waitFor({ state: 'visible' });
  // Signing in sends what is queued (the home page's impressions, the view) with the device id.
  await h.shopLogin(shop, await h.newBuyer('数据买家'));
  await shop.goto(`${BASE}/#/product/${product.id}`);
  await shop.click('[data-test="buy-now"]');
  await shop.click('[data-test="sku-confirm"]');
  await shop.waitForURL(/#\/checkout/);
  const orderId = await h.checkoutAndPay(shop);
  const types = new Set(posted.flatMap((b) => b.events.map((e) => e.type)));
  assert(types.has('impression') && types.has('view'), `the shop sent ${[...types].join(', ') || 'no events'}`);
  assert(posted.every((b) => typeof b.device_id === 'string' && b.events.length <= 100), 'a batch without its device or over 100 events');

  // The console: the sale and the view show once the data platform has projected them.
  const { page: console_ } = await ctx.page(DESKTOP, 'console');
  await h.consoleLogin(console_, h.DEMO_MERCHANT);
  let after = null;
  for (let attempt = 0; attempt < 120; attempt++) {  // the shop flushes its queue every 5 s
    after = await apiCall('GET', '/merchant/insights/overview', session);
    if (after.totals.paid_orders > before.totals.paid_orders && after.totals.views >= before.totals.views + 2) break;
    await console_.waitForTimeout(250);
  }
  assert(after.totals.paid_orders === before.totals.paid_orders + 1, `paid orders ${before.totals.paid_orders} → ${after.totals.paid_orders} (order ${orderId})`);
  assert(after.totals.views >= before.totals.views + 2, `views ${before.totals.views} → ${after.totals.views}`);
  await console_.click('[data-test="nav-dashboard"]');
  await console_.waitForSelector('[data-test="dashboard"][data-loaded="true"] [data-test="dashboard-chart"][data-series]');
  await console_.waitForSelector('[data-test="dashboard-funnel"][data-series] canvas');
  await console_.waitForSelector('[data-test="dashboard-channels"][data-series] canvas');
  const gmv = JSON.parse(await console_.getAttribute('[data-test="dashboard-chart"]', 'data-series'))[0].data;
  assert(gmv.reduce((a, b) => a + b, 0) === after.totals.gmv_fen, `chart GMV ${gmv.reduce((a, b) => a + b, 0)} ≠ server ${after.totals.gmv_fen}`);
  const funnel = JSON.parse(await console_.getAttribute('[data-test="dashboard-funnel"]', 'data-series'))[0].data;
  assert(funnel.length === 4 && funnel[3].value === after.funnel[3].visitors, `funnel ${JSON.stringify(funnel)}`);
  assert(await console_.locator('[data-test="dashboard-top"] .el-table__row').count() > 0, 'no top products');
  // The breakdowns (GET /merchant/insights/breakdowns): new vs returning orders and members vs
  // non-members drawn from the server's numbers, which include the sale just made.
  await console_.waitForSelector('[data-test="breakdowns"][data-loaded="true"] [data-test="bd-customers-chart"][data-series] canvas');
  await console_.waitForSelector('[data-test="bd-members-chart"][data-series] canvas');
  const to = new Date(Date.now() + 8 * 3600e3).toISOString().slice(0, 10);
  const from = new Date(Date.now() + 8 * 3600e3 - 29 * 86400e3).toISOString().slice(0, 10);
  const bd = await apiCall('GET', `/merchant/insights/breakdowns?from=${from}&to=${to}`, session);
  const mix = JSON.parse(await console_.getAttribute('[data-test="bd-customers-chart"]', 'data-series'))[0].data;
  assert(mix[0].value === bd.customers.new_orders && mix[1].value === bd.customers.returning_orders, `customers chart ${JSON.stringify(mix)} ≠ ${JSON.stringify(bd.customers)}`);
  assert(bd.customers.new_orders + bd.customers.returning_orders >= 1, 'the sale is not in the breakdowns');
  const members = JSON.parse(await console_.getAttribute('[data-test="bd-members-chart"]', 'data-series'))[0].data;
  assert(members[0] === bd.members.member.orders && members[1] === bd.members.non_member.orders, `members chart ${JSON.stringify(members)}`);
  await screenshot(console_, 'console-insights', { main: true });

  // 导出 → 订单明细: the streamed CSV holds the order just paid, with the buyer's phone (the
  // demo merchant's owner ships orders, so nothing is masked).
  await console_.click('[data-test="dashboard-export"] button');
  const [download] = await Promise.all([
    console_.waitForEvent('download'),
    console_.locator('[data-test="export-orders"]:visible').click(),
  ]);
  const csv = await new Promise((resolve, reject) => {
    download.createReadStream().then((stream) => {
      const parts = [];
      stream.on('data', (c) => parts.push(c));
      stream.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
      stream.on('error', reject);
    }, reject);
  });
  assert(csv.startsWith('\uFEFF订单号,下单时间,状态'), `the export starts ${JSON.stringify(csv.slice(0, 40))}`);
  assert(csv.includes(orderId), `order ${orderId} is not in the export`);
}

// The platform's BI for the admin (issue 19): a buyer pays an order (API), the data platform
// projects it, and the console's 平台数据 page draws GMV and paid orders per merchant kind, the
// size bands and the long tail's shares from GET /admin/insights/platform — the charts' data
// equals the server's numbers, which include the new sale.
export async function platformInsights(ctx, h) {
  const { token: admin } = await apiCall('POST', '/auth/login', { body: h.DEMO_ADMIN });
  const before = await apiCall('GET', '/admin/insights/platform', { token: admin });
  await h.buyerWithPaidOrder();
  let after = before;
  for (let attempt = 0; attempt < 120 && after.totals.paid_orders === before.totals.paid_orders; attempt++) {
    await new Promise((r) => setTimeout(r, 250));
    after = await apiCall('GET', '/admin/insights/platform', { token: admin });
  }
  assert(after.totals.paid_orders === before.totals.paid_orders + 1, `platform paid orders ${before.totals.paid_orders} → ${after.totals.paid_orders}`);

  const { page } = await ctx.page(DESKTOP, 'admin');
  await h.consoleLogin(page, h.DEMO_ADMIN);
  await page.goto(`${BASE}/console/#/admin/platform`);
  await page.waitForSelector('[data-test="platform"][data-loaded="true"] [data-test="platform-gmv-chart"][data-series] canvas');
  await page.waitForSelector('[data-test="platform-orders-chart"][data-series] canvas');
  await page.waitForSelector('[data-test="platform-bands-chart"][data-series] canvas');
  const sum = (series) => series.reduce((a, s) => a + s.data.reduce((x, y) => x + y, 0), 0);
  const gmv = JSON.parse(await page.getAttribute('[data-test="platform-gmv-chart"]', 'data-series'));
  const orders = JSON.parse(await page.getAttribute('[data-test="platform-orders-chart"]', 'data-series'));
  const server = await apiCall('GET', '/admin/insights/platform', { token: admin });
  assert(gmv.length === 3 && sum(gmv) === server.totals.gmv_fen, `GMV chart ${sum(gmv)} ≠ server ${server.totals.gmv_fen}`);
  assert(sum(orders) === server.totals.paid_orders, `orders chart ${sum(orders)} ≠ server ${server.totals.paid_orders}`);
  const bands = JSON.parse(await page.getAttribute('[data-test="platform-bands-chart"]', 'data-series'));
  const tail = server.bands.find((b) => b.band === 'long_tail');
  assert(Math.abs(bands[0].data[2] - tail.gmv_share * 100) < 0.06, `long-tail GMV share ${bands[0].data[2]} ≠ ${tail.gmv_share}`);
  assert(await page.locator('[data-test="platform-bands"] .el-table__row').count() === 3, 'the bands table has not 3 rows');
  const gini = await page.getAttribute('[data-test="platform-kpis"]', 'data-gini');
  assert(Number(gini) === server.exposure_gini, `Gini ${gini} ≠ ${server.exposure_gini}`);
  await screenshot(page, 'console-platform', { main: true });
}
