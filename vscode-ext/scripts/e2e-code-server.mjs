// End to end in a real VS Code, as a new user gets it: code-server (VS Code in the browser)
// with irlens.vsix installed and no irlens settings at all, driven by headless Chromium. The
// extension must start its bundled server on the python3 it finds. The test opens an LLVM
// regression test (tests/data/llvm-tests, it has a RUN line), hovers the pass in the RUN line
// and checks the hover shows the diff `opt` really makes, opens the panel and checks the
// pipeline steps are the passes `opt` really runs, then runs "Suggest Passes" and checks the
// panel shows the verified offer, then shows the CFG of @test and checks its blocks and edges
// are the ones `opt -passes=dot-cfg` draws and that a click on a block moves the cursor to it.
// Screenshots go to test-results/ (and to docs/images/ with
// IRLENS_UPDATE_SCREENSHOT=1).
//
// scripts/test_clients.sh runs it after vscode-ext/scripts/install-code-server.sh, which gives:
//   CODE_SERVER=<dir>/bin/code-server NODE24=<dir>/bin node scripts/e2e-code-server.mjs
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..');
const results = join(root, 'test-results');
const images = join(repo, 'docs', 'images');
const codeServer = process.env.CODE_SERVER;
const port = Number(process.env.PORT ?? 8737);
assert.ok(codeServer, 'set CODE_SERVER to the code-server binary (scripts/install-code-server.sh installs one)');

// The file: an LLVM regression test whose RUN line runs one pass that changes the IR, and whose
// function a local search can make smaller than -Oz.
const SOURCE = join(repo, 'tests', 'data', 'llvm-tests', 'SimplifyCFG', 'PhiEliminate.ll');
const FILE = 'PhiEliminate.ll';
const PASS = 'simplifycfg';

/**
 * The LLVM tool `name` of the highest LLVM version among `name`, `name-21` ... `name-15`, as the
 * server picks its LLVM (lsp_server/llvm/toolchain.py): a machine with Debian's LLVM 14 as
 * plain `opt` and LLVM 19 as `opt-19` must check with the 19 the server ran.
 */
const toolCache = new Map();
function llvmTool(name) {
  if (toolCache.has(name)) {
    return toolCache.get(name);
  }
  let best;
  for (const candidate of [name, ...[21, 20, 19, 18, 17, 16, 15].map((v) => `${name}-${v}`)]) {
    const run = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    const major = Number(/LLVM version (\d+)/.exec(`${run.stdout ?? ''}`)?.[1] ?? (run.status === 0 ? 0 : -1));
    if (run.status === 0 && (!best || major > best.major)) {
      best = { candidate, major };
    }
  }
  if (!best) {
    throw new Error(`${name} was not found: the test compares the editor with LLVM's own answer`);
  }
  toolCache.set(name, best.candidate);
  return best.candidate;
}

/** What LLVM says: the lines `opt -passes=PASS` adds, and the passes it runs. */
function llvmAnswer() {
  const opt = llvmTool('opt');
  const input = readFileSync(SOURCE, 'utf8');
  const run = spawnSync(opt, [`-passes=${PASS}`, '-S', SOURCE], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  const before = new Set(input.split('\n').map((line) => line.trim()));
  const added = run.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^%[\w.]+ = /.test(line) && !before.has(line));
  assert.ok(added.length > 0, `opt -passes=${PASS} changes ${FILE}`);
  const passes = spawnSync(opt, [`-passes=${PASS}`, '-disable-verify', '-debug-pass-manager', '-disable-output', SOURCE], { encoding: 'utf8' });
  const ran = [...new Set([...`${passes.stdout}${passes.stderr}`.matchAll(/Running pass: (\w+)/g)].map((m) => m[1]))];
  assert.ok(ran.length > 0, 'opt -debug-pass-manager names the passes it runs');
  return { added, ran };
}

