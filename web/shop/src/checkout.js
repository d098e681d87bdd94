// Placing an order, shared by the checkout page and the live room's buy sheet: the new-address
// form's state and check, the checkout call (saving a typed address to the address book), and
// the pay step that follows (the cashier for one order, 待付款 for several).
import { reactive } from 'vue';
import { api } from './api.js';
import { refreshCartCount } from './session.js';

/** An empty new-address form (components/AddressForm.vue edits it). */
export function newAddressForm() {
  return reactive({ name: '', phone: '', region: '', detail: '', province_code: '', city_code: '', district_code: '' });
}

export const phoneOk = (phone) => /^1\d{10}$/.test(phone);

/** Whether the typed address is complete enough to send. */
export function addressFormOk(form) {
  return Boolean(form.name.trim() && phoneOk(form.phone) && form.region.trim() && form.detail.trim());
}

/**
 * POST /checkout with the caller's idempotency key (one per visit: a retried submit never makes a
 * second order); a typed address is saved to the address book when `saveAddress`. → the orders.
 */
export async function placeOrder(body, idempotencyKey, { saveAddress = false } = {}) {
  const { orders } = await api.checkout(body, idempotencyKey);
  if (body.address && saveAddress) await api.addAddress(body.address).catch(() => {});
  refreshCartCount().catch(() => {});
  return orders;
}

/**
 * The pay step after an order: the cashier for one order, the unpaid orders for several. The
 * checkout page gives its place to it (`replace`); a page that stays worth going back to (the live
 * room) keeps it in the history.
 */
export function goPay(router, orders, { replace = true } = {}) {
  const to = orders.length === 1 ? { name: 'cashier', params: { orderId: orders[0].id } } : { name: 'orders', query: { status: 'created' } };
  if (replace) router.replace(to);
  else router.push(to);
}
