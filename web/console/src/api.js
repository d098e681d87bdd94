// The console's API client: every call to the server goes through here.
import { createHttp, newIdempotencyKey } from '../../common/http.js';
import { errorText } from '../../common/errors.js';
import { locale, t, has } from './i18n.js';

const TOKEN_KEY = 'xiaodian.token'; // shared with the shop (same origin)
const MERCHANT_KEY = 'xiaodian.merchant';

export const tokenStore = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (t) => localStorage.setItem(TOKEN_KEY, t),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};
export const merchantStore = {
  get: () => localStorage.getItem(MERCHANT_KEY),
  set: (id) => (id ? localStorage.setItem(MERCHANT_KEY, id) : localStorage.removeItem(MERCHANT_KEY)),
};

let unauthorized = () => {};
export function onUnauthorized(fn) {
  unauthorized = fn;
}

const http = createHttp({
  token: tokenStore.get,
  // Errors in the app's language: its own words for known reasons, else the server's message.
  lang: () => locale.value,
  describe: (err) => errorText(err, { t, has }),
  // Merchant routes act on the merchant picked in the header.
  headers: () => (merchantStore.get() ? { 'X-Merchant-Id': merchantStore.get() } : {}),
  onUnauthorized: (err) => {
    tokenStore.clear();
    unauthorized(err);
  },
});

const e = encodeURIComponent;

