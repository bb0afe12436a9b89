import assert from 'node:assert/strict';
import { test } from 'node:test';
import { statusParts, statusView } from '../../src/status';

test('no status yet says the server is starting', () => {
  assert.match(statusView(undefined).text, /irlens/);
  assert.match(statusView(undefined).tooltip, /starting/);
});

test('LLVM-only mode shows LLVM-only and the LLVM version', () => {
  const view = statusView({
    version: '0.1.0',
    llvm: { version: '19.1.7', source: 'PATH', tools: { opt: '/usr/bin/opt-19' } },
    model: { state: 'unconfigured', name: null, detail: 'LLVM-only mode' },
  });
  assert.equal(view.text, '$(pulse) irlens: LLVM-only · LLVM 19.1.7');
  assert.equal(view.severity, 'ok');
  assert.match(view.tooltip, /from PATH/);
});

test('a ready model shows its name', () => {
  const view = statusView({ llvm: { version: '19.1.7' }, model: { state: 'ready', name: 'llm-compiler-7b-ftd' } });
  assert.equal(view.text, '$(pulse) irlens: llm-compiler-7b-ftd · LLVM 19.1.7');
});

test('an unavailable model is a warning', () => {
  const view = statusView({ llvm: { version: 'LLVM 19.1.7' }, model: { state: 'unavailable', detail: 'connection refused' } });
  assert.equal(view.severity, 'warning');
  assert.equal(view.text, '$(warning) irlens: model unavailable · LLVM 19.1.7');
  assert.match(view.tooltip, /connection refused/);
});

test('no LLVM is an error whatever the model says', () => {
  const parts = statusParts({ llvm: { version: null }, model: { state: 'ready', name: 'm' } });
  assert.deepEqual(parts, { model: 'm', llvm: 'no LLVM', severity: 'error' });
  assert.match(statusView({ llvm: { version: null } }).text, /^\$\(error\) irlens: LLVM-only · no LLVM$/);
});