/** How many blocks and edges `opt -passes=dot-cfg` draws for @test. */
function llvmCfg() {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-e2e-cfg-'));
  try {
    const run = spawnSync(llvmTool('opt'), ['-passes=dot-cfg', '-disable-output', SOURCE], { encoding: 'utf8', cwd: dir });
    assert.equal(run.status, 0, run.stderr);
    const dot = readFileSync(join(dir, '.test.dot'), 'utf8');
    // One line per node and per edge; a tooltip also says "a -> b", so match at the line start.
    return { blocks: (dot.match(/^\s*Node\w+ \[shape=record/gm) ?? []).length, edges: (dot.match(/^\s*Node\w+(?::s\d+)? -> Node/gm) ?? []).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** text+data of the object `opt -passes=PIPELINE | llc -filetype=obj` makes of the file. */
function objectSize(pipeline) {
  const dir = mkdtempSync(join(tmpdir(), 'irlens-e2e-size-'));
  try {
    const bc = join(dir, 'out.bc');
    const obj = join(dir, 'out.o');
    const opt = spawnSync(llvmTool('opt'), [`-passes=${pipeline}`, SOURCE, '-o', bc], { encoding: 'utf8' });
    assert.equal(opt.status, 0, opt.stderr);
    const llc = spawnSync(llvmTool('llc'), ['-filetype=obj', bc, '-o', obj], { encoding: 'utf8' });
    assert.equal(llc.status, 0, llc.stderr);
    const sizes = spawnSync(llvmTool('llvm-size'), [obj], { encoding: 'utf8' });
    const [text, data] = sizes.stdout.trim().split('\n')[1].trim().split(/\s+/).map(Number);
    return text + data;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Text as a person reads it: no-break spaces and runs of white space as one space. */
const normal = (text) => text.replace(/\u00a0/g, ' ').replace(/\s+/g, ' ');

/** The environment of a new user: no virtual environment, no PYTHONPATH, no irlens variables. */
function userEnvironment() {
  const env = { ...process.env };
  const venv = env.VIRTUAL_ENV;
  env.PATH = (env.PATH ?? '')
    .split(delimiter)
    .filter((dir) => dir && !dir.includes(`${'/'}.venv${'/'}`) && !(venv && dir.startsWith(venv)))
    .join(delimiter);
  for (const name of Object.keys(env)) {
    if (name === 'PYTHONPATH' || name === 'VIRTUAL_ENV' || name.startsWith('IRLENS_')) {
      delete env[name];
    }
  }
  if (process.env.NODE24) {
    env.PATH = `${process.env.NODE24}${delimiter}${env.PATH}`;
  }
  return env;
}

function logFiles(dir) {
  if (!existsSync(dir)) {
    return [];
  }
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? logFiles(full) : full.endsWith('.log') ? [full] : [];
  });
}

const started = Date.now();
const expected = llvmAnswer();
const env = userEnvironment();
const work = mkdtempSync(join(tmpdir(), 'irlens-e2e-'));
const userData = join(work, 'user-data');
const extensions = join(work, 'extensions');
const workspace = join(work, 'workspace');
mkdirSync(join(userData, 'User'), { recursive: true });
mkdirSync(workspace, { recursive: true });
mkdirSync(results, { recursive: true });
copyFileSync(SOURCE, join(workspace, FILE));
// Only VS Code's own settings, to keep the pictures steady; not one irlens setting.
const settings = {
  'workbench.startupEditor': 'none',
  'security.workspace.trust.enabled': false,
  'workbench.colorTheme': 'Default Dark Modern',
  'editor.hover.delay': 100,
  'telemetry.telemetryLevel': 'off',
  'extensions.autoCheckUpdates': false,
  'workbench.secondarySideBar.defaultVisibility': 'hidden',
  'chat.disableAIFeatures': true,
};
assert.ok(!Object.keys(settings).some((key) => key.startsWith('irlens')));
writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify(settings));

const config = join(work, 'config.yaml');
writeFileSync(config, 'auth: none\n');
const common = ['--config', config, '--user-data-dir', userData, '--extensions-dir', extensions];
const install = spawnSync(codeServer, [...common, '--install-extension', join(root, 'irlens.vsix')], { env, encoding: 'utf8' });
console.log(install.stdout, install.stderr);
assert.equal(install.status, 0, 'the .vsix installs');

const server = spawn(
  codeServer,
  [...common, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check', workspace],
  { env, stdio: ['ignore', 'pipe', 'pipe'] },
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
const shots = [];
async function screenshot(name) {
  const file = join(results, name);
  await page.screenshot({ path: file });
  shots.push(file);
}

/** The text of the panel (a webview: nested iframes). */
async function panelText() {
  let text = '';
  for (const frame of page.frames()) {
    text += await frame.evaluate(() => document.querySelector('#root')?.textContent ?? '').catch(() => '');
  }
  return normal(text);
}

/** Polls the panel until `test` holds; returns its text. */
async function waitForPanel(test, what, seconds) {
  let text = '';
  for (let waited = 0; waited < seconds * 2; waited++) {
    text = await panelText();
    if (test(text)) {
      return text;
    }
    await page.waitForTimeout(500);
  }
  throw new Error(`the panel never showed ${what}; it shows: ${text.slice(0, 2000)}`);
}

async function runCommand(title) {
  await page.keyboard.press('F1');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type(title);
  await page.waitForSelector('.quick-input-list .monaco-list-row');
  await page.keyboard.press('Enter');
}

const steps = [];
function step(name) {
  steps.push(`${name}: ${((Date.now() - started) / 1000).toFixed(1)} s`);
  console.log(`e2e: ${name}`);
}

try {
  await page.goto(`http://127.0.0.1:${port}/?folder=${encodeURIComponent(workspace)}`);
  await page.waitForSelector('.monaco-workbench', { timeout: 120000 });
  step('VS Code is up');

  // Open the file through Quick Open.
  await page.keyboard.press('Control+P');
  await page.waitForSelector('.quick-input-widget input');
  await page.keyboard.type(FILE);
  await page.waitForSelector('.quick-input-list .monaco-list-row');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.monaco-editor .view-line', { timeout: 60000 });

  // The status bar says the server runs, in LLVM-only mode, with its LLVM.
  await page.waitForFunction(
    () => [...document.querySelectorAll('.statusbar-item')].some((el) => /irlens: LLVM-only · LLVM \d+/.test(el.textContent ?? '')),
    undefined,
    { timeout: 120000 },
  );
  step('the bundled server runs');

  // Open the panel, then hover the pass in the RUN line.
  await runCommand('irlens: Show Preview Panel');
  const pass = page.locator('.monaco-editor .view-line span', { hasText: new RegExp(`passes=${PASS}`) }).first();
  await pass.waitFor({ timeout: 60000 });
  const box = await pass.boundingBox();
  assert.ok(box, 'the RUN line is on screen');
  const text = (await pass.textContent()) ?? '';
  const offset = text.indexOf(PASS);
  const charWidth = box.width / Math.max(text.length, 1);
  await page.mouse.move(box.x + (offset + 3) * charWidth, box.y + box.height / 2);
  const hover = page.locator('.monaco-hover-content', { hasText: PASS });
  await hover.first().waitFor({ timeout: 90000 });
  const hoverText = normal((await hover.first().textContent()) ?? '');
  for (const line of expected.added) {
    assert.ok(hoverText.includes(normal(line)), `the hover shows the line opt adds: ${line}\nhover: ${hoverText.slice(0, 1500)}`);
  }
  step(`the hover shows the ${expected.added.length} lines opt adds`);

  // The panel shows the preview and the pipeline steps: the passes opt runs.
  const stepsText = await waitForPanel((t) => /Pipeline steps/.test(t) && expected.ran.every((name) => t.includes(name)), `the steps ${expected.ran.join(', ')}`, 90);
  assert.match(stepsText, /Preview/);
  assert.match(stepsText, /Built with LLM Compiler/);
  await screenshot('code-server.png');
  step(`the panel shows the pipeline steps (${expected.ran.join(', ')})`);

  // Suggest Passes, from the editor: the panel shows the verified offer against -Oz.
  await page.keyboard.press('Escape');
  await page.locator('.monaco-editor .view-line', { hasText: 'define void @test' }).first().click();
  await runCommand('irlens: Suggest Passes for Code Size');
  const suggestText = await waitForPanel(
    (t) => /Suggested passes/.test(t) && /vs -Oz/.test(t) && !/searching…/.test(t),
    'a finished suggestion',
    180,
  );
  assert.match(suggestText, /default<Oz>/, 'the offer is compared with -Oz');
  assert.match(suggestText, /\d+ candidates measured/);
  for (const frame of page.frames()) {
    await frame.evaluate(() => document.querySelector('#suggest')?.scrollIntoView()).catch(() => undefined);
  }
  await page.waitForTimeout(300);
  await screenshot('code-server-suggest.png');
  let rows = [];
  for (const frame of page.frames()) {
    const found = await frame
      .evaluate(() => [...document.querySelectorAll('#suggest table.suggestions tbody tr')].map((tr) => [...tr.cells].map((td) => td.textContent?.trim() ?? '')))
      .catch(() => []);
    rows = rows.length ? rows : found;
  }
  console.log(`e2e: suggestions (pipeline, bytes, vs -Oz, from): ${JSON.stringify(rows)}`);
  const oz = rows.find((row) => row[0] === 'default<Oz>');
  const offer = rows.find((row) => row[3] === 'offer');
  assert.ok(oz, 'the -Oz row is shown');
  if (offer) {
    // LLVM's own answer: the offered pipeline really makes a smaller object than -Oz.
    const size = (pipeline) => objectSize(pipeline);
    assert.ok(size(offer[0]) < size('default<Oz>'), `${offer[0]} is smaller than -Oz with opt, llc and llvm-size`);
  }
  const improved = Boolean(offer);
  step(`the panel shows the offer (${improved ? 'smaller than -Oz' : '-Oz is best'})`);

  // The CFG of @test (the cursor is on its define line): LLVM's blocks and edges, drawn.
  const llvm = llvmCfg();
  await runCommand('irlens: Show Control-Flow Graph');
  const cfgText = await waitForPanel((t) => /Control-flow graph of @test/.test(t) && /\d+ blocks · \d+ edges/.test(t), 'the CFG of @test', 90);
  const [, blocks, edges] = cfgText.match(/(\d+) blocks · (\d+) edges/).map(Number);
  assert.deepEqual({ blocks, edges }, llvm, 'the panel counts the blocks and edges opt -passes=dot-cfg draws');
  let drawn;
  for (const frame of page.frames()) {
    const found = await frame
      .evaluate(() => ({ blocks: document.querySelectorAll('#cfg svg.cfg g.block').length, edges: document.querySelectorAll('#cfg svg.cfg g.edge').length }))
      .catch(() => undefined);
    if (found?.blocks) {
      drawn = { found, frame };
    }
  }
  assert.ok(drawn, 'the CFG is drawn');
  assert.deepEqual(drawn.found, llvm, 'one box per block, one arrow per edge');
  for (const frame of page.frames()) {
    await frame.evaluate(() => document.querySelector('#cfg')?.scrollIntoView()).catch(() => undefined);
  }
  await page.waitForTimeout(300);
  await screenshot('code-server-cfg.png');
  // A click on the last block puts the cursor on its line (the status bar says "Ln N").
  const last = drawn.frame.locator('#cfg svg.cfg g.block').last();
  const line = Number(await last.getAttribute('data-line'));
  await last.locator('rect').click();
  await page.waitForFunction(
    (wanted) => [...document.querySelectorAll('.statusbar-item')].some((el) => new RegExp(`Ln ${wanted},`).test(el.textContent ?? '')),
    line + 1,
    { timeout: 30000 },
  );
  step(`the CFG of @test shows ${blocks} blocks and ${edges} edges, as opt draws, and a click goes to line ${line + 1}`);

  // The server that answered is the bundled one, found without settings.
  const logs = logFiles(join(userData, 'logs')).map((file) => readFileSync(file, 'utf8')).filter((log) => /Starting .*lsp_server/.test(log));
  assert.ok(logs.length > 0, 'the irlens output channel is in the logs');
  assert.match(logs.join('\n'), /from the bundled server, Python 3\.\d+\.\d+ from PATH/);
  console.log(`e2e: ${logs.join('\n').match(/Starting .*/)?.[0]}`);
  console.log('1 passed, 0 failed');
} catch (err) {
  failed = true;
  console.error(err);
  await page.screenshot({ path: join(results, 'code-server-failure.png') }).catch(() => undefined);
  const items = await page.$$eval('.statusbar-item', (els) => els.map((el) => el.textContent)).catch(() => []);
  console.error('status bar:', JSON.stringify(items));
  for (const file of logFiles(join(userData, 'logs')).filter((f) => /irlens/i.test(f.split('/').pop()))) {
    console.error(`== ${file}\n${readFileSync(file, 'utf8').slice(-4000)}`);
  }
  console.log('0 passed, 1 failed');
} finally {
  await browser.close();
  server.kill();
  console.log(steps.join('\n'));
}
if (!failed && process.env.IRLENS_UPDATE_SCREENSHOT === '1') {
  for (const file of shots) {
    copyFileSync(file, join(images, `vscode-${file.split('/').pop()}`));
  }
}
rmSync(work, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
