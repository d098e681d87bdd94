// Client events for the data platform (POST /api/v1/events, docs/api.md "Events"): views,
// impressions, clicks, shares, add-to-cart and searches, queued and sent in batches — every 5 s,
// at 20 events, and with sendBeacon when the page is hidden (a beacon carries no Authorization
// header: it goes as the anonymous device, which the server links to the buyer once a signed-in
// batch has named it). Each event has an id, so a batch sent twice counts once.
import { tokenStore } from './api.js';

const DEVICE_KEY = 'xiaodian.device';
const MAX_BATCH = 100; // the server's limit per request
const FLUSH_AT = 20;
const FLUSH_MS = 5000;
const MAX_QUEUE = 500; // a page that cannot send keeps no more than this

export function deviceId() {
  let id = localStorage.getItem(DEVICE_KEY);
  if (!id) {
    const b = crypto.getRandomValues(new Uint8Array(12));
    id = 'd' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    localStorage.setItem(DEVICE_KEY, id);
  }
  return id;
}

let queue = [];
let seq = 0;
let timer = null;
const session = Math.random().toString(36).slice(2, 10);

/** Queues one event: type (impression|view|click|share|add_to_cart|search) and its fields. */
export function track(type, fields = {}) {
  if (queue.length >= MAX_QUEUE) queue.shift();
  queue.push({ id: `${session}-${++seq}`, type, at_ms: Date.now(), ...fields });
  if (queue.length >= FLUSH_AT) flush();
  else if (!timer) timer = setTimeout(flush, FLUSH_MS);
}

/** Sends what is queued (fetch with the buyer's token; sendBeacon when the page goes away). */
export function flush(beacon = false) {
  clearTimeout(timer);
  timer = null;
  while (queue.length) {
    const events = queue.splice(0, MAX_BATCH);
    const body = JSON.stringify({ device_id: deviceId(), events });
    if (beacon && navigator.sendBeacon) {
      navigator.sendBeacon('/api/v1/events', new Blob([body], { type: 'application/json' }));
      continue;
    }
    const headers = { 'Content-Type': 'application/json' };
    const token = tokenStore.get();
    if (token) headers.Authorization = `Bearer ${token}`;
    fetch('/api/v1/events', { method: 'POST', headers, body, keepalive: true }).catch(() => {});
  }
}

/** Links this device to the signed-in buyer (a signed-in batch naming the device), with what is queued. */
export function identify() {
  const token = tokenStore.get();
  if (!token) return;
  const events = queue.splice(0, MAX_BATCH);
  fetch('/api/v1/events', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
    body: JSON.stringify({ device_id: deviceId(), events }),
    keepalive: true,
  }).catch(() => {});
}

if (typeof document !== 'undefined') {
  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') flush(true);
  });
  window.addEventListener('pagehide', () => flush(true));
}

// Impressions: a product card counts once per page view when half of it has been on screen.
const seen = new WeakSet();
const observer = typeof IntersectionObserver === 'undefined' ? null : new IntersectionObserver((entries) => {
  for (const e of entries) {
    if (!e.isIntersecting || seen.has(e.target)) continue;
    seen.add(e.target);
    observer.unobserve(e.target);
    const d = e.target.dataset;
    // A feed card also names the feed request and the candidate's source (GET /feed), so exposure
    // is measured per feed position.
    const feed = d.feedId ? { feed_id: d.feedId, feed_source: d.feedSource, source: 'feed' } : {};
    // A live room's card (data-room-id) counts for the room's shop, a product card for its product's.
    const what = d.roomId ? { room_id: d.roomId } : { product_id: d.productId };
    track('impression', { ...what, position: Number(d.position || 0), ...feed });
  }
}, { threshold: 0.5 });

/** v-impression: observes the element (data-product-id or data-room-id, data-position; a feed card also data-feed-id, data-feed-source). */
export const vImpression = {
  mounted(el) { observer?.observe(el); },
  beforeUnmount(el) { observer?.unobserve(el); },
};
