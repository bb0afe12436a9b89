import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultStep, normalisePassName, type PanelState, parsePanelMessage, reduce } from '../../src/panel/state';

const steps = {
  pipeline: 'function(sroa,early-cse,instcombine)',
  steps: [
    { pass: 'SROAPass on crc32', changed: true, ir: 'a' },
    { pass: 'EarlyCSEPass on crc32', changed: false, ir: 'a' },
    { pass: 'InstCombinePass on crc32', changed: true, ir: 'b' },
  ],
};

test('pass names compare across spellings', () => {
  assert.equal(normalisePassName('InstCombinePass on crc32'), 'instcombine');
  assert.equal(normalisePassName('instcombine<max-iterations=1>'), 'instcombine');
  assert.equal(normalisePassName('early-cse'), normalisePassName('EarlyCSEPass'));
  assert.equal(normalisePassName(undefined), '');
});

test('the hovered pass is the step shown first, else the first that changed', () => {
  assert.equal(defaultStep(steps, 'instcombine'), 2);
  assert.equal(defaultStep(steps, 'gvn'), 0);
  assert.equal(defaultStep({ steps: [{ changed: false }, { changed: true }] }), 1);
  assert.equal(defaultStep({ steps: [] }), undefined);
});

test('steps arrive with the hovered pass selected, and clicks select others', () => {
  let state: PanelState = reduce({}, { type: 'context', context: { uri: 'file:///a.ll', pass: 'early-cse' } });
  state = reduce(state, { type: 'stepsLoading' });
  assert.equal(state.stepsLoading, true);
  state = reduce(state, { type: 'steps', steps });
  assert.equal(state.stepsLoading, false);
  assert.equal(state.selectedStep, 1);
  state = reduce(state, { type: 'selectStep', index: 2 });
  assert.equal(state.selectedStep, 2);
  assert.equal(reduce(state, { type: 'selectStep', index: 7 }), state, 'an index out of range changes nothing');
});

test('a late prediction completes the preview it belongs to', () => {
  const preview = { uri: 'file:///a.ll', pass: 'sroa', function: 'crc32', diff: '-x\n+y' };
  let state = reduce({}, { type: 'preview', preview });
  state = reduce(state, {
    type: 'preview',
    preview: { uri: 'file:///a.ll', pass: 'sroa', function: 'crc32', prediction: { verdict: 'exact' }, diff: undefined },
  });
  assert.equal(state.preview?.diff, '-x\n+y');
  assert.equal(state.preview?.prediction?.verdict, 'exact');
  state = reduce(state, { type: 'preview', preview: { uri: 'file:///a.ll', pass: 'gvn' } });
  assert.equal(state.preview?.diff, undefined, 'another pass replaces the preview');
});

test('moving to another document drops results about the old one', () => {
  let state = reduce({}, { type: 'context', context: { uri: 'file:///a.ll' } });
  state = reduce(state, { type: 'steps', steps });
  state = reduce(state, { type: 'context', context: { uri: 'file:///a.ll', function: 'main' } });
  assert.ok(state.steps, 'same document keeps the steps');
  assert.equal(state.context?.function, 'main');
  state = reduce(state, { type: 'context', context: { uri: 'file:///b.ll' } });
  assert.equal(state.steps, undefined);
});

test('suggestion progress accumulates until done', () => {
  let state = reduce({}, { type: 'suggestStarted' });
  assert.equal(state.suggestRunning, true);
  state = reduce(state, { type: 'suggest', suggest: { ozBytes: 100, best: { pipeline: 'a', bytes: 98 } } });
  assert.equal(state.suggestRunning, true);
  state = reduce(state, { type: 'suggest', suggest: { best: { pipeline: 'b', bytes: 95 }, compilations: 40 }, done: true });
  assert.equal(state.suggestRunning, false);
  assert.equal(state.suggest?.ozBytes, 100);
  assert.equal(state.suggest?.best?.pipeline, 'b');
});

test('errors show until dismissed', () => {
  let state = reduce({ stepsLoading: true }, { type: 'error', message: 'opt crashed' });
  assert.equal(state.error, 'opt crashed');
  assert.equal(state.stepsLoading, false);
  state = reduce(state, { type: 'dismissError' });
  assert.equal(state.error, undefined);
});

test('only well-formed panel messages are accepted', () => {
  assert.deepEqual(parsePanelMessage({ type: 'selectStep', index: 2 }), { type: 'selectStep', index: 2 });
  assert.equal(parsePanelMessage({ type: 'selectStep', index: '2' }), undefined);
  assert.deepEqual(parsePanelMessage({ type: 'run', command: 'liftToIR' }), { type: 'run', command: 'liftToIR' });
  assert.equal(parsePanelMessage({ type: 'run', command: 'workbench.action.quit' }), undefined);
  assert.equal(parsePanelMessage('ready'), undefined);
  assert.equal(parsePanelMessage(null), undefined);
});
