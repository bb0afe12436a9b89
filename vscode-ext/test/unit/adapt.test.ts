import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { previewFromServer, suggestFromServer } from '../../src/panel/adapt';
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

test('suggestion progress becomes the best so far', () => {
  // The example of irlens/suggestProgress in docs/lsp-extensions.md.
  const progress = suggestFromServer({
    uri: 'file:///x/example.ll', function: 'crc32', phase: 'search',
    message: "best so far 102 bytes (-11.3% vs -Oz's 115)", percentage: 24,
    ozSize: 115, bestSize: 102, bestPipeline: 'function(sroa<modify-cfg>)', compilations: 9,
  });
  assert.equal(progress.best?.pipeline, 'function(sroa<modify-cfg>)');
  assert.equal(progress.best?.bytes, 102);
  assert.equal(progress.best?.vsOz?.toFixed(1), '-11.3');
  assert.equal(progress.ozBytes, 115);
  assert.equal(progress.percentage, 24);
  assert.equal(progress.done, undefined);
  assert.equal(suggestFromServer({ phase: 'done', message: 'x' }).done, true);
});

test("the suggestPasses result (irlens suggest --json) becomes the offer and the model's candidates", () => {
  const result = suggestFromServer(RAW.suggest);
  assert.equal(result.outcome, 'improved');
  assert.match(result.headline ?? '', /^Optimize @crc32 for size/);
  assert.equal(result.best?.pipeline, RAW.suggest.offer.pipeline);
  assert.equal(result.best?.vsOz, -RAW.suggest.offer.savingPercent);
  assert.equal(result.ozBytes, RAW.suggest.ozSize);
  assert.deepEqual(
    result.candidates?.map((c) => [c.source, c.status]),
    [['model sample 0', 'repaired'], ['model sample 1', 'rejected']],
  );
  assert.equal(result.done, true);
  assert.equal(result.compilations, RAW.suggest.search.evaluated);
});

test('a cancelled or failed suggestion says so', () => {
  assert.equal(suggestFromServer({ ok: false, cancelled: true }).error, 'cancelled');
  const failed = suggestFromServer({ outcome: 'failed', error: 'no function @nope is defined here', headline: 'x' });
  assert.match(renderPanel({ suggest: failed }), /no function @nope is defined here/);
});
