import assert from 'node:assert/strict';
import { test } from 'node:test';
import { contentSecurityPolicy, makeNonce, panelShell } from '../../src/panel/html';
import { renderMarkdown } from '../../src/panel/markdown';
import { BUILT_WITH, irAfter, renderPanel, shownSummary, stepShown, stepTitle } from '../../src/panel/render';

test('the empty panel explains itself and credits LLM Compiler', () => {
  const html = renderPanel({});
  assert.match(html, /Hover a pass/);
  assert.ok(html.includes(BUILT_WITH));
  assert.equal(BUILT_WITH, 'Built with LLM Compiler');
});

test('IR and model text are escaped, never markup', () => {
  const html = renderPanel({
    preview: { pass: '<img src=x onerror=alert(1)>', before: 'a\n', after: '<script>alert(1)</script>\n' },
    error: '<b>boom</b>',
  });
  assert.ok(!html.includes('<script>'));
  assert.ok(!html.includes('<img'));
  assert.ok(!html.includes('<b>boom'));
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
});

test('a preview shows the diff, sizes with deltas and the verdict', () => {
  const html = renderPanel({
    preview: {
      pass: 'sroa',
      function: 'crc32',
      llvmVersion: '19.1.7',
      diff: '@@ -1,2 +1,1 @@\n-  %3 = alloca ptr\n   ret void\n',
      sizeBefore: { instructions: 40, bytes: 120 },
      sizeAfter: { instructions: 30, bytes: 100 },
      prediction: { verdict: 'differs', differingLines: 3, sizeError: 4, firstDifference: '-  %4 = add' },
    },
  });
  assert.match(html, /<span class="line del">-  %3 = alloca ptr<\/span>/);
  assert.match(html, /-10 \(-25\.0%\)/);
  assert.match(html, /data-verdict="differs"/);
  assert.match(html, /differs in 3 lines; size prediction off by 4 bytes/);
});

test('no change is said plainly', () => {
  assert.match(renderPanel({ preview: { pass: 'gvn', changed: false } }), /No change/);
});

test('steps: changed ones are marked, the selected one shows its IR and diff', () => {
  const html = renderPanel({
    steps: {
      pipeline: 'sroa,gvn',
      input: 'x\n',
      steps: [
        { pass: 'sroa', changed: true, ir: 'y\n' },
        { pass: 'gvn', changed: false, ir: 'y\n' },
      ],
    },
    selectedStep: 0,
  });
  assert.match(html, /class="step changed selected" data-action="select-step" data-index="0"/);
  assert.match(html, /class="step unchanged" data-action="select-step" data-index="1"/);
  assert.match(html, /1 changed the IR/);
  assert.match(html, /<span class="line del">-x<\/span><span class="line add">\+y<\/span>/);
});

test('suggestions: the offer first, then the model candidates, then -Oz, with their gain', () => {
  const html = renderPanel({
    suggest: {
      function: 'crc32',
      headline: 'Optimize @crc32 for size: `a`: 200 → 190 bytes',
      outcome: 'improved',
      ozBytes: 200,
      best: { pipeline: 'a', bytes: 190, verified: true, source: 'offer' },
      candidates: [{ pipeline: 'b', bytes: 198, source: 'model sample 0', status: 'repaired' }],
    },
  });
  assert.match(html, /class="headline good">Optimize @crc32 for size: <code>a<\/code>/);
  assert.ok(html.indexOf('<code>a</code></td>') < html.indexOf('<code>b</code></td>'));
  assert.ok(html.indexOf('<code>b</code></td>') < html.indexOf('<code>default&lt;Oz&gt;</code></td>'));
  assert.match(html, /−5\.0%/);
  assert.match(html, /model sample 0, repaired/);
});

