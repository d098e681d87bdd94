// Display helpers shared by the console views.
import { localTime } from '../../common/time.js';

export { localDay } from '../../common/time.js';
export const time = (s) => localTime(s, { seconds: true });
export const specText = (spec) => Object.entries(spec || {}).map(([k, v]) => `${k}:${v}`).join(' ');
