// The shop's API client: every call to the server goes through here, over one http client
// (token, language, error wording from i18n.js, and sign-out when the server rejects the token).
import { createHttp, newIdempotencyKey } from '../../common/http.js';
import { errorText } from '../../common/errors.js';
import { locale, t, has } from './i18n.js';

const TOKEN_KEY = 'xiaodian.token'; // shared with the console (same origin)

export const tokenStore = {
  get: () => localStorage.getItem(TOKEN_KEY),
  set: (t) => localStorage.setItem(TOKEN_KEY, t),
  clear: () => localStorage.removeItem(TOKEN_KEY),
};

let unauthorized = () => {};
/** The router registers what to do when the server rejects the token. */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

const http = createHttp({
  token: tokenStore.get,
  // Errors in the app's language: its own words for known reasons, else the server's message.
  lang: () => locale.value,
  describe: (err) => errorText(err, { t, has }),
  onUnauthorized: (err) => {
    tokenStore.clear();
    unauthorized(err);
  },
});

const e = encodeURIComponent;

export { newIdempotencyKey };

export const api = {
  // accounts
  register: (body) => http.post('/auth/register', body),
  login: (body) => http.post('/auth/login', body),
  logout: () => http.post('/auth/logout'),
  me: () => http.get('/me'),
  // China's regions by code ({province_list, city_list, county_list}) for the address picker.
  regions: () => http.get('/regions'),
  addresses: () => http.get('/me/addresses'),
  addAddress: (addr) => http.post('/me/addresses', addr),
  cards: () => http.get('/me/cards'),
  openShop: (name) => http.post('/merchants', { kind: 'c2c', name }),

  // friends
  friends: () => http.get('/friends'),
  friendRequests: () => http.get('/friends/requests'),
  addFriend: (phone) => http.post('/friends/requests', { phone }),
  acceptFriend: (requestId) => http.post(`/friends/requests/${e(requestId)}/accept`),
  removeFriend: (userId) => http.del(`/friends/${e(userId)}`),

  // catalog
  products: (query) => http.get('/products', query),
  product: (id) => http.get(`/products/${e(id)}`),
  categories: () => http.get('/categories'),
  shop: (merchantId) => http.get(`/merchants/${e(merchantId)}`),
  storefront: (merchantId) => http.get(`/shops/${e(merchantId)}`),
  feed: (query) => http.get('/feed', query),
  hotShops: (limit = 10) => http.get('/hot-shops', { limit }),

  // social trading
  productActivities: (productId) => http.get(`/products/${e(productId)}/activities`),
  productGroups: (productId) => http.get(`/products/${e(productId)}/groups`),
  activity: (id) => http.get(`/activities/${e(id)}`),
  group: (id) => http.get(`/groups/${e(id)}`),
  startBargain: (activityId) => http.post('/bargains', { activity_id: activityId }),
  bargain: (id) => http.get(`/bargains/${e(id)}`),
  helpBargain: (id) => http.post(`/bargains/${e(id)}/help`),

  // share links (分享: #/s/{code}, the page the short link /s/{code} redirects to)
  createShare: (target, targetId, channel = 'link') => http.post('/shares', { target, target_id: targetId, channel }),
  share: (code) => http.get(`/shares/${e(code)}`),
  openShare: (code) => http.post(`/shares/${e(code)}/open`),
  shareQrUrl: (code) => `/api/v1/shares/${e(code)}/qr.svg`,
  myCommissions: () => http.get('/me/commissions'),

  // membership cards (会员卡: a claim link is #/c/{token})
  memberClaim: (token) => http.get(`/member-cards/claim/${e(token)}`),
  claimMemberCard: (token) => http.post(`/member-cards/claim/${e(token)}`),
  memberCards: () => http.get('/me/member-cards'),
  memberCard: (id) => http.get(`/me/member-cards/${e(id)}`),
  memberCode: (id) => http.get(`/me/member-cards/${e(id)}/code`),
  memberPoints: (id, query) => http.get(`/me/member-cards/${e(id)}/points`, query),
  shareMemberCard: (id) => http.post(`/me/member-cards/${e(id)}/share`),
  memberReferrals: (id) => http.get(`/me/member-cards/${e(id)}/referrals`),
  setMemberPushes: (id, optOut) => http.put(`/me/member-cards/${e(id)}/pushes`, { opt_out: optOut }),
  inbox: (query) => http.get('/me/inbox', query),
  openMessage: (id) => http.post(`/me/inbox/${e(id)}/open`),
  // coupons (领券: a coupon's claim link is #/coupon/{id}) and gifts (送礼: #/gift/{token})
  coupon: (id) => http.get(`/coupons/${e(id)}`),
  claimCoupon: (id) => http.post(`/coupons/${e(id)}/claim`),
  myCoupons: (status) => http.get('/me/coupons', status ? { status } : undefined),
  gift: (token) => http.get(`/gifts/${e(token)}`),
  claimGift: (token, address) => http.post('/gift-claims', { token, address }),
  myGifts: () => http.get('/me/gifts'),

  // cart and checkout
  cart: () => http.get('/cart'),
  addToCart: (skuId, quantity) => http.post('/cart/items', { sku_id: skuId, quantity }),
  setCartQuantity: (itemId, quantity) => http.patch(`/cart/items/${e(itemId)}`, { quantity }),
  removeCartItem: (itemId) => http.del(`/cart/items/${e(itemId)}`),
  previewCheckout: (body) => http.post('/checkout/preview', body),
  checkout: (body, idempotencyKey) => http.post('/checkout', body, { idempotencyKey }),

  // orders
  orders: (query) => http.get('/orders', query),
  order: (id) => http.get(`/orders/${e(id)}`),
  // Long poll: answers when the order leaves `status`, or after waitMs.
  waitOrder: (id, status, waitMs) => http.get(`/orders/${e(id)}`, { wait_while: status, wait_ms: waitMs }),
  cancelOrder: (id) => http.post(`/orders/${e(id)}/cancel`),
  confirmOrder: (id) => http.post(`/orders/${e(id)}/confirm`),
  // community group buying (社区团购: a leader's link #/tuan/{campaign}/{code}, the leader centre)
  tuan: (campaignId, code) => http.get(`/community/campaigns/${e(campaignId)}`, { leader: code }),
  nearestPoints: (campaignId, latitude, longitude) =>
    http.get(`/community/campaigns/${e(campaignId)}/pickup-points`, { latitude, longitude }),
  pickupCode: (orderId) => http.get(`/orders/${e(orderId)}/pickup-code`),
  applyLeader: (body) => http.post('/community/leaders', body),
  myLeaders: () => http.get('/me/leaders'),
  leaderCampaigns: (id) => http.get(`/me/leaders/${e(id)}/campaigns`),
  leaderOrders: (id) => http.get(`/me/leaders/${e(id)}/orders`),
  leaderBatches: (id) => http.get(`/me/leaders/${e(id)}/batches`),
  leaderArrive: (id, batchId) => http.post(`/me/leaders/${e(id)}/batches/${e(batchId)}/arrive`),
  leaderVerify: (id, body) => http.post(`/me/leaders/${e(id)}/pickups`, body),
  // the order a pickup code names at the leader's point: its lines and what is left (partial pickup)
  leaderPickupPreview: (id, code) => http.get(`/me/leaders/${e(id)}/pickups/${e(code)}`),
  leaderEarnings: (id) => http.get(`/me/leaders/${e(id)}/earnings`),
  leaderWithdraw: (id, amountFen) => http.post(`/me/leaders/${e(id)}/withdrawals`, { amount_fen: amountFen }),
  payOrder: (id, body, idempotencyKey) => http.post(`/orders/${e(id)}/pay`, body, { idempotencyKey }),
  requestAftersale: (orderId, body) => http.post(`/orders/${e(orderId)}/aftersales`, body),

  // social selling (issue 14: share-to-drop progress, recommendations, 我的收益's withdrawal)
  shareDropProgress: (id) => http.get(`/activities/${e(id)}/share-drop`),
  recommend: (productId, text) => http.post('/recommendations', { product_id: productId, text }),
  friendRecommendations: (productId) => http.get(`/products/${e(productId)}/friend-recommendations`, { limit: 5 }),
  withdrawEarnings: (amountFen, idempotencyKey) => http.post('/me/commissions/withdrawals', { amount_fen: amountFen }, { idempotencyKey }),
  // coupons to claim and activity channels
  shopCoupons: (merchantId) => http.get(`/merchants/${e(merchantId)}/coupons`),
  platformCoupons: () => http.get('/platform/coupons'),
  couponCentre: (cursor) => http.get('/coupon-centre', { limit: 20, cursor }),
  channel: (type, cursor) => http.get('/activities', { type, limit: 20, cursor }),
  // reviews (评价), favourites (收藏), history
  productReviews: (productId, query) => http.get(`/products/${e(productId)}/reviews`, query),
  orderReviews: (orderId) => http.get(`/orders/${e(orderId)}/reviews`),
  createReview: (body) => http.post('/reviews', body),
  // A photo for a review (POST /media): answers {id, urls:{l,m,s}}; the review names the ids.
  uploadPhoto: (file) => http.upload('/media', file),
  favoriteState: (productId) => http.get(`/products/${e(productId)}/favorite`),
  setFavorite: (kind, id, on) => (on ? http.put : http.del)(`/me/favorites/${e(kind)}/${e(id)}`),
  favorites: (kind, cursor) => http.get(`/me/favorites/${e(kind)}`, { limit: 20, cursor }),
  recordView: (productId) => http.post('/me/history/views', { product_id: productId }),
  views: () => http.get('/me/history/views', { limit: 100 }),
  clearViews: () => http.del('/me/history/views'),
  recordSearch: (q) => http.post('/me/history/searches', { q }),
  searches: () => http.get('/me/history/searches'),
  clearSearches: () => http.del('/me/history/searches'),
  popularSearches: () => http.get('/search/popular'),
  // customer service (客服)
  openCs: (body) => http.post('/cs/threads', body),
  csThreads: () => http.get('/me/cs/threads'),
  csThread: (id, after) => http.get(`/cs/threads/${e(id)}`, { after }),
  csPost: (id, text) => http.post(`/cs/threads/${e(id)}/messages`, { text }),
  csRead: (id) => http.post(`/cs/threads/${e(id)}/read`),
  // live rooms (直播)
  liveRooms: () => http.get('/live/rooms'),
  liveRoom: (id, query) => http.get(`/live/rooms/${e(id)}`, query),
  liveRemind: (id) => http.post(`/live/rooms/${e(id)}/reminders`),
  liveReminders: () => http.get('/me/live-reminders'),
  liveComment: (id, text) => http.post(`/live/rooms/${e(id)}/comments`, { text }),
  liveLike: (id, count) => http.post(`/live/rooms/${e(id)}/likes`, { count }),

  // sandbox payment provider
  sandboxPayment: (paymentId) => http.get(`/pay/sandbox/${e(paymentId)}`),
  completeSandbox: (paymentId) => http.post(`/pay/sandbox/${e(paymentId)}/complete`),
  failSandbox: (paymentId) => http.post(`/pay/sandbox/${e(paymentId)}/fail`),
};
