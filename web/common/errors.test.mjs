import test from 'node:test';
import assert from 'node:assert/strict';
import { errorText } from './errors.js';
import { ApiError } from './http.js';

const messages = {
  zh: { 'err.PER_USER_LIMIT': '每人限购 {limit} 件', 'err.NETWORK': '网络连接失败', 'err.unknown': '出错了（{status}）' },
  en: { 'err.PER_USER_LIMIT': 'Limit {limit} per person', 'err.NETWORK': 'Network error', 'err.unknown': 'Something went wrong ({status})' },
};
const i18n = (locale) => ({
  t: (key, params = {}) => messages[locale][key].replace(/\{(\w+)\}/g, (_, k) => params[k]),
  has: (key) => key in messages[locale],
});

test('the app words a reason it knows, with the server params', () => {
  const err = new ApiError(422, 'LIMIT_EXCEEDED', '每人限购 1 件，你已购买 1 件', { reason: 'PER_USER_LIMIT', params: { limit: 1, held: 1 } });
  assert.equal(errorText(err, i18n('zh')), '每人限购 1 件');
  assert.equal(errorText(err, i18n('en')), 'Limit 1 per person');
});

test('a reason the app does not know shows the server message (already in the app language)', () => {
  const err = new ApiError(400, 'MISSING_FIELD', '请填写昵称', { reason: 'FIELD_REQUIRED', params: { field: 'nickname' } });
  assert.equal(errorText(err, i18n('zh')), '请填写昵称');
});

test('a network failure never shows the browser English', () => {
  const err = new ApiError(0, 'NETWORK', undefined, { params: { detail: 'Failed to fetch' } });
  assert.equal(errorText(err, i18n('zh')), '网络连接失败');
  assert.equal(errorText(err, i18n('en')), 'Network error');
});

test('an answer without an error body gets a generic message', () => {
  const err = new ApiError(502, undefined, undefined);
  assert.equal(errorText(err, i18n('zh')), '出错了（502）');
});
