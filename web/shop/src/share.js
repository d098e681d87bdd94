// Share links are shop URLs carrying the sharer's id for attribution; copied, or shown
// when the clipboard is not available (plain http).
import { showDialog, showToast } from 'vant';
import { session } from './session.js';
import { t } from './i18n.js';

export async function shareLink(path) {
  const url = new URL(window.location.href);
  url.hash = `#${path}` + (session.user ? `?sharer=${session.user.id}` : '');
  try {
    await navigator.clipboard.writeText(url.href);
    showToast(t('share.copied'));
  } catch {
    showDialog({ title: t('share.title'), message: url.href });
  }
}
