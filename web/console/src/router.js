import { createRouter, createWebHashHistory } from 'vue-router';
import { onUnauthorized } from './api.js';
import { clearSession, isSignedIn, loadMe, session } from './session.js';

// meta.merchant: needs a current merchant; meta.admin: platform operators only.
const routes = [
  { path: '/login', name: 'login', component: () => import('./views/Login.vue'), meta: { public: true } },
  // A batch's picking list on a page of its own, without the console's frame: for the printer.
  { path: '/print/community-batch/:id', name: 'batch-print', component: () => import('./views/BatchPrint.vue'), meta: { merchant: true } },
  {
    path: '/',
    component: () => import('./views/Layout.vue'),
    children: [
      { path: '', redirect: '/dashboard' },
      { path: 'dashboard', name: 'dashboard', component: () => import('./views/Dashboard.vue'), meta: { merchant: true } },
      { path: 'settings', name: 'settings', component: () => import('./views/Settings.vue'), meta: { merchant: true } },
      { path: 'products', name: 'products', component: () => import('./views/Products.vue'), meta: { merchant: true } },
      { path: 'activities', name: 'activities', component: () => import('./views/Activities.vue'), meta: { merchant: true } },
      { path: 'live', name: 'live', component: () => import('./views/Live.vue'), meta: { merchant: true } },
      { path: 'distribution', name: 'distribution', component: () => import('./views/Distribution.vue'), meta: { merchant: true } },
      { path: 'chat-groups', name: 'chat-groups', component: () => import('./views/ChatGroups.vue'), meta: { merchant: true } },
      { path: 'cs', name: 'cs', component: () => import('./views/CustomerService.vue'), meta: { merchant: true } },
      { path: 'reviews', name: 'reviews', component: () => import('./views/Reviews.vue'), meta: { merchant: true } },
      { path: 'coupons', name: 'coupons', component: () => import('./views/Coupons.vue'), meta: { merchant: true } },
      { path: 'members', name: 'members', component: () => import('./views/Members.vue'), meta: { merchant: true } },
      { path: 'community', name: 'community', component: () => import('./views/Community.vue'), meta: { merchant: true } },
      { path: 'orders', name: 'orders', component: () => import('./views/Orders.vue'), meta: { merchant: true } },
      { path: 'aftersales', name: 'aftersales', component: () => import('./views/Aftersales.vue'), meta: { merchant: true } },
      { path: 'finance', name: 'finance', component: () => import('./views/Finance.vue'), meta: { merchant: true } },
      { path: 'freight', name: 'freight', component: () => import('./views/Freight.vue'), meta: { merchant: true } },
      { path: 'open', name: 'open', component: () => import('./views/OpenPlatform.vue'), meta: { merchant: true } },
      { path: 'admin/merchants', name: 'admin-merchants', component: () => import('./views/admin/Merchants.vue'), meta: { admin: true } },
      { path: 'admin/kinds', name: 'admin-kinds', component: () => import('./views/admin/KindDefaults.vue'), meta: { admin: true } },
      { path: 'admin/cards', name: 'admin-cards', component: () => import('./views/admin/Cards.vue'), meta: { admin: true } },
      { path: 'admin/fairness', name: 'admin-fairness', component: () => import('./views/admin/Fairness.vue'), meta: { admin: true } },
      { path: 'admin/platform', name: 'admin-platform', component: () => import('./views/admin/Platform.vue'), meta: { admin: true } },
      { path: 'admin/ledger', name: 'admin-ledger', component: () => import('./views/admin/Ledger.vue'), meta: { admin: true } },
    ],
  },
  { path: '/:pathMatch(.*)*', redirect: '/' },
];

const router = createRouter({ history: createWebHashHistory(), routes });

router.beforeEach(async (to) => {
  if (to.meta.public) return true;
  if (!isSignedIn()) return { name: 'login', query: { redirect: to.fullPath } };
  if (!session.user) await loadMe();
  if (to.meta.admin && !session.user?.is_admin) return { name: 'dashboard' };
  // A platform operator without a shop of their own lands on the admin pages, not on
  // "you have no shop yet" under the merchant menu.
  if (to.meta.merchant && session.user?.is_admin && !session.merchants.length) return { name: 'admin-merchants' };
  return true;
});

onUnauthorized(() => {
  clearSession();
  const current = router.currentRoute.value;
  if (!current.meta.public) router.replace({ name: 'login', query: { redirect: current.fullPath } });
});

export default router;
