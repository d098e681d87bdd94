// The signed-in staff member, their merchants and the one being managed.
import { computed, reactive } from 'vue';
import { api, merchantStore, tokenStore } from './api.js';

export const session = reactive({ user: null, merchants: [], merchantId: merchantStore.get() });

export const currentMerchant = computed(() => session.merchants.find((m) => m.id === session.merchantId) || null);
export const isSignedIn = () => Boolean(tokenStore.get());

export function selectMerchant(id) {
  session.merchantId = id || null;
  merchantStore.set(id);
}

export async function loadMe() {
  const me = await api.me();
  session.user = me.user;
  session.merchants = me.merchants || [];
  if (!currentMerchant.value) {
    const usable = session.merchants.find((m) => m.status === 'active') || session.merchants[0];
    selectMerchant(usable?.id);
  }
}

export async function signIn({ token }) {
  tokenStore.set(token);
  await loadMe();
}

export function clearSession() {
  tokenStore.clear();
  session.user = null;
  session.merchants = [];
}

export async function signOut() {
  await api.logout().catch(() => {});
  clearSession();
}
