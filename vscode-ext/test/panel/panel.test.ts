/**
 * The panel's real HTML and script (out/webview.js, media/panel.css) in headless Chromium.
 *
 * The page is served from a fake origin that stands in for the webview's resource origin, under
 * the same Content-Security-Policy the extension sets. A shim plays the VS Code side: it provides
 * acquireVsCodeApi, keeps setState in sessionStorage (as VS Code keeps it while the view is
 * hidden), and sends every posted message through the extension's reducer. Screenshots go to
 * test-results/; with IRLENS_UPDATE_SCREENSHOT=1 the dark one is copied to
 * docs/images/vscode-panel.png for the README, and the CFG one to docs/images/vscode-cfg.png.
 */

import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, test } from 'node:test';
import { type Browser, chromium, type Page } from 'playwright-core';
import { makeNonce, panelShell } from '../../src/panel/html';
import { previewFromServer, suggestFromServer } from '../../src/panel/adapt';
import { cfgFromServer } from '../../src/panel/cfgData';
import { type PanelAction, type PanelState, parsePanelMessage, reduce } from '../../src/panel/state';
import { EXTENSION_ROOT, REPO_ROOT } from '../paths';

const ORIGIN = 'https://irlens-panel.test';
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const RESULTS = path.join(EXTENSION_ROOT, 'test-results');
/** What the server sent (see make_fixture.py), applied through the extension's own reducer. */
const RAW = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'test', 'panel', 'panel-state.json'), 'utf8'));
const FIXTURE: PanelState = [
  { type: 'status', status: RAW.status },
  { type: 'context', context: RAW.context },
  { type: 'preview', preview: previewFromServer(RAW.previewUpdated) },
  { type: 'steps', steps: RAW.steps },
  { type: 'suggest', suggest: suggestFromServer(RAW.suggest), done: true },
].reduce((state, action) => reduce(state, action as PanelAction), {} as PanelState);

/** The panel after irlens.showCfg with the cursor in @murmurhash3_x86_32 (the server's real answer). */
const CFG_STATE: PanelState = [
  { type: 'status', status: RAW.status },
  { type: 'context', context: { uri: RAW.cfg.answer.uri, fileName: 'dev-mmh3-0119.ll', languageId: 'llvm', function: RAW.cfg.answer.function } },
  { type: 'cfgLoading' },
  { type: 'cfg', cfg: cfgFromServer(RAW.cfg.answer) },
].reduce((state, action) => reduce(state, action as PanelAction), {} as PanelState);

/** The variables VS Code's Dark Modern theme sets on a webview's <html>, for the ones the panel uses. */
const DARK_THEME: Record<string, string> = {
  '--vscode-font-family': 'system-ui, "Ubuntu", "Droid Sans", sans-serif',
  '--vscode-font-size': '13px',
  '--vscode-editor-font-family': '"DejaVu Sans Mono", monospace',
  '--vscode-editor-font-size': '12px',
  '--vscode-foreground': '#cccccc',
  '--vscode-descriptionForeground': '#9d9d9d',
  '--vscode-disabledForeground': '#6e7681',
  '--vscode-sideBar-background': '#181818',
  '--vscode-editor-background': '#1f1f1f',
  '--vscode-textCodeBlock-background': '#2b2b2b',
  '--vscode-diffEditor-insertedLineBackground': 'rgba(155, 185, 85, 0.2)',
  '--vscode-diffEditor-removedLineBackground': 'rgba(255, 0, 0, 0.2)',
  '--vscode-diffEditor-insertedTextBackground': 'rgba(156, 204, 44, 0.2)',
  '--vscode-badge-background': '#616161',
  '--vscode-badge-foreground': '#f8f8f8',
  '--vscode-testing-iconPassed': '#73c991',
  '--vscode-editorWarning-foreground': '#cca700',
  '--vscode-editorError-foreground': '#f85149',
  '--vscode-errorForeground': '#f85149',
  '--vscode-focusBorder': '#0078d4',
  '--vscode-button-background': '#0078d4',
  '--vscode-button-foreground': '#ffffff',
  '--vscode-button-hoverBackground': '#026ec1',
  '--vscode-textLink-foreground': '#4daafc',
  '--vscode-panel-border': '#2b2b2b',
  '--vscode-widget-border': '#313131',
  '--vscode-textBlockQuote-border': '#616161',
  '--vscode-charts-orange': '#d18616',
};

