import { createRouter, createWebHashHistory } from 'vue-router';
import { onUnauthorized } from './api.js';
import { clearSession, isSignedIn } from './session.js';

// meta.tab: shows the bottom tab bar; meta.auth: needs a signed-in buyer.
const routes = [
  { path: '/', name: 'home', component: () => import('./views/Home.vue'), meta: { tab: true } },
  { path: '/search', name: 'search', component: () => import('./views/Search.vue') },
  { path: '/product/:id', name: 'product', component: () => import('./views/Product.vue') },
  { path: '/group/:id', name: 'group', component: () => import('./views/Group.vue') },
  { path: '/bargain/:id', name: 'bargain', component: () => import('./views/Bargain.vue') },
  { path: '/coupon/:id', name: 'coupon', component: () => import('./views/Coupon.vue') },
  { path: '/channel/:type(flash_sale|group_buy|bargain)', name: 'channel', component: () => import('./views/Channel.vue') },
  { path: '/coupon-centre', name: 'coupon-centre', component: () => import('./views/CouponCentre.vue') },
  { path: '/product/:id/reviews', name: 'reviews', component: () => import('./views/Reviews.vue') },
  { path: '/review/:orderId', name: 'review', component: () => import('./views/Review.vue'), meta: { auth: true } },
  { path: '/favorites', name: 'favorites', component: () => import('./views/Favorites.vue'), meta: { auth: true } },
  { path: '/cs/:id', name: 'cs', component: () => import('./views/Chat.vue'), meta: { auth: true } },
  { path: '/messages', name: 'messages', component: () => import('./views/Chats.vue'), meta: { auth: true } },
  { path: '/history', name: 'history', component: () => import('./views/History.vue'), meta: { auth: true } },
  { path: '/shop/:merchantId', name: 'shop', component: () => import('./views/Shop.vue') },
  { path: '/live', name: 'live-rooms', component: () => import('./views/LiveRooms.vue') },
  { path: '/live/:id', name: 'live', component: () => import('./views/Live.vue') },
  { path: '/live-reminders', name: 'live-reminders', component: () => import('./views/LiveReminders.vue'), meta: { auth: true } },
  { path: '/gift/:token', name: 'gift', component: () => import('./views/Gift.vue') },
  { path: '/c/:token', name: 'member-claim', component: () => import('./views/MemberClaim.vue') },
  { path: '/member-cards', name: 'member-cards', component: () => import('./views/MemberCards.vue'), meta: { auth: true } },
  { path: '/member-cards/:id', name: 'member-card', component: () => import('./views/MemberCard.vue'), meta: { auth: true } },
  { path: '/tuan/:campaign/:code?', name: 'tuan', component: () => import('./views/Tuan.vue') },
  { path: '/leader', name: 'leader', component: () => import('./views/Leader.vue'), meta: { auth: true } },
  { path: '/inbox', name: 'inbox', component: () => import('./views/Inbox.vue'), meta: { auth: true } },
  { path: '/s/:code', name: 'share', component: () => import('./views/ShareLanding.vue') },
  { path: '/coupons', name: 'coupons', component: () => import('./views/Coupons.vue'), meta: { auth: true } },
  { path: '/gifts', name: 'gifts', component: () => import('./views/Gifts.vue'), meta: { auth: true } },
  { path: '/cart', name: 'cart', component: () => import('./views/Cart.vue'), meta: { tab: true, auth: true } },
  { path: '/checkout', name: 'checkout', component: () => import('./views/Checkout.vue'), meta: { auth: true } },
  { path: '/cashier/:orderId', name: 'cashier', component: () => import('./views/Cashier.vue'), meta: { auth: true } },
  { path: '/pay/:paymentId', name: 'pay', component: () => import('./views/Cashier.vue'), meta: { auth: true } },
  { path: '/orders', name: 'orders', component: () => import('./views/Orders.vue'), meta: { auth: true } },
  { path: '/orders/:id', name: 'order', component: () => import('./views/OrderDetail.vue'), meta: { auth: true } },
  { path: '/me', name: 'me', component: () => import('./views/Me.vue'), meta: { tab: true } },
  { path: '/login', name: 'login', component: () => import('./views/Login.vue') },
  { path: '/friends', name: 'friends', component: () => import('./views/Friends.vue'), meta: { auth: true } },
  { path: '/earnings', name: 'earnings', component: () => import('./views/Earnings.vue'), meta: { auth: true } },
  { path: '/cards', name: 'cards', component: () => import('./views/Cards.vue'), meta: { auth: true } },
  { path: '/open-shop', name: 'open-shop', component: () => import('./views/OpenShop.vue'), meta: { auth: true } },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

const router = createRouter({
  history: createWebHashHistory(),
  routes,
  scrollBehavior: (to, from, saved) => saved || { top: 0 },
});

router.beforeEach((to) => {
  if (to.meta.auth && !isSignedIn()) return { name: 'login', query: { redirect: to.fullPath } };
});

function signedOut() {
  clearSession();
  const current = router.currentRoute.value;
  if (current.meta.auth) router.replace({ name: 'login', query: { redirect: current.fullPath } });
}
onUnauthorized(signedOut);

export default router;
