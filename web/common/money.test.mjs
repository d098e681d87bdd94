import test from 'node:test';
import assert from 'node:assert/strict';
import { formatFen, parseYuan, formatBps, fenToYuanString } from './money.js';

test('formatFen', () => {
  assert.equal(formatFen(1234), '¥12.34');
  assert.equal(formatFen(5), '¥0.05');
  assert.equal(formatFen(0), '¥0.00');
  assert.equal(formatFen(-1999), '-¥19.99');
  assert.equal(formatFen(100000000001), '¥1000000000.01');
  assert.equal(formatFen(1.5), '—');
  assert.equal(formatFen(undefined), '—');
  assert.equal(fenToYuanString(6800), '68.00');
});

test('parseYuan', () => {
  assert.equal(parseYuan('12.34'), 1234);
  assert.equal(parseYuan('12'), 1200);
  assert.equal(parseYuan('12.3'), 1230);
  assert.equal(parseYuan('0.05'), 5);
  assert.equal(parseYuan('007.10'), 710);
  assert.equal(parseYuan(' 7. '), 700);
  assert.equal(parseYuan('¥1.01'), 101);
  assert.equal(parseYuan('0.1'), 10);
  assert.equal(parseYuan('19.99'), 1999); // 19.99*100 is 1998.9999… in floats
  for (const bad of ['', '-1', '1.234', 'abc', '1,00', '.5', '1e3', null, '9999999999999999']) {
    assert.equal(parseYuan(bad), null, String(bad));
  }
});

test('formatBps', () => {
  assert.equal(formatBps(550), '5.50%');
  assert.equal(formatBps(0), '0.00%');
  assert.equal(formatBps(10000), '100.00%');
});