const SHIM = `
  window.__posted = [];
  window.acquireVsCodeApi = () => ({
    postMessage: (message) => { window.__posted.push(message); window.__toExtension(message); },
    getState: () => { const saved = sessionStorage.getItem('state'); return saved ? JSON.parse(saved) : undefined; },
    setState: (state) => sessionStorage.setItem('state', JSON.stringify(state)),
  });
`;

let browser: Browser;
let page: Page;
let state: PanelState = {};
const violations: string[] = [];

async function postState(next: PanelState): Promise<void> {
  state = next;
  await page.evaluate((s) => window.postMessage({ type: 'state', state: s }, '*'), next as unknown as Record<string, unknown>);
}

async function applyTheme(theme: Record<string, string>): Promise<void> {
  // VS Code sets the theme as a style attribute on <html>; CSSOM writes are what it does too.
  await page.evaluate((vars) => {
    for (const [name, value] of Object.entries(vars)) {
      document.documentElement.style.setProperty(name, value);
    }
  }, theme);
}

before(async () => {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  page = await browser.newPage({ viewport: { width: 460, height: 1180 }, deviceScaleFactor: 1 });
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) {
      violations.push(message.text());
    }
  });
  page.on('pageerror', (error) => violations.push(`page error: ${error.message}`));
  await page.exposeFunction('__toExtension', async (data: unknown) => {
    const message = parsePanelMessage(data);
    if (message?.type === 'selectStep') {
      await postState(reduce(state, { type: 'selectStep', index: message.index }));
    }
  });
  await page.addInitScript(SHIM);
  const nonce = makeNonce();
  await page.route(`${ORIGIN}/**`, async (route) => {
    const url = new URL(route.request().url());
    const files: Record<string, [string, string]> = {
      '/out/webview.js': [path.join(EXTENSION_ROOT, 'out', 'webview.js'), 'text/javascript'],
      '/media/panel.css': [path.join(EXTENSION_ROOT, 'media', 'panel.css'), 'text/css'],
    };
    if (url.pathname === '/index.html') {
      const html = panelShell({
        cspSource: ORIGIN,
        nonce,
        scriptUri: `${ORIGIN}/out/webview.js`,
        styleUri: `${ORIGIN}/media/panel.css`,
      });
      await route.fulfill({ status: 200, contentType: 'text/html', body: html });
    } else if (files[url.pathname]) {
      const [file, contentType] = files[url.pathname];
      await route.fulfill({ status: 200, contentType, body: readFileSync(file) });
    } else {
      await route.fulfill({ status: 404, body: '' });
    }
  });
  await page.goto(`${ORIGIN}/index.html`);
  await applyTheme(DARK_THEME);
  mkdirSync(RESULTS, { recursive: true });
});

after(async () => {
  await browser?.close();
});

test('the panel loads under its CSP and says it is ready', async () => {
  await page.waitForFunction(() => (window as unknown as { __posted: { type: string }[] }).__posted.some((m) => m.type === 'ready'));
  assert.match(await page.textContent('footer') ?? '', /Built with LLM Compiler/);
  assert.deepEqual(violations, []);
});

test('the CSP blocks scripts that are not the panel', async () => {
  const ran = await page.evaluate(() => {
    const script = document.createElement('script');
    script.textContent = 'window.__inline = 1';
    document.body.appendChild(script);
    return (window as unknown as { __inline?: number }).__inline;
  });
  assert.equal(ran, undefined);
  violations.length = 0;
});

test('a preview, its pipeline steps and suggestions render with the theme colours', async () => {
  await postState(FIXTURE);
  await page.waitForSelector('#steps button.step');
  assert.match(await page.textContent('#status') ?? '', /fake-backend · LLVM 19/);
  assert.match(await page.textContent('#context') ?? '', /example\.ll · @crc32/);
  assert.match(await page.textContent('#preview h2') ?? '', /instcombine.*@crc32/);
  const verdict = await page.getAttribute('#preview .badge', 'data-verdict');
  assert.equal(verdict, 'differs');
  const changed = await page.$$eval('#steps button.step.changed', (buttons) => buttons.map((b) => b.textContent));
  const expected = (FIXTURE.steps?.steps ?? []).filter((s) => s.changed).map((s) => s.pass);
  assert.deepEqual(changed, expected);
  assert.equal(await page.textContent('#steps button.selected'), 'InstCombinePass');
  assert.match(await page.textContent('#preview details.others summary') ?? '', /Also changed: @/);
  const added = await page.$eval('#preview .line.add', (el) => getComputedStyle(el).backgroundColor);
  assert.equal(added, 'rgba(155, 185, 85, 0.2)', 'added lines use the theme diff colour');
  assert.match(await page.textContent('#suggest .headline') ?? '', /Optimize @crc32 for size: function\(sroa<modify-cfg>\)/);
  assert.equal(await page.textContent('#suggest tr.best td:nth-child(3)'), '−11.3%');
  assert.match(await page.textContent('#preview .prediction') ?? '', /differs in 2 lines; size prediction off by 3 bytes/);
  await page.screenshot({ path: path.join(RESULTS, 'panel-dark.png'), fullPage: true });
  if (process.env.IRLENS_UPDATE_SCREENSHOT === '1') {
    const target = path.join(REPO_ROOT, 'docs', 'images', 'vscode-panel.png');
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(RESULTS, 'panel-dark.png'), target);
  }
  assert.deepEqual(violations, []);
});

