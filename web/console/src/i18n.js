// Chinese by default, English on request; Element Plus's own texts follow.
import { computed, ref } from 'vue';
import zhCn from 'element-plus/es/locale/lang/zh-cn';
import en from 'element-plus/es/locale/lang/en';
import { createI18n } from '../../common/i18n.js';
import { zh as zhMessages, en as enMessages } from './messages.js';
import { zh as memberZh, en as memberEn } from './messages_member.js';
import { zh as socialZh, en as socialEn } from './messages_social.js';
import { zh as promoZh, en as promoEn } from './messages_promo.js';
import { zh as labelZh, en as labelEn } from './messages_labels.js';
import { zh as communityZh, en as communityEn } from './messages_community.js';
import { zh as liveZh, en as liveEn } from './messages_live.js';

export const { locale, t, has, toggle } = createI18n({
  ref,
  messages: {
    zh: { ...zhMessages, ...memberZh, ...socialZh, ...promoZh, ...labelZh, ...communityZh, ...liveZh },
    en: { ...enMessages, ...memberEn, ...socialEn, ...promoEn, ...labelEn, ...communityEn, ...liveEn },
  },
  storageKey: 'xiaodian.locale',
});
export const elementLocale = computed(() => (locale.value === 'en' ? en : zhCn));
