// Display helpers shared by the console views.
export const time = (s) => (s ? String(s).slice(0, 19).replace('T', ' ') : '');
export const specText = (spec) => Object.entries(spec || {}).map(([k, v]) => `${k}:${v}`).join(' ');
const pad = (n) => String(n).padStart(2, '0');
/** "2026-11-22": the calendar day of a Date in the browser's time zone. */
export const localDay = (d) => `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
