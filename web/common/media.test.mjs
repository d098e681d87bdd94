import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sized } from './media.js';

const sha = 'a'.repeat(64);
test('an uploaded photo is asked for in the size a screen needs', () => {
  assert.equal(sized(`/media/${sha}-l.jpg`, 'm'), `/media/${sha}-m.jpg`);
  assert.equal(sized(`/media/${sha}-s.jpg`, 'l'), `/media/${sha}-l.jpg`);
});
test('other image URLs are left alone', () => {
  assert.equal(sized('/img/101.svg', 'm'), '/img/101.svg');
  assert.equal(sized('https://example.com/a-l.jpg', 's'), 'https://example.com/a-l.jpg');
  assert.equal(sized(undefined, 's'), undefined);
});
