import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXTENSION_COMMANDS, SERVER_COMMANDS } from '../../src/protocol';
import { EXTENSION_ROOT, REPO_ROOT } from '../paths';

const pkg = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8'));

test('every contributed command is one the extension or the server handles, and back', () => {
  const contributed = (pkg.contributes.commands as { command: string }[]).map((c) => c.command).sort();
  const handled = [...new Set([...Object.values(EXTENSION_COMMANDS), ...Object.values(SERVER_COMMANDS)])].sort();
  assert.deepEqual(contributed, handled);
});

test('languages, grammars and the panel view are declared with files that exist', () => {
  const ids = (pkg.contributes.languages as { id: string }[]).map((l) => l.id);
  assert.deepEqual(ids, ['llvm', 'asm']);
  for (const grammar of pkg.contributes.grammars as { path: string }[]) {
    assert.ok(existsSync(path.join(EXTENSION_ROOT, grammar.path)), grammar.path);
  }
  for (const language of pkg.contributes.languages as { configuration: string }[]) {
    assert.ok(existsSync(path.join(EXTENSION_ROOT, language.configuration)), language.configuration);
  }
  assert.equal(pkg.contributes.views.irlens[0].id, 'irlens.panel');
  assert.equal(pkg.contributes.views.irlens[0].type, 'webview');
});

test('the marketplace page says Built with LLM Compiler, and the package can be published', () => {
  assert.match(readFileSync(path.join(EXTENSION_ROOT, 'README.md'), 'utf8'), /Built with LLM Compiler/);
  assert.ok(existsSync(path.join(EXTENSION_ROOT, 'LICENSE')));
  assert.match(pkg.description, /Built with LLM Compiler/);
});

test('the package says it is a local build: no placeholder publisher or repository', () => {
  // Not published anywhere: the publisher id says "local", and there is no made-up repository URL.
  assert.equal(pkg.publisher, 'irlens-local');
  assert.equal(pkg.repository, undefined);
  assert.match(pkg.scripts.package, /--allow-missing-repository/);
});

test('the docs never tell anyone to pip install irlens (it is not on PyPI)', () => {
  for (const file of [path.join(EXTENSION_ROOT, 'README.md'), path.join(REPO_ROOT, 'README.md'), path.join(REPO_ROOT, 'docs', 'editors.md')]) {
    assert.doesNotMatch(readFileSync(file, 'utf8'), /pip install irlens\b/, file);
  }
});

test('the .vsix carries bundled/libs and the requirements it was built from', () => {
  const ignore = readFileSync(path.join(EXTENSION_ROOT, '.vscodeignore'), 'utf8');
  assert.match(ignore, /^!bundled\/libs\/\*\*$/m);
  assert.match(readFileSync(path.join(EXTENSION_ROOT, 'requirements.txt'), 'utf8'), /^pygls==/m);
  assert.doesNotMatch(readFileSync(path.join(EXTENSION_ROOT, 'requirements.txt'), 'utf8'), /^(torch|transformers)/m);
});

test('the trace setting is the one vscode-languageclient reads for the client id', () => {
  assert.ok(pkg.contributes.configuration.properties['irlens.trace.server']);
  assert.ok(pkg.contributes.configuration.properties['irlens.server.command']);
  assert.ok(pkg.contributes.configuration.properties['irlens.server.python']);
});
