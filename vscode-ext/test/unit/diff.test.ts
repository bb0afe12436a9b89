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

test('a large function with scattered edits gets a real diff, not "all deleted, all added"', () => {
  // 20000 x 20000 lines: far above what the old O(n*m) table allowed (4M cells).
  const before = Array.from({ length: 20000 }, (_, i) => `  %v${i} = add i32 %v${i - 1}, ${i}`);
  const after = [...before];
  after[100] = '  %v100 = sub i32 %v99, 100';
  after.splice(10000, 1);
  after.splice(19000, 0, '  call void @llvm.trap()');
  const lines = diffLines(before.join('\n'), after.join('\n'));
  assert.deepEqual(countChanges(lines), { added: 2, removed: 2 });
  assert.equal(lines.filter((line) => line.kind === 'same').length, 19998);
  assert.deepEqual(
    lines.filter((line) => line.kind !== 'same'),
    [
      { kind: 'del', text: before[100] },
      { kind: 'add', text: after[100] },
      { kind: 'del', text: before[10000] },
      { kind: 'add', text: '  call void @llvm.trap()' },
    ],
  );
});

test('a block moved inside a long text is one deletion and one insertion of that block', () => {
  const body = Array.from({ length: 6000 }, (_, i) => `line ${i}`);
  const block = body.splice(1000, 50);
  const after = [...body.slice(0, 5000), ...block, ...body.slice(5000)];
  const lines = diffLines([...body.slice(0, 1000), ...block, ...body.slice(1000)].join('\n'), after.join('\n'));
  assert.deepEqual(countChanges(lines), { added: 50, removed: 50 });
});
