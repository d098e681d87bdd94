// Merchant rules (per-kind defaults or one merchant's override) between the server's
// shape and the form's: the order limit is typed in yuan and sent in fen.
import { fenToYuanString, parseYuan } from '../../common/money.js';

const FIELDS = ['commission_bps', 'hold_days', 'max_products'];

export function rulesForm(server, withStatus = false) {
  const form = Object.fromEntries(FIELDS.map((k) => [k, server[k] ?? 0]));
  form.max_order = fenToYuanString(server.max_order_fen ?? 0);
  if (withStatus) form.status = server.status;
  return form;
}

/** The request body, or null when the order limit is not a valid amount. */
export function rulesBody(form) {
  const maxOrderFen = parseYuan(form.max_order);
  if (maxOrderFen === null) return null;
  const body = Object.fromEntries(FIELDS.map((k) => [k, form[k]]));
  body.max_order_fen = maxOrderFen;
  if (form.status) body.status = form.status;
  return body;
}