test('clicking a pass shows the IR after it', async () => {
  await page.click('#steps button.step >> text=SROAPass');
  await page.waitForSelector('#steps button.selected >> text=SROAPass');
  const heading = await page.textContent('.step-detail h3');
  assert.equal(heading, 'After SROAPass');
  const ir = await page.textContent('.step-detail pre.ir');
  assert.equal(ir, FIXTURE.steps?.steps?.[0].ir);
  assert.ok((await page.$$('.step-detail .line.del')).length > 0, 'SROA removed the allocas');
});

test('the state comes back when the view is shown again', async () => {
  await page.reload();
  await applyTheme(DARK_THEME);
  await page.waitForSelector('#steps button.selected >> text=SROAPass');
  assert.match(await page.textContent('#preview h2') ?? '', /instcombine/);
});

test('the steps filter narrows the list as one types, and hides the passes that changed nothing', async () => {
  const steps = FIXTURE.steps?.steps ?? [];
  const visible = () => page.$$eval('#steps li:not([hidden]) button.step', (buttons) => buttons.map((b) => b.textContent));
  await page.fill('#step-filter', 'sroa');
  const wanted = steps.filter((s) => (s.pass ?? '').toLowerCase().includes('sroa') || (s.on ?? '').toLowerCase().includes('sroa'));
  assert.ok(wanted.length > 0 && wanted.length < steps.length);
  assert.deepEqual(await visible(), wanted.map((s) => s.pass));
  assert.equal(await page.evaluate(() => document.activeElement?.id), 'step-filter', 'typing keeps the focus');
  assert.match(await page.textContent('#steps-shown') ?? '', new RegExp(`^${wanted.length} of ${steps.length} passes shown$`));
  await page.fill('#step-filter', '');
  await page.check('#hide-unchanged');
  assert.deepEqual(await visible(), steps.filter((s) => s.changed).map((s) => s.pass));
  // A new state from the extension keeps the choice.
  await postState(FIXTURE);
  await page.waitForSelector('#steps button.step');
  assert.deepEqual(await visible(), steps.filter((s) => s.changed).map((s) => s.pass));
  await page.uncheck('#hide-unchanged');
  assert.equal((await visible()).length, steps.length);
});

test('hostile text from a document or a model is shown, never run', async () => {
  await postState({
    preview: {
      pass: '<img src=x onerror="window.__pwned=1">',
      before: 'a\n',
      after: '<script>window.__pwned=2</script>\n',
      prediction: { verdict: 'differs', firstDifference: '<img src=y onerror="window.__pwned=3">' },
    },
  });
  await page.waitForSelector('#preview .line.add');
  assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
  assert.match(await page.textContent('#preview .line.add') ?? '', /<script>window.__pwned=2<\/script>/);
  assert.equal(await page.$('#preview img'), null);
});