test('lift reports list each function with its round trip', () => {
  const html = renderPanel({
    context: { uri: 'file:///x.s', languageId: 'asm' },
    lift: {
      ok: true,
      source: 'x.s',
      triple: 'x86_64-unknown-linux-gnu',
      tripleSource: 'directives',
      model: 'llm-compiler-7b-ftd',
      uri: 'file:///x.lifted.ll',
      functions: [
        { name: 'f', status: 'exact', detail: '', score: 1, optLevel: 'O2' },
        { name: 'g', status: 'similar', score: 0.91, optLevel: 'O2', detail: '3 lines differ' },
        { name: 'h', status: 'failed', detail: 'does not parse' },
      ],
      notes: [],
    },
  });
  assert.match(html, /badge good">exact/);
  assert.match(html, /BLEU 0\.910, llc -O2, 3 lines differ/);
  assert.match(html, /target x86_64-unknown-linux-gnu \(directives\)/);
  assert.match(html, /badge bad">failed/);
  assert.match(html, /data-action="open" data-uri="file:\/\/\/x\.lifted\.ll"/);
  assert.match(html, /Lift this file/);
});

test('a failed lift shows its error and no document to open', () => {
  const html = renderPanel({ lift: { ok: false, error: 'lifting needs an LLM Compiler -ftd model', uri: 'file:///x.s' } });
  assert.match(html, /lifting needs an LLM Compiler -ftd model/);
  assert.ok(!html.includes('data-action="open"'));
});

test('steps that changed nothing show the IR of the last step that did', () => {
  const steps = {
    initial: 'x\n',
    steps: [
      { pass: 'SROAPass', changed: true, ir: 'y\n' },
      { pass: 'EarlyCSEPass', changed: false, ir: null },
    ],
  };
  assert.equal(irAfter(steps, 1), 'y\n');
  assert.equal(irAfter(steps, -1), 'x\n');
  const html = renderPanel({ steps, selectedStep: 1 });
  assert.match(html, /No change\./);
  assert.match(html, /<pre class="code ir">y\n<\/pre>/);
});

test('hover markdown renders with diff fences coloured', () => {
  const html = renderMarkdown('**sroa** on `@f`\n\n```diff\n- a\n+ b\n```\n\n- one\n- two');
  assert.match(html, /<strong>sroa<\/strong> on <code>@f<\/code>/);
  assert.match(html, /line del">- a/);
  assert.match(html, /<ul><li>one<\/li><li>two<\/li><\/ul>/);
});

test('hover tables render as tables', () => {
  const html = renderMarkdown('| | before | after |\n| --- | --: | --: |\n| instructions in `@f` | 29 | 29 |\n\nafter');
  assert.match(html, /<table class="md"><thead><tr><th><\/th><th class="num">before<\/th>/);
  assert.match(html, /<td>instructions in <code>@f<\/code><\/td><td class="num">29<\/td>/);
  assert.match(html, /<p>after<\/p>/);
});

test('the shell allows only its own nonce script and its stylesheet', () => {
  const nonce = makeNonce();
  assert.match(nonce, /^[A-Za-z0-9]{32}$/);
  const csp = contentSecurityPolicy({ cspSource: 'https://x.vscode-cdn.net', nonce });
  assert.match(csp, /default-src 'none'/);
  assert.match(csp, new RegExp(`script-src 'nonce-${nonce}'`));
  assert.ok(!csp.includes('unsafe-inline'));
  assert.ok(!csp.includes('unsafe-eval'));
  const html = panelShell({ cspSource: 'https://x', nonce, scriptUri: 'https://x/webview.js', styleUri: 'https://x/panel.css' });
  assert.match(html, new RegExp(`<script nonce="${nonce}" src="https://x/webview.js">`));
  assert.equal((html.match(/<script/g) ?? []).length, 1);
});

test('steps: the filter matches pass names and what they ran on; hide-unchanged leaves out no-ops', () => {
  const steps = [
    { pass: 'SROAPass', on: 'crc32', changed: true },
    { pass: 'EarlyCSEPass', on: 'crc32', changed: false },
    { pass: 'LoopRotatePass', on: 'loop %for.body', changed: true },
  ];
  const view = (filter: string, hideUnchanged = false) => ({ filter, hideUnchanged });
  const shown = (v: { filter: string; hideUnchanged: boolean }) => steps.filter((s, i) => stepShown(s, i, v)).map((s) => s.pass);
  assert.deepEqual(shown(view('')), ['SROAPass', 'EarlyCSEPass', 'LoopRotatePass']);
  assert.deepEqual(shown(view(' sroa ')), ['SROAPass']);
  assert.deepEqual(shown(view('for.body')), ['LoopRotatePass']);
  assert.deepEqual(shown(view('', true)), ['SROAPass', 'LoopRotatePass']);
  assert.deepEqual(shown(view('cse', true)), []);
  assert.equal(shownSummary(steps, view('')), '');
  assert.equal(shownSummary(steps, view('', true)), '2 of 3 passes shown');
  const html = renderPanel({ steps: { steps } }, view('', true));
  assert.match(html, /<li hidden><button class="step unchanged"/);
  assert.match(html, /id="hide-unchanged" type="checkbox" checked/);
  assert.match(html, /2 of 3 passes shown/);
});

test('steps: a change opt printed no dump for says so in its tooltip', () => {
  const closing = { pass: 'ModuleToPostOrderCGSCCPassAdaptor', on: '[module]', changed: true, unreported: true };
  assert.match(stepTitle(closing), /^on \[module\]: changed the IR after opt's last dump/);
  assert.equal(stepTitle({ pass: 'SROAPass', on: 'f', changed: false }), 'on f: no change');
  const html = renderPanel({ steps: { steps: [closing] } });
  assert.match(html, /title="on \[module\]: changed the IR after opt&#39;s last dump/);
});
