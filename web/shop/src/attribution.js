// The share link a visitor came through (/s/{code}), kept in this browser until the server can
// record it: at registration (sent as share_code: the new account's first touch) or right
// after sign-in (POST /shares/{code}/open). Signed-in visitors are recorded at once and keep
// nothing here. The code is the only thing kept — never a user id — and it is forgotten after
// the attribution window (7 days), as the server would forget the touch.
import { api } from './api.js';

const KEY = 'xiaodian.share';
const MAX_AGE_MS = 7 * 24 * 3600 * 1000;

export function rememberShare(code) {
  localStorage.setItem(KEY, JSON.stringify({ code, at: Date.now() }));
}

/** The code still waiting to be recorded, or null. */
export function pendingShareCode() {
  try {
    const kept = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (kept && typeof kept.code === 'string' && Date.now() - kept.at < MAX_AGE_MS) return kept.code;
  } catch {
    // an unreadable entry is dropped below
  }
  localStorage.removeItem(KEY);
  return null;
}

export function forgetShare() {
  localStorage.removeItem(KEY);
}

/** After sign-in: records the kept open for the signed-in user (a link gone stale is dropped). */
export async function recordPendingOpen() {
  const code = pendingShareCode();
  if (!code) return;
  forgetShare();
  await api.openShare(code).catch(() => {});
}
