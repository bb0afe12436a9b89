/**
 * The CFG view's layout (dagre, bundled into the webview script) and the SVG of a laid-out graph.
 * Pure, unit-tested in node and drawn in Chromium by the panel test.
 *
 * Only the webview script imports this module (and through it dagre): the extension host never
 * lays a graph out, so its bundle stays without the layout library.
 */

import dagre from '@dagrejs/dagre';
import type { CfgBlock, CfgGraph } from './cfgData';
import { escapeHtml } from './markdown';

/** The block's first line: its name and its loop role. */
export function blockTitle(block: CfgBlock): string {
  const role = block.loopHeader ? `  ⟲ loop header (depth ${block.loopDepth})` : block.loopDepth > 0 ? `  loop depth ${block.loopDepth}` : '';
  return `${block.name}${role}${block.reachable ? '' : '  unreachable'}`;
}

export interface Metrics {
  /** Width of one character of the editor font, in pixels. */
  charWidth: number;
  lineHeight: number;
  padding: number;
}

export const DEFAULT_METRICS: Metrics = { charWidth: 7.3, lineHeight: 16, padding: 8 };

export interface Point {
  x: number;
  y: number;
}

export interface CfgLayout {
  width: number;
  height: number;
  /** Top-left corner and size of each block, by block index. */
  nodes: { x: number; y: number; width: number; height: number }[];
  /** The route of each edge and where its label goes, in the order of `graph.edges`. */
  edges: { points: Point[]; label?: Point }[];
}

/** Lays the graph out top to bottom with dagre: sizes from the text, so nothing overlaps. */
export function layoutCfg(graph: CfgGraph, metrics: Metrics = DEFAULT_METRICS): CfgLayout {
  const g = new dagre.graphlib.Graph({ multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 28, ranksep: 40, edgesep: 12, marginx: 8, marginy: 8 });
  g.setDefaultEdgeLabel(() => ({}));
  for (const block of graph.blocks) {
    const columns = Math.max(blockTitle(block).length, ...block.lines.map((line) => line.length), 8);
    g.setNode(String(block.index), {
      width: Math.ceil(columns * metrics.charWidth + 2 * metrics.padding),
      height: Math.ceil((block.lines.length + 1) * metrics.lineHeight + 2 * metrics.padding),
    });
  }
  graph.edges.forEach((edge, number) => {
    const label = edge.label ? { width: Math.ceil(edge.label.length * metrics.charWidth + 6), height: metrics.lineHeight, labelpos: 'c' as const } : {};
    // A back edge weighs less, so the loop body is laid out downwards and the back edge goes up.
    g.setEdge(String(edge.source), String(edge.target), { ...label, weight: edge.back ? 1 : 2 }, String(number));
  });
  dagre.layout(g);
  const nodes = graph.blocks.map((block) => {
    const node = g.node(String(block.index));
    return { x: node.x - node.width / 2, y: node.y - node.height / 2, width: node.width, height: node.height };
  });
  const edges = graph.edges.map((edge, number) => {
    const laid = g.edge({ v: String(edge.source), w: String(edge.target), name: String(number) });
    const points = (laid?.points ?? []).map((p: Point) => ({ x: p.x, y: p.y }));
    return { points, label: edge.label && laid && typeof laid.x === 'number' ? { x: laid.x, y: laid.y as number } : undefined };
  });
  const info = g.graph();
  return { width: Math.ceil(info.width ?? 0), height: Math.ceil(info.height ?? 0), nodes, edges };
}

const e = escapeHtml;
const n = (value: number): string => (Number.isFinite(value) ? String(Math.round(value * 10) / 10) : '0');

function tooltip(block: CfgBlock): string {
  const facts = [`${block.name}: line ${block.line + 1}, ${block.instructionCount} instructions`];
  if (block.loopDepth > 0) {
    facts.push(block.loopHeader ? `loop header, depth ${block.loopDepth}` : `in a loop, depth ${block.loopDepth}`);
  }
  facts.push(block.idom ? `immediate dominator ${block.idom}` : block.reachable ? 'entry' : 'unreachable');
  facts.push('click to go to the block');
  return facts.join('\n');
}

/**
 * The SVG of a laid-out graph. Presentation attributes and classes only: the panel's CSP allows no
 * inline style. Each block carries `data-action="reveal"` and its line for the delegated click.
 */
export function cfgSvg(graph: CfgGraph, layout: CfgLayout, metrics: Metrics = DEFAULT_METRICS): string {
  const parts = [
    `<svg class="cfg" xmlns="http://www.w3.org/2000/svg" width="${layout.width}" height="${layout.height}" viewBox="0 0 ${layout.width} ${layout.height}" role="img" aria-label="Control-flow graph of @${e(graph.function)}">`,
    '<defs>',
    '<marker id="cfg-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow" d="M0,0 L10,5 L0,10 z"/></marker>',
    '<marker id="cfg-arrow-back" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path class="arrow back" d="M0,0 L10,5 L0,10 z"/></marker>',
    '</defs>',
  ];
  graph.edges.forEach((edge, number) => {
    const route = layout.edges[number];
    if (!route || route.points.length < 2) {
      return;
    }
    const d = route.points.map((p, i) => `${i === 0 ? 'M' : 'L'}${n(p.x)},${n(p.y)}`).join(' ');
    const classes = ['edge', edge.kind, edge.back ? 'back' : ''].filter(Boolean).join(' ');
    parts.push(
      `<g class="${classes}" data-source="${edge.source}" data-target="${edge.target}">` +
        `<path d="${d}" marker-end="url(#${edge.back ? 'cfg-arrow-back' : 'cfg-arrow'})"/>`,
    );
    if (edge.label && route.label) {
      const width = edge.label.length * metrics.charWidth + 6;
      parts.push(
        `<rect class="edge-label-bg" x="${n(route.label.x - width / 2)}" y="${n(route.label.y - metrics.lineHeight / 2)}" width="${n(width)}" height="${metrics.lineHeight}" rx="3"/>` +
          `<text class="edge-label" x="${n(route.label.x)}" y="${n(route.label.y + metrics.lineHeight / 2 - 4)}" text-anchor="middle">${e(edge.label)}</text>`,
      );
    }
    parts.push('</g>');
  });
  for (const block of graph.blocks) {
    const box = layout.nodes[block.index];
    const classes = ['block', block.loopHeader ? 'loop-header' : '', block.loopDepth > 0 ? `loop depth-${Math.min(block.loopDepth, 3)}` : '', block.reachable ? '' : 'unreachable'];
    const x = box.x + metrics.padding;
    const baseline = (row: number): string => n(box.y + metrics.padding + (row + 1) * metrics.lineHeight - 4);
    parts.push(
      `<g class="${classes.filter(Boolean).join(' ')}" data-action="reveal" data-uri="${e(graph.uri)}" data-line="${block.line}" data-index="${block.index}" tabindex="0" role="button">`,
      `<title>${e(tooltip(block))}</title>`,
      `<rect x="${n(box.x)}" y="${n(box.y)}" width="${n(box.width)}" height="${n(box.height)}" rx="4"/>`,
      `<text class="name" x="${n(x)}" y="${baseline(0)}">${e(blockTitle(block))}</text>`,
      ...block.lines.map((line, row) => `<text class="inst${line.startsWith('⋯ ') ? ' more' : ''}" x="${n(x)}" y="${baseline(row + 1)}">${e(line)}</text>`),
      '</g>',
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
