/**
 * The CFG view's data, layout and SVG, on the real `irlens/cfg` answer in the panel fixture
 * (@murmurhash3_x86_32 of the corpus: a loop and a switch; see test/panel/make_fixture.py).
 */

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { cfgSvg, layoutCfg } from '../../src/panel/cfg';
import { type CfgGraph, cfgFromServer, cfgSpan, edgeLabel, MAX_COLUMNS, MAX_SHOWN, shownLines } from '../../src/panel/cfgData';
import { renderCfg } from '../../src/panel/render';
import { parsePanelMessage, reduce } from '../../src/panel/state';
import type { CfgPayload } from '../../src/protocol';
import { EXTENSION_ROOT } from '../paths';

const RAW = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'test', 'panel', 'panel-state.json'), 'utf8'));
const ANSWER: CfgPayload = RAW.cfg.answer;

function graph(): CfgGraph {
  const view = cfgFromServer(ANSWER);
  assert.ok(view.graph, view.error);
  return view.graph;
}

test('the server answer becomes blocks and edges, nothing lost', () => {
  const g = graph();
  assert.equal(g.function, 'murmurhash3_x86_32');
  assert.equal(g.uri, ANSWER.uri);
  assert.equal(g.blocks.length, ANSWER.blocks?.length);
  assert.deepEqual(
    g.edges.map((edge) => [edge.source, edge.target, edge.back]),
    (ANSWER.edges ?? []).map((edge) => [edge.source, edge.target, edge.back]),
  );
  assert.deepEqual(g.blocks.map((block) => block.line), (ANSWER.blocks ?? []).map((block) => block.line));
  assert.deepEqual(g.blocks.map((block) => block.instructionCount), (ANSWER.blocks ?? []).map((block) => block.instructions?.length));
});

test('branch and switch labels read as true/false and cases', () => {
  const labels = new Set(graph().edges.map((edge) => edge.label));
  const raw = new Set((ANSWER.edges ?? []).map((edge) => edge.label));
  assert.ok(raw.has('T') && raw.has('F') && raw.has('default'), 'the fixture has a br and a switch');
  assert.ok(labels.has('true') && labels.has('false') && labels.has('default'));
  for (const value of raw) {
    if (value && /^-?\d+$/.test(value)) {
      assert.ok(labels.has(`case ${value}`));
    }
  }
  assert.deepEqual(edgeLabel('T'), { label: 'true', kind: 'true' });
  assert.deepEqual(edgeLabel('-7'), { label: 'case -7', kind: 'case' });
  assert.deepEqual(edgeLabel('unwind'), { label: 'unwind', kind: 'other' });
  assert.deepEqual(edgeLabel(undefined), { label: '', kind: 'other' });
});

test('the loop shows: its header marked, its back edge targets the header', () => {
  const g = graph();
  assert.equal(g.loops.length, 1);
  const header = g.loops[0].header;
  assert.ok(g.blocks[header].loopHeader);
  const back = g.edges.filter((edge) => edge.back);
  assert.equal(back.length, 1);
  assert.equal(back[0].target, header);
  assert.ok(g.loops[0].blocks.includes(back[0].source));
  for (const index of g.loops[0].blocks) {
    assert.ok(g.blocks[index].loopDepth >= 1);
  }
});

test('a long block shows its first instructions, a count, and its terminator', () => {
  const insts = Array.from({ length: 30 }, (_, i) => `%v${i} = add i32 %a, ${i}`);
  insts.push(`br label %next${'x'.repeat(100)}`);
  const shown = shownLines(insts);
  assert.equal(shown.length, MAX_SHOWN);
  assert.equal(shown[MAX_SHOWN - 2], `⋯ ${31 - (MAX_SHOWN - 1)} more`);
  assert.ok(shown[MAX_SHOWN - 1].startsWith('br label %next'));
  assert.equal(shown[MAX_SHOWN - 1].length, MAX_COLUMNS);
  assert.deepEqual(shownLines(['ret void']), ['ret void']);
  const longest = graph().blocks.reduce((a, b) => (b.instructionCount > a.instructionCount ? b : a));
  const raw = ANSWER.blocks?.[longest.index].instructions ?? [];
  assert.ok(raw.length > MAX_SHOWN);
  assert.equal(longest.lines.at(-1), shownLines([raw.at(-1) ?? ''])[0], 'the terminator is drawn last');
  assert.ok(longest.lines.at(-1)?.startsWith(raw.at(-1)?.split(' ')[0] ?? '?'));
});

test('errors and malformed answers are told, not thrown', () => {
  assert.deepEqual(cfgFromServer({ error: 'no function defined there', functions: ['f', 'g'] }), { error: 'no function defined there', functions: ['f', 'g'] });
  assert.ok(cfgFromServer(null).error);
  const view = cfgFromServer({ function: 'f', blocks: [{ name: '%a' }, {}], edges: [{ source: 0, target: 1 }, { source: 0, target: 9 }, { source: -1, target: 0 }], loops: [{ header: 5 }] } as CfgPayload, 'file:///x.ll');
  assert.equal(view.graph?.blocks.length, 2);
  assert.equal(view.graph?.blocks[1].name, '#1');
  assert.equal(view.graph?.edges.length, 1);
  assert.equal(view.graph?.loops.length, 0);
  assert.equal(view.graph?.uri, 'file:///x.ll');
});

