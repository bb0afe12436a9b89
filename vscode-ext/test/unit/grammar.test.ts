import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as oniguruma from 'vscode-oniguruma';
import * as textmate from 'vscode-textmate';
import { EXTENSION_ROOT } from '../paths';

const GRAMMARS: Record<string, string> = {
  'source.llvm': 'syntaxes/llvm.tmLanguage.json',
  'source.asm.gas': 'syntaxes/asm.tmLanguage.json',
};

async function registry(): Promise<textmate.Registry> {
  const wasm = readFileSync(path.join(EXTENSION_ROOT, 'node_modules', 'vscode-oniguruma', 'release', 'onig.wasm'));
  await oniguruma.loadWASM(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
  return new textmate.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (text) => new oniguruma.OnigString(text),
    }),
    loadGrammar: async (scope) => {
      const file = GRAMMARS[scope];
      if (!file) {
        return null;
      }
      const full = path.join(EXTENSION_ROOT, file);
      return textmate.parseRawGrammar(readFileSync(full, 'utf8'), full);
    },
  });
}

/** The scopes of each token in `line` whose text is `token`. */
function scopesOf(grammar: textmate.IGrammar, line: string, token: string): string[] {
  const result = grammar.tokenizeLine(line, textmate.INITIAL);
  const found = result.tokens.find((t) => line.slice(t.startIndex, t.endIndex) === token);
  assert.ok(found, `no token ${JSON.stringify(token)} in ${JSON.stringify(line)}`);
  return found.scopes;
}

test('LLVM IR: functions, locals, types, instructions, comments and RUN lines', async () => {
  const grammar = await (await registry()).loadGrammar('source.llvm');
  assert.ok(grammar);
  const define = 'define dso_local i32 @crc32(ptr noundef %0, i64 noundef %1) #0 {';
  assert.ok(scopesOf(grammar, define, '@crc32').includes('entity.name.function.llvm'));
  assert.ok(scopesOf(grammar, define, 'i32').includes('storage.type.llvm'));
  const body = '  %21 = xor i32 %20, %19';
  assert.ok(scopesOf(grammar, body, 'xor').includes('keyword.operator.instruction.llvm'));
  assert.ok(scopesOf(grammar, body, '%21').includes('variable.other.local.llvm'));
  const run = "; RUN: opt -passes='sroa' -S %s";
  assert.ok(scopesOf(grammar, run, 'RUN').includes('keyword.other.directive.lit.llvm'));
  assert.ok(scopesOf(grammar, run, 'RUN').includes('comment.line.semicolon.llvm'));
  assert.ok(scopesOf(grammar, '9:                      ; preds = %38', '9').includes('entity.name.label.llvm'));
});

test('assembly: labels, directives, mnemonics, registers, comments', async () => {
  const grammar = await (await registry()).loadGrammar('source.asm.gas');
  assert.ok(grammar);
  assert.ok(scopesOf(grammar, 'crc32:                  # @crc32', 'crc32').includes('entity.name.function.label.asm'));
  assert.ok(scopesOf(grammar, 'crc32:                  # @crc32', '# @crc32').includes('comment.line.asm'));
  assert.ok(scopesOf(grammar, '\t.globl\tcrc32', '.globl').includes('keyword.control.directive.asm'));
  const mov = '\tmovl\t$-1, %eax';
  assert.ok(scopesOf(grammar, mov, 'movl').includes('keyword.operator.instruction.asm'));
  assert.ok(scopesOf(grammar, mov, '%eax').includes('variable.language.register.asm'));
  assert.ok(scopesOf(grammar, mov, '$-1').includes('constant.numeric.immediate.asm'));
  const arm = '\tldr\tw8, [x0, #4]   // load';
  assert.ok(scopesOf(grammar, arm, 'w8').includes('variable.language.register.asm'));
  assert.ok(scopesOf(grammar, arm, '// load').includes('comment.line.asm'));
});
