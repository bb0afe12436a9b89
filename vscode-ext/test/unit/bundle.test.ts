// The Python side of the .vsix (bundled/libs, built by scripts/bundle-python.mjs): what it
// holds, and that the server starts from it alone. `python -S` leaves out site-packages, so an
// import that only works because the build machine has a package installed fails here.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EXTENSION_ROOT } from '../paths';

const libs = path.join(EXTENSION_ROOT, 'bundled', 'libs');
const python = process.env.IRLENS_PYTHON || 'python3';
const env = { ...process.env, PYTHONPATH: libs, PYTHONDONTWRITEBYTECODE: '1' };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : [full];
  });
}

test('bundled/libs holds lsp_server and exactly the pinned pure-Python requirements', () => {
  assert.ok(existsSync(path.join(libs, 'lsp_server', '__main__.py')), 'run scripts/build.mjs first');
  const pinned = readFileSync(path.join(EXTENSION_ROOT, 'requirements.txt'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => line.split('==').map((part) => part.trim()))
    .map(([name, version]) => `${name.toLowerCase().replace(/-/g, '_')}-${version}.dist-info`)
    .sort();
  const installed = readdirSync(libs)
    .filter((name) => name.endsWith('.dist-info'))
    .map((name) => name.toLowerCase())
    .sort();
  assert.deepEqual(installed, pinned);
  const compiled = files(libs).filter((file) => /\.(so|pyd|dylib|dll)$/.test(file));
  assert.deepEqual(compiled, []);
  for (const heavy of ['torch', 'transformers', 'numpy', 'tokenizers']) {
    assert.ok(!existsSync(path.join(libs, heavy)), `${heavy} is never bundled`);
  }
});

test('every lsp_server module outside the daemon imports from the bundle alone', () => {
  const script = [
    'import importlib, pkgutil, sys, lsp_server',
    "names = [m.name for m in pkgutil.walk_packages(lsp_server.__path__, 'lsp_server.') if '.daemon' not in m.name and not m.name.endswith('__main__')]",
    'for name in names: importlib.import_module(name)',
    "print(len(names), sorted(m for m in ('torch', 'transformers') if m in sys.modules))",
  ].join('\n');
  const run = spawnSync(python, ['-S', '-c', script], { env, encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const [count, heavy] = run.stdout.trim().split(' ', 2);
  assert.ok(Number(count) > 20, run.stdout);
  assert.equal(heavy, '[]');
});

function frame(message: object): string {
  const body = JSON.stringify(message);
  return `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
}

test('python -m lsp_server serve from the bundle answers initialize', { timeout: 60000 }, async () => {
  const server = spawn(python, ['-S', '-m', 'lsp_server', 'serve'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  server.stderr.on('data', (chunk) => (stderr += String(chunk)));
  const reply = new Promise<{ result?: { capabilities?: Record<string, unknown>; serverInfo?: { name?: string } } }>((resolve, reject) => {
    let buffer = '';
    server.stdout.on('data', (chunk) => {
      buffer += String(chunk);
      const end = buffer.indexOf('\r\n\r\n');
      const length = Number(/Content-Length: (\d+)/i.exec(buffer.slice(0, Math.max(end, 0)))?.[1]);
      if (end >= 0 && length && Buffer.byteLength(buffer) >= end + 4 + length) {
        resolve(JSON.parse(buffer.slice(end + 4, end + 4 + length)));
      }
    });
    server.on('exit', (code) => reject(new Error(`the server exited with ${code}: ${stderr}`)));
  });
  server.stdin.write(frame({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } }));
  try {
    const answer = await reply;
    assert.equal(answer.result?.serverInfo?.name, 'irlens');
    assert.ok(answer.result?.capabilities?.hoverProvider);
  } finally {
    server.kill();
  }
});
