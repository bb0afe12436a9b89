import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cannotStartMessage, type Environment, resolveServerCommand } from '../../src/serverCommand';

function env(executables: string[], extra: Partial<Environment> = {}): Environment {
  return {
    path: ['/usr/local/bin', '/usr/bin'],
    platform: 'linux',
    isExecutable: (file) => executables.includes(file),
    workspaceFolders: [],
    ...extra,
  };
}

test('the command setting wins, taken as it is', () => {
  const found = resolveServerCommand(
    { command: ['/opt/irlens/bin/irlens', 'serve'], python: '/usr/bin/python3', logLevel: 'DEBUG' },
    env([]),
  );
  assert.deepEqual(found, { command: '/opt/irlens/bin/irlens', args: ['serve'], source: 'irlens.server.command' });
});

test('the python setting runs the module with the log level', () => {
  const found = resolveServerCommand({ command: [], python: ' /venv/bin/python ', logLevel: 'INFO' }, env([]));
  assert.deepEqual(found, {
    command: '/venv/bin/python',
    args: ['-m', 'lsp_server', '--log-level', 'INFO', 'serve'],
    source: 'irlens.server.python',
  });
});

test('a workspace .venv comes before PATH', () => {
  const found = resolveServerCommand(
    { logLevel: 'WARNING' },
    env(['/w/.venv/bin/irlens', '/usr/bin/irlens'], { workspaceFolders: ['/w'] }),
  );
  assert.equal(found?.command, '/w/.venv/bin/irlens');
  assert.deepEqual(found?.args, ['--log-level', 'WARNING', 'serve']);
});

test('PATH is searched in order', () => {
  const found = resolveServerCommand({ logLevel: 'WARNING' }, env(['/usr/bin/irlens']));
  assert.equal(found?.command, '/usr/bin/irlens');
  assert.equal(found?.source, 'PATH');
});

test('nothing found: the message says what to install', () => {
  assert.equal(resolveServerCommand({ command: ['', 3], logLevel: 'WARNING' }, env([])), undefined);
  const message = cannotStartMessage(undefined);
  assert.match(message, /pip install irlens/);
  assert.match(message, /scripts\/setup\.sh/);
  assert.match(message, /irlens\.server\.command/);
});

test('a start failure names the command and its source', () => {
  const message = cannotStartMessage(
    { command: '/usr/bin/python3', args: ['-m', 'lsp_server', 'serve'], source: 'irlens.server.python' },
    'No module named lsp_server',
  );
  assert.match(message, /`\/usr\/bin\/python3 -m lsp_server serve`, from irlens\.server\.python/);
  assert.match(message, /No module named lsp_server/);
  assert.match(message, /pip install irlens/);
});
