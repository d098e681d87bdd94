// A tiny i18n: messages are { zh: {...}, en: {...} } with "{name}" placeholders.
// `ref` is passed in by the app so this file does not import vue itself.

export function createI18n({ ref, messages, storageKey, fallback = 'zh' }) {
  const saved = localStorage.getItem(storageKey);
  const locale = ref(messages[saved] ? saved : fallback);
  const apply = (l) => {
    document.documentElement.lang = l === 'zh' ? 'zh-CN' : l;
  };
  apply(locale.value);

  function t(key, params) {
    const dict = messages[locale.value] || messages[fallback];
    let s = dict[key] ?? messages[fallback][key] ?? key;
    if (params) s = s.replace(/\{(\w+)\}/g, (_, k) => (params[k] ?? `{${k}}`));
    return s;
  }
  // True when the current locale has its own text for `key`.
  function has(key) {
    return key in (messages[locale.value] || {});
  }
  function setLocale(l) {
    if (!messages[l]) return;
    locale.value = l;
    localStorage.setItem(storageKey, l);
    apply(l);
  }
  return { locale, t, has, setLocale, toggle: () => setLocale(locale.value === 'zh' ? 'en' : 'zh') };
}