test('the CFG of the function at the cursor is laid out and drawn, loops marked', async () => {
  await postState(CFG_STATE);
  await page.waitForSelector('#cfg svg.cfg g.block');
  const answer = RAW.cfg.answer as { blocks: { line: number; loop_header: boolean }[]; edges: { back: boolean }[] };
  assert.equal((await page.$$('#cfg svg.cfg g.block')).length, answer.blocks.length);
  assert.equal((await page.$$('#cfg svg.cfg g.edge')).length, answer.edges.length);
  assert.equal((await page.$$('#cfg svg.cfg g.edge.back')).length, answer.edges.filter((edge) => edge.back).length);
  assert.equal((await page.$$('#cfg svg.cfg g.block.loop-header')).length, answer.blocks.filter((block) => block.loop_header).length);
  assert.match(await page.textContent('#cfg h2') ?? '', /Control-flow graph of @murmurhash3_x86_32/);
  const labels = await page.$$eval('#cfg text.edge-label', (texts) => texts.map((t) => t.textContent));
  assert.ok(labels.includes('true') && labels.includes('false') && labels.includes('default'), labels.join(','));
  // The drawn blocks do not overlap: dagre's layout, measured in the page's own font.
  const boxes = await page.$$eval('#cfg g.block rect', (rects) => rects.map((r) => r.getBoundingClientRect().toJSON() as DOMRect));
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const [a, b] = [boxes[i], boxes[j]];
      assert.ok(a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top, `blocks ${i} and ${j} overlap`);
    }
  }
  // Text fits its box: the width was measured in the editor font.
  const overflow = await page.$$eval('#cfg g.block', (groups) =>
    groups.filter((g) => {
      const rect = g.querySelector('rect')!.getBoundingClientRect();
      return Array.from(g.querySelectorAll('text')).some((t) => t.getBoundingClientRect().right > rect.right + 0.5);
    }).length,
  );
  assert.equal(overflow, 0, 'no instruction runs out of its block');
  const stroke = await page.$eval('#cfg g.edge.back path', (el) => getComputedStyle(el).strokeDasharray);
  assert.notEqual(stroke, 'none', 'back edges are dashed');
  await page.screenshot({ path: path.join(RESULTS, 'cfg-dark.png'), fullPage: true });
  // The docs picture: the side panel widened, as a reader would to see the whole graph.
  await page.setViewportSize({ width: 1280, height: 1500 });
  await page.$eval('#cfg-graph', (el) => el.scrollTo(0, 0));
  await (await page.$('#cfg'))!.screenshot({ path: path.join(RESULTS, 'cfg-section.png') });
  await page.setViewportSize({ width: 460, height: 1180 });
  if (process.env.IRLENS_UPDATE_SCREENSHOT === '1') {
    const target = path.join(REPO_ROOT, 'docs', 'images', 'vscode-cfg.png');
    mkdirSync(path.dirname(target), { recursive: true });
    copyFileSync(path.join(RESULTS, 'cfg-section.png'), target);
  }
  assert.deepEqual(violations, []);
});

test('a click on a block asks to go to its line', async () => {
  const header = (RAW.cfg.answer.blocks as { line: number; loop_header: boolean }[]).find((block) => block.loop_header)!;
  await page.click('#cfg g.block.loop-header rect');
  const posted = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.filter((m) => m.type === 'reveal'));
  assert.deepEqual(posted.at(-1), { type: 'reveal', uri: RAW.cfg.answer.uri, line: header.line });
  assert.deepEqual(parsePanelMessage(posted.at(-1)), posted.at(-1), 'the extension accepts it');
  await page.focus('#cfg g.block[data-index="0"]');
  await page.keyboard.press('Enter');
  const last = await page.evaluate(() => (window as unknown as { __posted: { type: string }[] }).__posted.at(-1));
  assert.deepEqual(last, { type: 'reveal', uri: RAW.cfg.answer.uri, line: RAW.cfg.answer.blocks[0].line });
});

test('"fit width" shrinks the graph to the panel, and back', async () => {
  const full = await page.$eval('#cfg svg.cfg', (svg) => svg.getBoundingClientRect().width);
  const host = await page.$eval('#cfg-graph', (el) => el.clientWidth);
  assert.ok(full > host, 'at full size this graph is wider than the panel');
  await page.click('#cfg-fit');
  assert.equal(await page.getAttribute('#cfg svg.cfg', 'width'), '100%');
  const fitted = await page.$eval('#cfg svg.cfg', (svg) => svg.getBoundingClientRect().width);
  assert.ok(fitted <= host + 1, `${fitted} fits in ${host}`);
  assert.equal(await page.textContent('#cfg-fit'), 'full size');
  await page.screenshot({ path: path.join(RESULTS, 'cfg-fit.png'), fullPage: true });
  await page.click('#cfg-fit');
  assert.notEqual(await page.getAttribute('#cfg svg.cfg', 'width'), '100%');
});

test('a light theme changes the colours, not the layout', async () => {
  await postState(FIXTURE);
  await applyTheme({
    ...DARK_THEME,
    '--vscode-foreground': '#3b3b3b',
    '--vscode-sideBar-background': '#f8f8f8',
    '--vscode-editor-background': '#ffffff',
    '--vscode-textCodeBlock-background': '#f0f0f0',
    '--vscode-diffEditor-insertedLineBackground': 'rgba(155, 185, 85, 0.3)',
  });
  await page.waitForSelector('#steps button.step');
  const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  assert.equal(background, 'rgb(248, 248, 248)');
  await page.screenshot({ path: path.join(RESULTS, 'panel-light.png'), fullPage: true });
});
