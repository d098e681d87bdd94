// The server speaks RFC 3339 UTC; people read their own time zone.
const pad = (n) => String(n).padStart(2, '0');

/** "2026-11-22": the calendar day of a Date in the browser's time zone. */
export const localDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;

/** "2026-11-22 09:13" (or with ":05" seconds) in the browser's time zone; "" for no time. */
export function localTime(iso, { seconds = false } = {}) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const hm = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return `${localDay(d)} ${hm}${seconds ? `:${pad(d.getSeconds())}` : ''}`;
}
