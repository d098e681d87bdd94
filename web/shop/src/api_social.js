// The shop's calls for social selling (issue 14: 我的收益, share-to-drop progress, friends'
// recommendations). The same client as api.js (token, language, error wording), with the
// social texts' reasons known to the error wording.
import { createHttp } from '../../common/http.js';
import { errorText } from '../../common/errors.js';
import { locale } from './i18n.js';
import { tokenStore } from './api.js';
import { st, sHas } from './i18n_social.js';

const http = createHttp({
  token: tokenStore.get,
  lang: () => locale.value,
  describe: (err) => errorText(err, { t: st, has: sHas }),
  // A rejected token: forget it; the router's guard sends the next navigation to sign-in.
  onUnauthorized: () => tokenStore.clear(),
});
const e = encodeURIComponent;

export const socialApi = {
  shareDropProgress: (id) => http.get(`/activities/${e(id)}/share-drop`),
  recommend: (productId, text) => http.post('/recommendations', { product_id: productId, text }),
  friendRecommendations: (productId) => http.get(`/products/${e(productId)}/friend-recommendations`, { limit: 5 }),
  withdrawEarnings: (amountFen, idempotencyKey) => http.post('/me/commissions/withdrawals', { amount_fen: amountFen }, { idempotencyKey }),
};
