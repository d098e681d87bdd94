// The shop's API calls for issue 15's features (coupons to claim, channels, reviews,
// favourites, history, customer service) beside api.js's: `api` here is api.js's object with
// these added, over a client configured as api.js's is (the same token, language, error
// wording and sign-out handling). Views of those features import `api` from here.
import { createHttp } from '../../common/http.js';
import { errorText } from '../../common/errors.js';
import { api as baseApi, tokenStore } from './api.js';
import { locale } from './i18n.js';
import { t, has } from './i18n_extra.js';

let unauthorized = () => {};
/** The router registers what to do when the server rejects the token (as with api.js's). */
export function onUnauthorized(fn) {
  unauthorized = fn;
}

const http = createHttp({
  token: tokenStore.get,
  lang: () => locale.value,
  describe: (err) => errorText(err, { t, has }),
  onUnauthorized: (err) => {
    tokenStore.clear();
    unauthorized(err);
  },
});

const e = encodeURIComponent;

export const api = {
  ...baseApi,
  // coupons to claim and activity channels
  shopCoupons: (merchantId) => http.get(`/merchants/${e(merchantId)}/coupons`),
  platformCoupons: () => http.get('/platform/coupons'),
  couponCentre: (cursor) => http.get('/coupon-centre', { limit: 20, cursor }),
  channel: (type, cursor) => http.get('/activities', { type, limit: 20, cursor }),
  // reviews (评价), favourites (收藏), history
  productReviews: (productId, query) => http.get(`/products/${e(productId)}/reviews`, query),
  orderReviews: (orderId) => http.get(`/orders/${e(orderId)}/reviews`),
  createReview: (body) => http.post('/reviews', body),
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
};
