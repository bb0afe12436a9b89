// End to end in a real VS Code: code-server (VS Code in the browser) with irlens.vsix installed,
// driven by headless Chromium. It opens lsp_server/examples/example.ll, opens the irlens panel,
// hovers `instcombine` in the RUN line, and checks that the hover shows the preview and that
// the panel shows it with the pipeline steps. Screenshots go to test-results/.
//
// Not part of scripts/test_clients.sh: code-server needs Node 24 and builds native modules,
// minutes of setup. Run it with:
//   CODE_SERVER=/path/to/node_modules/.bin/code-server NODE24=/path/to/node24/bin \
//     IRLENS_PYTHON=/path/to/.venv/bin/python node scripts/e2e-code-server.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..');
const results = join(root, 'test-results');
const codeServer = process.env.CODE_SERVER;
const python = process.env.IRLENS_PYTHON ?? join(repo, '.venv', 'bin', 'python');
const port = Number(process.env.PORT ?? 8737);
assert.ok(codeServer, 'set CODE_SERVER to the code-server binary');

const env = { ...process.env };
if (process.env.NODE24) {
  env.PATH = `${process.env.NODE24}:${env.PATH}`;
}
const work = mkdtempSync(join(tmpdir(), 'irlens-e2e-'));
const userData = join(work, 'user-data');
const extensions = join(work, 'extensions');
const workspace = join(work, 'workspace');
mkdirSync(join(userData, 'User'), { recursive: true });
mkdirSync(workspace, { recursive: true });
mkdirSync(results, { recursive: true });
copyFileSync(join(repo, 'lsp_server', 'examples', 'example.ll'), join(workspace, 'example.ll'));
writeFileSync(
  join(userData, 'User', 'settings.json'),
  JSON.stringify({
    'irlens.server.python': python,
    'irlens.trace.server': 'messages',
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'workbench.colorTheme': 'Default Dark Modern',
    'editor.hover.delay': 100,
    'telemetry.telemetryLevel': 'off',
  }),
);

const config = join(work, 'config.yaml');
writeFileSync(config, 'auth: none\n');
const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
const install = spawnSync(codeServer, [...common, '--install-extension', join(root, 'irlens.vsix')], {
  env,
  encoding: 'utf8',
});
console.log(install.stdout, install.stderr);
assert.equal(install.status, 0, 'the .vsix installs');

const server = spawn(
  codeServer,
  [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', workspace],
  { env: { ...env, PYTHONPATH: repo }, stdio: ['ignore', 'pipe', 'pipe'] },
);
server.stderr.on('data', (chunk) => process.stderr.write(chunk));
await new Promise((resolve, reject) => {
  server.stdout.on('data', (chunk) => {
    process.stdout.write(chunk);
    if (/HTTP server listening/.test(String(chunk))) {
      resolve();
    }
  });
  server.on('exit', (code) => reject(new Error(`code-server exited with ${code}`)));
});

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
});
let failed = false;
const page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
try {
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 120000 });

  // Open example.ll through Quick Open.
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type('example.ll');
  await page.waitForSelector('.quick-input-list .monaco-list-row');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.monaco-editor .view-line', { timeout: 60000 });

  // The status bar says the server runs, in LLVM-only mode, with its LLVM.
  const status = page.locator('.statusbar-item', { hasText: 'irlens:' });
  await status.first().waitFor({ timeout: 120000 });
  await page.waitForFunction(
    () => [...document.querySelectorAll('.statusbar-item')].some((el) => /irlens: LLVM-only · LLVM \d+/.test(el.textContent ?? '')),
    undefined,
    { timeout: 120000 },
  );

  // Open the panel, then hover the pass.
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type('irlens: Show Preview Panel');
  await page.waitForSelector('.quick-input-list .monaco-list-row');
  await page.keyboard.press('Enter');
  const pass = page.locator('.monaco-editor .view-line span', { hasText: /instcombine/ }).first();
  await pass.waitFor({ timeout: 60000 });
  const box = await pass.boundingBox();
  assert.ok(box, 'the RUN line is on screen');
  const text = (await pass.textContent()) ?? '';
  const offset = text.indexOf('instcombine');
  const charWidth = box.width / Math.max(text.length, 1);
  await page.mouse.move(box.x + (offset + 3) * charWidth, box.y + box.height / 2);
  const hover = page.locator('.monaco-hover-content', { hasText: 'instcombine' });
  await hover.first().waitFor({ timeout: 60000 });
  const hoverText = (await hover.first().textContent()) ?? '';
  assert.match(hoverText, /crc32/);

  // The panel (a webview: nested iframes) shows the preview and the steps.
  let panelText = '';
  for (let attempt = 0; attempt < 120 && !/Pipeline steps.*InstCombinePass/s.test(panelText); attempt++) {
    panelText = '';
    for (const frame of page.frames()) {
      panelText += await frame.evaluate(() => document.querySelector('#root')?.textContent ?? '').catch(() => '');
    }
    if (!/InstCombinePass/.test(panelText)) {
      await page.waitForTimeout(500);
    }
  }
  await page.screenshot({ path: join(results, 'code-server.png') });
  assert.match(panelText, /Preview/);
  assert.match(panelText, /Pipeline steps/);
  assert.match(panelText, /InstCombinePass/);
  assert.match(panelText, /Built with LLM Compiler/);
  console.log('1 passed, 0 failed');
} catch (err) {
  failed = true;
  console.error(err);
  await page.screenshot({ path: join(results, 'code-server-failure.png') }).catch(() => undefined);
  const items = await page.$$eval('.statusbar-item', (els) => els.map((el) => el.textContent)).catch(() => []);
  console.error('status bar:', JSON.stringify(items));
  console.log('0 passed, 1 failed');
} finally {
  await browser.close();
  server.kill();
}
process.exit(failed ? 1 : 0);
