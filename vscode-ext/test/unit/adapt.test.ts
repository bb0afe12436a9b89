import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { previewFromServer } from '../../src/panel/adapt';
import { renderPanel } from '../../src/panel/render';
import { EXTENSION_ROOT } from '../paths';

/** Real server output (irlens preview --json on example.ll), see test/panel/make_fixture.py. */
const RAW = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'test', 'panel', 'panel-state.json'), 'utf8'));

test("the server's preview JSON becomes the panel's preview", () => {
  const preview = previewFromServer(RAW.previewUpdated);
  assert.equal(preview.uri, 'file:///work/example.ll');
  assert.equal(preview.pass, 'instcombine');
  assert.equal(preview.function, 'crc32');
  assert.match(preview.llvmVersion ?? '', /^19\./);
  assert.equal(preview.sizeBefore?.instructions, RAW.previewUpdated.data.instructions.before);
  assert.equal(preview.sizeAfter?.bytes, RAW.previewUpdated.data.binarySize.after);
  assert.ok(preview.functions?.some((f) => f.name === 'crc32' && f.diff?.startsWith('@@')));
  assert.equal(preview.prediction?.verdict, 'differs');
  assert.equal(preview.prediction?.sizeError, 3);
  assert.match(preview.prediction?.firstDifference ?? '', /^line 21\nopt: {3}.*\nmodel: /);
});

test('a match is an exact match, a failure to ask is failed', () => {
  assert.equal(previewFromServer({ prediction: { status: 'match' } }).prediction?.verdict, 'exact');
  assert.equal(previewFromServer({ prediction: { status: 'error', message: 'down' } }).prediction?.verdict, 'failed');
  assert.equal(previewFromServer({ prediction: null }).prediction, null);
});

test('an opt error and notes are carried as messages', () => {
  const preview = previewFromServer({ pass: 'bogus', error: "unknown pass 'bogus'", notes: ['cut at 80 lines'] });
  assert.equal(preview.message, "unknown pass 'bogus'");
  assert.deepEqual(preview.notes, ['cut at 80 lines']);
  const html = renderPanel({ preview });
  assert.match(html, /unknown pass &#39;bogus&#39;/);
  assert.match(html, /Note: cut at 80 lines/);
});

test('garbage is an empty preview, not a crash', () => {
  assert.deepEqual(previewFromServer(null), {});
  assert.deepEqual(previewFromServer([1, 2]), {});
  assert.deepEqual(previewFromServer({ instructions: 'many', functions: 'x' }), {});
});