test('dagre lays every block out without overlap; edges join their blocks; the back edge goes up', () => {
  const g = graph();
  const layout = layoutCfg(g);
  assert.equal(layout.nodes.length, g.blocks.length);
  for (let i = 0; i < layout.nodes.length; i++) {
    const a = layout.nodes[i];
    assert.ok(a.width > 0 && a.height > 0 && a.x >= 0 && a.y >= 0 && a.x + a.width <= layout.width + 1 && a.y + a.height <= layout.height + 1);
    for (let j = i + 1; j < layout.nodes.length; j++) {
      const b = layout.nodes[j];
      const apart = a.x + a.width <= b.x || b.x + b.width <= a.x || a.y + a.height <= b.y || b.y + b.height <= a.y;
      assert.ok(apart, `blocks ${i} and ${j} overlap`);
    }
  }
  const near = (p: { x: number; y: number }, box: { x: number; y: number; width: number; height: number }) =>
    p.x >= box.x - 2 && p.x <= box.x + box.width + 2 && p.y >= box.y - 2 && p.y <= box.y + box.height + 2;
  g.edges.forEach((edge, k) => {
    const points = layout.edges[k].points;
    assert.ok(points.length >= 2);
    assert.ok(near(points[0], layout.nodes[edge.source]), `edge ${k} starts at its source`);
    assert.ok(near(points[points.length - 1], layout.nodes[edge.target]), `edge ${k} ends at its target`);
    if (edge.label) {
      assert.ok(layout.edges[k].label, `edge ${k} has a place for its label`);
    }
  });
  const back = g.edges.findIndex((edge) => edge.back);
  assert.ok(layout.nodes[g.edges[back].target].y < layout.nodes[g.edges[back].source].y, 'the loop header is above the latch');
  assert.equal(layout.nodes[0].y, Math.min(...layout.nodes.map((box) => box.y)), 'the entry is on top');
});

test('the SVG has one clickable group per block and one per edge, and no inline style', () => {
  const g = graph();
  const svg = cfgSvg(g, layoutCfg(g));
  assert.equal(svg.match(/<g class="block[^"]*" data-action="reveal"/g)?.length, g.blocks.length);
  assert.equal(svg.match(/<g class="edge[ "]/g)?.length, g.edges.length);
  assert.equal(svg.match(/<g class="edge[^"]*\bback\b/g)?.length, 1);
  assert.equal(svg.match(/class="block loop-header/g)?.length, 1);
  assert.ok(!/style=/.test(svg), 'the CSP allows no inline style');
  for (const block of g.blocks) {
    assert.ok(svg.includes(`data-line="${block.line}" data-index="${block.index}"`));
  }
});

test('names from the document are escaped in the SVG', () => {
  const view = cfgFromServer({ uri: 'file:///a".ll', function: '<f>', blocks: [{ name: '%"<img src=x onerror=1>"', instructions: ['ret i8 "<b>"'] }], edges: [] });
  const svg = cfgSvg(view.graph!, layoutCfg(view.graph!));
  assert.ok(!svg.includes('<img'));
  assert.ok(!svg.includes('<b>'));
  assert.ok(svg.includes('&lt;img src=x onerror=1&gt;'));
  assert.ok(svg.includes('data-uri="file:///a&quot;.ll"'));
});

test('the CFG state: loading, shown, kept open across documents, closed', () => {
  let state = reduce({}, { type: 'cfgLoading' });
  assert.equal(state.cfg?.loading, true);
  assert.match(renderCfg(state), /Computing the control-flow graph/);
  state = reduce(state, { type: 'cfg', cfg: cfgFromServer(ANSWER) });
  assert.equal(state.cfg?.loading, false);
  assert.match(renderCfg(state), /9 blocks · 12 edges · 1 loop \(1 back edge, dashed\)/);
  assert.match(renderCfg(state), /id="cfg-graph"/);
  state = reduce(state, { type: 'context', context: { uri: 'file:///other.ll' } });
  assert.deepEqual(state.cfg, {}, 'another document: the graph goes, the view stays open');
  assert.match(renderCfg(state), /Put the cursor in a function/);
  state = reduce(state, { type: 'cfg', cfg: { error: 'no function defined there', functions: ['main'] } });
  assert.match(renderCfg(state), /no function defined there.*@main/s);
  assert.equal(reduce(state, { type: 'closeCfg' }).cfg, undefined);
  assert.equal(renderCfg({}), '');
});

test('a click on a block is a reveal message only with a document and a line', () => {
  assert.deepEqual(parsePanelMessage({ type: 'reveal', uri: 'file:///a.ll', line: 45 }), { type: 'reveal', uri: 'file:///a.ll', line: 45 });
  assert.equal(parsePanelMessage({ type: 'reveal', uri: 'file:///a.ll', line: -1 }), undefined);
  assert.equal(parsePanelMessage({ type: 'reveal', uri: 'file:///a.ll', line: Number.NaN }), undefined);
  assert.equal(parsePanelMessage({ type: 'reveal', line: 3 }), undefined);
  assert.deepEqual(parsePanelMessage({ type: 'closeCfg' }), { type: 'closeCfg' });
});

test("the function's span, from the server's block lines, tells when the cursor left it", () => {
  const g = graph();
  const span = cfgSpan(g);
  const blocks = ANSWER.blocks ?? [];
  assert.deepEqual(span, { first: blocks[0].line, last: blocks[blocks.length - 1].end_line });
  assert.ok(RAW.cfg.position.line >= span!.first && RAW.cfg.position.line <= span!.last, 'the asked line is inside');
  assert.equal(cfgSpan(undefined), undefined);
  assert.equal(cfgSpan({ ...g, blocks: [] }), undefined);
});