export const api = {
  login: (body) => http.post('/auth/login', body),
  logout: () => http.post('/auth/logout'),
  me: () => http.get('/me'),

  // the current merchant
  merchant: () => http.get('/merchant'),
  updateMerchant: (body) => http.patch('/merchant', body),
  // A photo (JPEG/PNG/WebP): answers {id, url, urls: {l, m, s}, width, height}.
  uploadMedia: (file) => http.upload('/merchant/media', file),
  // freight templates (运费模板) and the region list they name regions from
  freightTemplates: () => http.get('/merchant/freight-templates'),
  createFreightTemplate: (body) => http.post('/merchant/freight-templates', body),
  updateFreightTemplate: (id, body) => http.put(`/merchant/freight-templates/${e(id)}`, body),
  deleteFreightTemplate: (id) => http.del(`/merchant/freight-templates/${e(id)}`),
  regions: () => http.get('/regions'),
  staff: () => http.get('/merchant/staff'),
  removeStaff: (userId) => http.del(`/merchant/staff/${e(userId)}`),
  staffInvitations: () => http.get('/merchant/staff-invitations'),
  inviteStaff: (phone, role) => http.post('/merchant/staff-invitations', { phone, role }),
  revokeInvitation: (id) => http.del(`/merchant/staff-invitations/${e(id)}`),
  // invitations addressed to the signed-in user
  myInvitations: () => http.get('/me/staff-invitations'),
  answerInvitation: (id, accept) => http.post(`/me/staff-invitations/${e(id)}/${accept ? 'accept' : 'decline'}`),

  products: (query) => http.get('/merchant/products', query),
  merchantProduct: (id) => http.get(`/merchant/products/${e(id)}`),
  // live rooms (直播)
  liveRooms: () => http.get('/merchant/live/rooms'),
  createLiveRoom: (body) => http.post('/merchant/live/rooms', body),
  liveRoomAction: (id, action, body) => http.post(`/merchant/live/rooms/${e(id)}/${action}`, body),
  liveResults: (id) => http.get(`/merchant/live/rooms/${e(id)}/results`),
  liveComments: (id) => http.get(`/live/rooms/${e(id)}/comments`),
  liveDeleteComment: (id, commentId) => http.del(`/merchant/live/rooms/${e(id)}/comments/${e(commentId)}`),
  liveMute: (id, commentId) => http.post(`/merchant/live/rooms/${e(id)}/comments/${e(commentId)}/mute`),
  liveBlockedWords: () => http.get('/merchant/live/blocked-words'),
  setLiveBlockedWords: (words) => http.put('/merchant/live/blocked-words', { words }),
  createProduct: (body) => http.post('/merchant/products', body),
  updateProduct: (id, body) => http.patch(`/merchant/products/${e(id)}`, body),
  updateSku: (id, body) => http.patch(`/merchant/skus/${e(id)}`, body),

  activities: (query) => http.get('/merchant/activities', query),
  createActivity: (body) => http.post('/merchant/activities', body),
  stopActivity: (id) => http.post(`/merchant/activities/${e(id)}/stop`),
  distribution: () => http.get('/merchant/distribution', { limit: 50 }),
  chatGroups: () => http.get('/merchant/chat-groups', { limit: 50 }),
  chatGroupStats: (key) => http.get(`/merchant/chat-groups/${e(key)}/stats`, { limit: 100 }),
  setDistribution: (productId, bps) => http.put(`/merchant/products/${e(productId)}/distribution`, { commission_bps: bps }),
  coupons: (query) => http.get('/merchant/coupons', query),
  reviews: (query) => http.get('/merchant/reviews', query),
  csThreads: () => http.get('/merchant/cs/threads', { limit: 100 }),
  csThread: (id, after) => http.get(`/merchant/cs/threads/${e(id)}`, { after }),
  csPost: (id, text) => http.post(`/merchant/cs/threads/${e(id)}/messages`, { text }),
  csRead: (id) => http.post(`/merchant/cs/threads/${e(id)}/read`),
  replyReview: (id, reply) => http.post(`/merchant/reviews/${e(id)}/reply`, { reply }),
  createCoupon: (body) => http.post('/merchant/coupons', body),
  stopCoupon: (id) => http.post(`/merchant/coupons/${e(id)}/stop`),

  // membership cards (会员): the programme, stores and their claim QR codes
  memberProgramme: () => http.get('/merchant/member-programme'),
  saveMemberProgramme: (body) => http.put('/merchant/member-programme', body),
  memberStores: () => http.get('/merchant/member-stores'),
  createMemberStore: (body) => http.post('/merchant/member-stores', body),
  updateMemberStore: (id, body) => http.put(`/merchant/member-stores/${e(id)}`, body),
  removeMemberStore: (id) => http.del(`/merchant/member-stores/${e(id)}`),
  members: (query) => http.get('/merchant/member-cards', query),
  adjustMemberPoints: (id, body) => http.post(`/merchant/member-cards/${e(id)}/points`, body),
  memberPushes: (query) => http.get('/merchant/member-pushes', query),
  createMemberPush: (body) => http.post('/merchant/member-pushes', body),
  memberPushTags: () => http.get('/merchant/member-push-tags'),
  categories: () => http.get('/categories'),

  // community group buying (社区团购): leaders, campaigns, consolidated shipments
  communityLeaders: (query) => http.get('/merchant/community/leaders', query),
  leaderAction: (id, action) => http.post(`/merchant/community/leaders/${e(id)}/${e(action)}`),
  communityCampaigns: () => http.get('/merchant/community/campaigns'),
  createCommunityCampaign: (body) => http.post('/merchant/community/campaigns', body),
  closeCommunityCampaign: (id) => http.post(`/merchant/community/campaigns/${e(id)}/close`),
  communityBatches: (query) => http.get('/merchant/community/batches', query),
  communityBatch: (id) => http.get(`/merchant/community/batches/${e(id)}`),
  // each active leader's own link to a campaign, with its QR code (SVG)
  communityLeaderLinks: (id) => http.get(`/merchant/community/campaigns/${e(id)}/leader-links`),
  // orders, GMV and commission per leader per campaign
  communityPerformance: (query) => http.get('/merchant/community/performance', query),
  shipBatch: (id, carrier, trackingNo) => http.post(`/merchant/community/batches/${e(id)}/ship`, { carrier, tracking_no: trackingNo }),

  orders: (query) => http.get('/merchant/orders', query),
  // the data platform's BI, computed server-side from its projections (insight/)
  insights: (query) => http.get('/merchant/insights/overview', query),
  insightBreakdowns: (query) => http.get('/merchant/insights/breakdowns', query),
  followers: (days) => http.get('/merchant/followers', { days }),
  // A file to download (the per-day CSV, the streamed order and event exports) as a Blob; a
  // refusal throws the server's message (in the UI's language), like every other call.
  download: async (path, query) => {
    const h = { ...(merchantStore.get() ? { 'X-Merchant-Id': merchantStore.get() } : {}), Authorization: `Bearer ${tokenStore.get()}` };
    const res = await fetch(`/api/v1${path}?${new URLSearchParams(query)}`, { headers: { ...h, 'Accept-Language': locale.value } })
      .catch(() => null);
    if (!res?.ok) {
      const err = (await res?.json().catch(() => null))?.error || {};
      throw new Error(errorText({ status: res?.status || 0, code: res ? err.code : 'NETWORK', reason: err.reason, params: err.params, serverMessage: err.message }, { t, has }));
    }
    return res.blob();
  },
  ship: (id, carrier, trackingNo) => http.post(`/merchant/orders/${e(id)}/ship`, { carrier, tracking_no: trackingNo }),
  pushTracking: (id, description, delivered) =>
    http.post(`/merchant/orders/${e(id)}/tracking`, { description, delivered }),

  aftersales: (query) => http.get('/merchant/aftersales', query),
  approveAftersale: (id) => http.post(`/merchant/aftersales/${e(id)}/approve`),
  rejectAftersale: (id, reason) => http.post(`/merchant/aftersales/${e(id)}/reject`, { reason }),
  receiveAftersale: (id) => http.post(`/merchant/aftersales/${e(id)}/receive`),

  finance: () => http.get('/merchant/finance'),
  ledger: (query) => http.get('/merchant/ledger', query),
  withdraw: (amountFen) =>
    http.post('/merchant/withdrawals', { amount_fen: amountFen }, { idempotencyKey: newIdempotencyKey() }),

  // open platform (ka merchants; owner)
  openMeta: () => http.get('/open/meta'),
  apiKeys: () => http.get('/merchant/api-keys'),
  createApiKey: (body) => http.post('/merchant/api-keys', body),
  revokeApiKey: (id) => http.del(`/merchant/api-keys/${e(id)}`),
  webhooks: () => http.get('/merchant/webhooks'),
  createWebhook: (body) => http.post('/merchant/webhooks', body),
  updateWebhook: (id, body) => http.patch(`/merchant/webhooks/${e(id)}`, body),
  deleteWebhook: (id) => http.del(`/merchant/webhooks/${e(id)}`),
  rotateWebhookSecret: (id) => http.post(`/merchant/webhooks/${e(id)}/rotate-secret`),
  webhookDeliveries: (query) => http.get('/merchant/webhook-deliveries', query),
  redeliver: (id) => http.post(`/merchant/webhook-deliveries/${e(id)}/redeliver`),

  // platform operator
  adminMerchants: (query) => http.get('/admin/merchants', query),
  approveMerchant: (id) => http.post(`/admin/merchants/${e(id)}/approve`),
  updateMerchantRules: (id, body) => http.patch(`/admin/merchants/${e(id)}`, body),
  kindDefaults: () => http.get('/admin/kind-defaults'),
  feedSettings: () => http.get('/admin/feed/settings'),
  setFeedSettings: (body) => http.put('/admin/feed/settings', body),
  fairness: (days) => http.get('/admin/feed/fairness', { days }),
  platformInsights: (query) => http.get('/admin/insights/platform', query),
  setKindDefaults: (kind, body) => http.put(`/admin/kind-defaults/${e(kind)}`, body),
  issueCard: (body) => http.post('/admin/cards', body, { idempotencyKey: newIdempotencyKey() }),
  ledgerCheck: () => http.get('/admin/ledger/check'),
};

/** Fetch every page of a cursor list (bounded: at most `maxPages`). */
export async function fetchAll(list, query = {}, maxPages = 50) {
  const items = [];
  let cursor = null;
  for (let i = 0; i < maxPages; i++) {
    const page = await list({ ...query, limit: 100, cursor });
    items.push(...page.items);
    cursor = page.next_cursor;
    if (!cursor) break;
  }
  return items;
}
