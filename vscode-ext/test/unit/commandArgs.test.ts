import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CommandUnavailable, commandArguments } from '../../src/commandArgs';
import { type DoctorReport, doctorSummary, doctorText } from '../../src/doctor';

const asm = { uri: 'file:///w/a.s', languageId: 'asm' };
const ir = { uri: 'file:///w/a.ll', languageId: 'llvm', function: 'crc32' };

test('lift takes the assembly file and the selection', () => {
  const range = { start: { line: 1, character: 0 }, end: { line: 9, character: 0 } };
  assert.deepEqual(commandArguments('irlens.liftToIR', [], asm), [{ uri: asm.uri }]);
  assert.deepEqual(commandArguments('irlens.liftToIR', [], { ...asm, selection: range }), [{ uri: asm.uri, range }]);
});

test('suggest takes the IR file and the function at the cursor', () => {
  assert.deepEqual(commandArguments('irlens.suggestPasses', [], ir), [{ uri: ir.uri, function: 'crc32' }]);
});

test('the wrong file says what to open', () => {
  assert.throws(() => commandArguments('irlens.liftToIR', [], ir), CommandUnavailable);
  assert.throws(() => commandArguments('irlens.suggestPasses', [], asm), /open an LLVM IR file/);
  assert.throws(() => commandArguments('irlens.liftToIR', [], undefined), /open an assembly file/);
});

test('arguments from a code action are passed on untouched', () => {
  const given = ['file:///w/a.s', { function: 'main' }];
  assert.equal(commandArguments('irlens.liftToIR', given, ir), given);
  assert.deepEqual(commandArguments('irlens.doctor', [], undefined), []);
});

test('the doctor report reads as text', () => {
  const report: DoctorReport = {
    ok: false,
    irlens: '0.1.0',
    python: '3.11.2',
    llvm: { source: 'PATH', version: '19.1.7', tools: { opt: { path: '/usr/bin/opt-19', version: '19.1.7' }, clang: { path: null } } },
    features: { lift: { ok: false, problem: 'lifting needs a model' } },
    model: { state: 'unconfigured', url: '' },
    problems: ['clang not found'],
  };
  const text = doctorText(report);
  assert.match(text, /ok opt\s+\/usr\/bin\/opt-19 \(19\.1\.7\)/);
  assert.match(text, /-- clang\s+not found/);
  assert.match(text, /-- lift: lifting needs a model/);
  assert.match(text, /Model: state: unconfigured/);
  assert.match(doctorSummary(report), /clang not found/);
  assert.match(doctorSummary({ ok: true, llvm: { version: '19.1.7' } }), /LLVM 19\.1\.7/);
});
