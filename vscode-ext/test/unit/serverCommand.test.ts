import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  type Bundle,
  cannotStartMessage,
  type Environment,
  type Interpreter,
  newEnough,
  noPythonMessage,
  parseVersion,
  resolveServerCommand,
} from '../../src/serverCommand';

function env(executables: string[], extra: Partial<Environment> = {}): Environment {
  return {
    path: ['/usr/local/bin', '/usr/bin'],
    platform: 'linux',
    isExecutable: (file) => executables.includes(file),
    workspaceFolders: [],
    ...extra,
  };
}

const bundle: Bundle = { libs: '/ext/bundled/libs', present: true };
const python311: Interpreter = { path: '/usr/bin/python3', source: 'PATH', version: [3, 11, 7] };
const python38: Interpreter = { path: '/usr/bin/python3', source: 'PATH', version: [3, 8, 18] };

test('the command setting wins, taken as it is', () => {
  const { found } = resolveServerCommand(
    { command: ['/opt/irlens/bin/irlens', 'serve'], python: '/usr/bin/python3', logLevel: 'DEBUG' },
    env([]),
    bundle,
    [python311],
  );
  assert.deepEqual(found, { command: '/opt/irlens/bin/irlens', args: ['serve'], source: 'irlens.server.command' });
});

test('the python setting runs the module with the log level, without the bundle', () => {
  const { found } = resolveServerCommand({ command: [], python: ' /venv/bin/python ', logLevel: 'INFO' }, env([]), bundle, [python311]);
  assert.deepEqual(found, {
    command: '/venv/bin/python',
    args: ['-m', 'lsp_server', '--log-level', 'INFO', 'serve'],
    source: 'irlens.server.python',
  });
});

test('a workspace .venv comes before the bundled server', () => {
  const { found } = resolveServerCommand({ logLevel: 'WARNING' }, env(['/w/.venv/bin/irlens'], { workspaceFolders: ['/w'] }), bundle, [python311]);
  assert.equal(found?.command, '/w/.venv/bin/irlens');
  assert.deepEqual(found?.args, ['--log-level', 'WARNING', 'serve']);
  assert.equal(found?.env, undefined);
});

test('no settings: the bundled server on the first Python new enough, with PYTHONPATH set to the bundle', () => {
  const selected: Interpreter = { path: '/home/u/.venv/bin/python', source: 'the Python extension', version: [3, 9, 2] };
  const { found } = resolveServerCommand({ logLevel: 'WARNING' }, env(['/usr/bin/irlens']), bundle, [selected, python311]);
  assert.deepEqual(found, {
    command: '/usr/bin/python3',
    args: ['-m', 'lsp_server', '--log-level', 'WARNING', 'serve'],
    source: 'the bundled server, Python 3.11.7 from PATH',
    env: { PYTHONPATH: '/ext/bundled/libs' },
  });
});

test("the Python extension's interpreter comes first when it is new enough", () => {
  const selected: Interpreter = { path: '/home/u/.venv/bin/python', source: 'the Python extension', version: [3, 12, 1] };
  const { found } = resolveServerCommand({ logLevel: 'WARNING' }, env([]), bundle, [selected, python311]);
  assert.equal(found?.command, '/home/u/.venv/bin/python');
  assert.match(found?.source ?? '', /Python 3\.12\.1 from the Python extension/);
});

test('no Python new enough: irlens on PATH (an install with its own Python) is the last resort', () => {
  const { found } = resolveServerCommand({ logLevel: 'WARNING' }, env(['/usr/bin/irlens']), bundle, [python38]);
  assert.deepEqual(found, { command: '/usr/bin/irlens', args: ['--log-level', 'WARNING', 'serve'], source: 'PATH' });
});

test('a Python too old gets a message naming the version needed and the one found', () => {
  const { found, problem } = resolveServerCommand({ logLevel: 'WARNING' }, env([]), bundle, [python38]);
  assert.equal(found, undefined);
  assert.match(problem ?? '', /needs Python 3\.10 or newer/);
  assert.match(problem ?? '', /found Python 3\.8\.18 \(\/usr\/bin\/python3, from PATH\)/);
  assert.match(problem ?? '', /Python: Select Interpreter/);
  assert.match(problem ?? '', /irlens\.server\.python/);
  assert.doesNotMatch(problem ?? '', /pip install irlens/);
});

test('no Python at all: the message says so and what to install', () => {
  const message = noPythonMessage([]);
  assert.match(message, /none was found/);
  assert.match(message, /sudo apt install python3/);
  const broken = noPythonMessage([{ path: '/usr/bin/python3', source: 'PATH', error: 'exec format error' }]);
  assert.match(broken, /\/usr\/bin\/python3 \(from PATH: exec format error\)/);
});

test('a build without the bundle says so instead of trying it', () => {
  const { problem } = resolveServerCommand({ logLevel: 'WARNING' }, env([]), { libs: '/ext/bundled/libs', present: false }, [python311]);
  assert.match(problem ?? '', /no bundled server \(\/ext\/bundled\/libs is missing\)/);
});

test('versions: parsed from the probe, compared with 3.10', () => {
  assert.deepEqual(parseVersion('3.11.7\n'), [3, 11, 7]);
  assert.equal(parseVersion('Python 3.11.7'), undefined);
  assert.equal(newEnough([3, 10, 0]), true);
  assert.equal(newEnough([3, 9, 18]), false);
  assert.equal(newEnough([4, 0, 0]), true);
  assert.equal(newEnough([2, 7, 18]), false);
});

test('a start failure names the command and its source, and never a package that is not published', () => {
  const message = cannotStartMessage(
    { command: '/usr/bin/python3', args: ['-m', 'lsp_server', 'serve'], source: 'irlens.server.python' },
    'No module named lsp_server',
  );
  assert.match(message, /`\/usr\/bin\/python3 -m lsp_server serve`, from irlens\.server\.python/);
  assert.match(message, /No module named lsp_server/);
  assert.match(message, /Check that setting/);
  assert.doesNotMatch(message, /pip install irlens/);
  const bundled = cannotStartMessage({ command: '/usr/bin/python3', args: [], source: 'the bundled server, Python 3.11.7 from PATH' });
  assert.match(bundled, /scripts\/setup\.sh/);
});
