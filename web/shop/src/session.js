// Who is signed in, and how many items are in their cart.
import { reactive } from 'vue';
import { api, tokenStore } from './api.js';
import { identify } from './track.js';

export const session = reactive({ user: null, merchants: [], cartCount: 0 });

export const isSignedIn = () => Boolean(tokenStore.get());

export async function loadMe() {
  if (!isSignedIn()) return;
  const me = await api.me();
  session.user = me.user;
  session.merchants = me.merchants || [];
}

export async function refreshCartCount() {
  if (!isSignedIn()) return;
  const cart = await api.cart();
  session.cartCount = cart.items.reduce((n, it) => n + it.quantity, 0);
}

export async function signIn({ token, user }) {
  tokenStore.set(token);
  session.user = user;
  identify(); // the device's anonymous events count for this buyer from now on
  await Promise.all([loadMe(), refreshCartCount()]);
}

export function clearSession() {
  tokenStore.clear();
  session.user = null;
  session.merchants = [];
  session.cartCount = 0;
}

export async function signOut() {
  await api.logout().catch(() => {});
  clearSession();
}
