// Display helpers shared by the console views.
import { localTime } from '../../common/time.js';

export { localDay } from '../../common/time.js';
export const time = (s) => localTime(s, { seconds: true });
export const specText = (spec) => Object.entries(spec || {}).map(([k, v]) => `${k}:${v}`).join(' ');
// A fraction in [0, 1] as a percentage with one decimal ('-' for anything else).
export const pct = (x) => (typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)}%` : '-');
// The China-time day (the server's reports' days) `offsetDays` before today, as YYYY-MM-DD.
export const chinaDay = (offsetDays) => new Date(Date.now() + 8 * 3600e3 - offsetDays * 86400e3).toISOString().slice(0, 10);
