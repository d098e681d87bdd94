// The address region picker (issue 15: Vant's Area over the server's region list) and freight
// templates at checkout (issue 14): helpers for every scenario that types an address, and the
// scenario where a buyer picks a region the shop does not deliver to, is told so, picks another
// and sees its shipping line.
import { BASE, MOBILE, apiCall, assert, screenshot } from './harness.mjs';

/** Opens the region field's picker and picks province, city and district by name. */
export async function pickRegion(page, [province, city, district]) {
  await page.click('[data-test="addr-region"]');
  const picker = page.locator('[data-test="region-picker"]');
  await picker.waitFor();
  for (const [i, name] of [province, city, district].entries()) {
    const column = picker.locator('.van-picker-column').nth(i);
    const option = column.locator('.van-picker-column__item', { hasText: name }).first();
    await option.waitFor({ state: 'attached' });
    // The columns scroll by transform: an option far down is not under the pointer, so the click
    // is dispatched to it (Vant selects the clicked option).
    await option.dispatchEvent('click');
    await page.waitForFunction(
      ({ i, name }) => {
        const cols = document.querySelectorAll('[data-test="region-picker"] .van-picker-column');
        const selected = cols[i]?.querySelector('.van-picker-column__item--selected');
        return selected?.textContent?.trim() === name;
      },
      { i, name },
    );
  }
  await picker.locator('.van-picker__confirm').click();
  await picker.waitFor({ state: 'hidden' });
}

// `h`: run.mjs's helpers (inputOf, shopLogin, newBuyer, merchantSession).
export async function regionPicker(ctx, h) {
  // The demo merchant's product ships under a template that does not deliver to 新疆.
  const session = await h.merchantSession();
  const template = await apiCall('POST', '/merchant/freight-templates', {
    ...session,
    body: {
      name: `浙沪包邮 ${Date.now()}`,
      rules: [{ first_fen: 1200, additional_fen: 600 }, { regions: ['330000', '310000'], first_fen: 0 }],
      undeliverable: ['650000'],
    },
  });
  const product = await apiCall('POST', '/merchant/products', {
    ...session,
    body: { title: `运费模板测试 ${Date.now()}`, status: 'on_sale', freight_template_id: template.id, skus: [{ price_fen: 3000, stock: 50 }] },
  });

  try {
    await buyInRegions(ctx, h, session, product);
  } finally {
    // Off sale again: other scenarios pick the demo merchant's products and check out through
    // the API without a region, which this template refuses.
    await apiCall('PATCH', `/merchant/products/${product.id}`, { ...session, body: { status: 'off_sale' } });
  }
}

async function buyInRegions(ctx, h, session, product) {
  const { page, expectApiError } = await ctx.page(MOBILE, 'buyer');
  expectApiError('POST', /\/checkout\/preview$/, 422); // 新疆 is refused while previewing
  await h.shopLogin(page, await h.newBuyer('选地区'));
  await page.goto(`${BASE}/#/checkout?product=${product.id}&sku=${product.skus[0].id}&qty=2`);
  await page.waitForSelector('[data-test="checkout"][data-loaded="true"]');
  await h.inputOf(page, 'addr-name').fill('孙八');
  await h.inputOf(page, 'addr-phone').fill('13800138006');
  await pickRegion(page, ['新疆维吾尔自治区', '乌鲁木齐市', '天山区']);
  await h.inputOf(page, 'addr-detail').fill('人民路 1 号');
  await page.waitForFunction(() => document.body.textContent.includes('不能配送到'));

  await pickRegion(page, ['北京市', '北京市', '朝阳区']);
  const shipping = page.locator('[data-test="pricing-step"][data-step="shipping"]');
  await page.waitForFunction(() => document.querySelector('[data-test="pricing-step"][data-step="shipping"]')?.textContent.includes('18.00'));
  assert((await h.inputOf(page, 'addr-region').inputValue()) === '北京市 朝阳区', 'the field shows the picked region');
  await pickRegion(page, ['浙江省', '杭州市', '西湖区']);
  await page.waitForFunction(() => document.querySelector('[data-test="pricing-step"][data-step="shipping"]')?.textContent.includes('0.00'));
  await screenshot(page, 'shop-checkout-region', { main: true });
  assert((await shipping.textContent()).includes('运费') || (await shipping.textContent()).includes('包邮'), 'shipping line');
  await page.click('[data-test="submit-order"] button');
  await page.waitForURL(/#\/cashier\//);
  const orderId = page.url().split('/cashier/')[1];
  const { items } = await apiCall('GET', '/merchant/orders?limit=50', session);
  const order = items.find((o) => o.id === orderId);
  assert(order, 'the merchant sees the order');
  assert(order.address.district_code === '330106' && order.address.region === '浙江省 杭州市 西湖区', `address as stored: ${JSON.stringify(order.address)}`);
  assert(order.shipping_fen === 0, `shipping ${order.shipping_fen}`);
}
