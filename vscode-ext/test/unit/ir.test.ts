import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { functionAt, passAt, pipelineAt } from '../../src/panel/ir';
import { EXAMPLE_LL } from '../paths';

const RUN = "; RUN: opt -passes='function(sroa,early-cse,instcombine)' -S %s | FileCheck %s";

test('the pass under the cursor in a RUN line', () => {
  const at = pipelineAt(RUN, RUN.indexOf('early-cse') + 3);
  assert.deepEqual(at, { pipeline: 'function(sroa,early-cse,instcombine)', pass: 'early-cse' });
});

test('the cursor elsewhere on the line still finds the pipeline', () => {
  assert.deepEqual(pipelineAt(RUN, 2), { pipeline: 'function(sroa,early-cse,instcombine)' });
  assert.equal(pipelineAt('; just a comment', 3), undefined);
});

test('-p and unquoted pipelines', () => {
  assert.deepEqual(pipelineAt('; RUN: opt -p instcombine -S %s', 16), { pipeline: 'instcombine', pass: 'instcombine' });
  assert.deepEqual(pipelineAt('; RUN: opt -passes="default<O2>" %s', 22), { pipeline: 'default<O2>', pass: 'default<O2>' });
});

test('an adaptor name is not a pass', () => {
  assert.equal(passAt('function(sroa)', 2), undefined);
  assert.equal(passAt('loop-unroll<O2>,gvn', 3), 'loop-unroll<O2>');
  assert.equal(passAt('a,,b', 2), undefined);
});

test('the function around a line of example.ll', () => {
  const lines = readFileSync(EXAMPLE_LL, 'utf8').split('\n');
  const crc = lines.findIndex((line) => line.includes('@crc32('));
  assert.equal(functionAt(lines, crc), 'crc32');
  assert.equal(functionAt(lines, crc + 5), 'crc32');
  assert.equal(functionAt(lines, 2), undefined, 'the RUN line is outside every function');
  const end = lines.findIndex((line, index) => index > crc && line.startsWith('}'));
  assert.equal(functionAt(lines, end + 1), undefined);
});

test('quoted function names', () => {
  assert.equal(functionAt(['define void @"odd name"() {', '  ret void', '}'], 1), 'odd name');
});
