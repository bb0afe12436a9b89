import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countChanges, diffLines, parseUnifiedDiff, trimContext } from '../../src/panel/diff';

test('a changed line is one deletion and one addition, in place', () => {
  const lines = diffLines('a\nb\nc\n', 'a\nB\nc\n');
  assert.deepEqual(lines, [
    { kind: 'same', text: 'a' },
    { kind: 'del', text: 'b' },
    { kind: 'add', text: 'B' },
    { kind: 'same', text: 'c' },
  ]);
});

test('identical texts have no changes', () => {
  assert.deepEqual(countChanges(diffLines('x\ny', 'x\ny')), { added: 0, removed: 0 });
});

test('insertions and deletions in the middle keep the common lines', () => {
  const lines = diffLines('1\n2\n3\n4\n5', '1\n3\n4\nnew\n5');
  assert.deepEqual(countChanges(lines), { added: 1, removed: 1 });
  assert.deepEqual(
    lines.filter((line) => line.kind === 'same').map((line) => line.text),
    ['1', '3', '4', '5'],
  );
});

test('long unchanged runs are cut to context', () => {
  const before = Array.from({ length: 40 }, (_, i) => `line ${i}`).join('\n');
  const after = before.replace('line 20', 'LINE 20');
  const trimmed = trimContext(diffLines(before, after), 2);
  assert.equal(trimmed.length, 1 + 2 + 2 + 2 + 1);
  assert.equal(trimmed[0].text, '…');
});

test('unified diffs from the server are read without their headers', () => {
  const lines = parseUnifiedDiff('--- before\n+++ after\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n');
  assert.deepEqual(lines.map((line) => line.kind), ['same', 'same', 'del', 'add']);
});
