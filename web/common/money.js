// Money is integer fen everywhere. No floating point touches it.

/** 1234 -> "¥12.34", -5 -> "-¥0.05". Non-integers render as "—". */
export function formatFen(fen, symbol = '¥') {
  if (!Number.isSafeInteger(fen)) return '—';
  const sign = fen < 0 ? '-' : '';
  const abs = fen < 0 ? -fen : fen;
  const yuan = Math.trunc(abs / 100);
  const cents = String(abs % 100).padStart(2, '0');
  return `${sign}${symbol}${yuan}.${cents}`;
}

/** Plain "12.34" (no currency sign) for prefilling yuan inputs. */
export function fenToYuanString(fen) {
  return formatFen(fen, '');
}

/**
 * Parse a yuan amount typed by a person into integer fen by string arithmetic:
 * "12.34" -> 1234, "12" -> 1200, "0.5" -> 50, " 7. " -> 700.
 * Returns null for anything else (negative, more than two decimals, letters, too large).
 */
export function parseYuan(input) {
  const s = String(input ?? '').trim().replace(/^¥/, '');
  const m = /^(\d+)(?:\.(\d{0,2}))?$/.exec(s);
  if (!m) return null;
  const whole = m[1].replace(/^0+(?=\d)/, '');
  const cents = (m[2] ?? '').padEnd(2, '0');
  const digits = (whole + cents).replace(/^0+(?=\d)/, '');
  if (digits.length > 15) return null;
  const fen = Number(digits);
  return Number.isSafeInteger(fen) ? fen : null;
}

/** Basis points as a percentage string: 550 -> "5.50%". */
export function formatBps(bps) {
  if (!Number.isSafeInteger(bps)) return '—';
  return `${Math.trunc(bps / 100)}.${String(bps % 100).padStart(2, '0')}%`;
}
