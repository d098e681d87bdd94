// Copying links: to the clipboard, or shown when the clipboard is not available (plain http).
// Share links that attribute are made by components/SharePanel.vue (POST /shares → /s/{code});
// this copies plain shop links (a gift's link carries its own token), with nobody's id in them.
import { showDialog, showToast } from 'vant';
import { t } from './i18n.js';

export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    showToast(t('share.copied'));
  } catch {
    showDialog({ title: t('share.title'), message: text });
  }
}

/** Copies the shop URL of an in-app path ("/gift/abc…"). */
export async function shareLink(path) {
  const url = new URL(window.location.href);
  url.hash = `#${path}`;
  await copyText(url.href);
}
