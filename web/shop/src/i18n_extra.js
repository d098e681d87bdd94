// t() and has() over the shop's messages (i18n.js) and the texts of issue 15's features
// (i18n_promo.js: promotions to find, reviews, favourites, history, customer service). The
// app's $t is this t; a script that words one of those texts imports t from here.
import { locale, t as baseT, has as baseHas } from './i18n.js';
import { zh, en } from './i18n_promo.js';

const extra = { zh, en };

export function t(key, params) {
  const s = extra[locale.value]?.[key] ?? extra.zh[key];
  if (s === undefined) return baseT(key, params);
  return params ? s.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? `{${k}}`)) : s;
}

export const has = (key) => key in (extra[locale.value] || {}) || baseHas(key);
