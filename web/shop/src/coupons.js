// A coupon's face value: an amount in yuan, or a discount (percent_bps is the share off:
// 1000 = 10% off, which Chinese calls 9 折).
import { formatFen } from '../../common/money.js';
import { t, locale } from './i18n.js';

export function couponFace(c) {
  if (c.kind !== 'percent') return formatFen(c.amount_fen);
  return t('coupon.percentOff', { n: locale.value === 'en' ? c.percent_bps / 100 : (10000 - c.percent_bps) / 1000 });
}
