/**
 * `irlens/cfg`'s answer adapted for drawing (pure, unit-tested): blocks with the lines they show
 * and their loop role, edges with readable labels, malformed parts dropped. The extension host
 * uses it; the layout and the SVG are in cfg.ts, which only the webview script bundles.
 */

import type { CfgPayload } from '../protocol';

/** Instructions shown in a block; a longer block shows its first ones, a marker and its terminator. */
export const MAX_SHOWN = 10;
/** Characters shown of one instruction; the full text is in the block's tooltip. */
export const MAX_COLUMNS = 60;

export interface CfgBlock {
  index: number;
  name: string;
  /** 0-based document line a click jumps to. */
  line: number;
  /** 0-based last line of the block. */
  endLine: number;
  /** The instructions as drawn: cut to {@link MAX_SHOWN} lines of {@link MAX_COLUMNS} characters. */
  lines: string[];
  instructionCount: number;
  loopDepth: number;
  loopHeader: boolean;
  reachable: boolean;
  idom: string | null;
}

export interface CfgEdge {
  source: number;
  target: number;
  /** What is drawn on the edge: `true`, `false`, `case 3`, `default`, `unwind`, ... or empty. */
  label: string;
  kind: 'true' | 'false' | 'case' | 'other';
  /** The edge closes a loop (its target dominates its source). */
  back: boolean;
}

export interface CfgGraph {
  uri: string;
  function: string;
  blocks: CfgBlock[];
  edges: CfgEdge[];
  loops: { header: number; depth: number; blocks: number[] }[];
}

/** What the panel shows in its CFG section. */
export interface CfgView {
  graph?: CfgGraph;
  error?: string;
  /** The functions the document defines, when the cursor was in none. */
  functions?: string[];
  loading?: boolean;
}

function cut(text: string): string {
  return text.length > MAX_COLUMNS ? `${text.slice(0, MAX_COLUMNS - 1)}…` : text;
}

/** The lines a block draws: all of a short block; of a long one the first, a count, and the terminator. */
export function shownLines(instructions: string[]): string[] {
  if (instructions.length <= MAX_SHOWN) {
    return instructions.map(cut);
  }
  const head = instructions.slice(0, MAX_SHOWN - 2).map(cut);
  const hidden = instructions.length - (MAX_SHOWN - 1);
  return [...head, `⋯ ${hidden} more`, cut(instructions[instructions.length - 1])];
}

/** `T`/`F` of a `br` read as true/false, a switch's case values as `case N`; the rest as the server says. */
export function edgeLabel(label: string | undefined): Pick<CfgEdge, 'label' | 'kind'> {
  const raw = (label ?? '').trim();
  if (raw === 'T') {
    return { label: 'true', kind: 'true' };
  }
  if (raw === 'F') {
    return { label: 'false', kind: 'false' };
  }
  if (/^-?\d+$/.test(raw)) {
    return { label: `case ${raw}`, kind: 'case' };
  }
  return { label: raw, kind: raw === 'default' ? 'case' : 'other' };
}

const isIndex = (value: unknown, count: number): value is number => Number.isInteger(value) && (value as number) >= 0 && (value as number) < count;

/** `irlens/cfg`'s answer as the panel's view: a graph, or the server's message; malformed parts are dropped. */
export function cfgFromServer(raw: CfgPayload | null | undefined, uri = ''): CfgView {
  if (!raw || typeof raw !== 'object') {
    return { error: 'The server sent no control-flow graph.' };
  }
  if (typeof raw.error === 'string') {
    const functions = Array.isArray(raw.functions) ? raw.functions.filter((f) => typeof f === 'string') : undefined;
    return { error: raw.error, functions };
  }
  const blocks = (Array.isArray(raw.blocks) ? raw.blocks : []).map((block, index): CfgBlock => {
    const instructions = Array.isArray(block?.instructions) ? block.instructions.filter((i) => typeof i === 'string') : [];
    return {
      index,
      name: typeof block?.name === 'string' ? block.name : `#${index}`,
      line: Number.isInteger(block?.line) ? (block.line as number) : 0,
      endLine: Number.isInteger(block?.end_line) ? (block.end_line as number) : Number.isInteger(block?.line) ? (block.line as number) : 0,
      lines: shownLines(instructions),
      instructionCount: instructions.length,
      loopDepth: Number.isInteger(block?.loop_depth) ? (block.loop_depth as number) : 0,
      loopHeader: block?.loop_header === true,
      reachable: block?.reachable !== false,
      idom: typeof block?.idom === 'string' ? block.idom : null,
    };
  });
  const count = blocks.length;
  const edges = (Array.isArray(raw.edges) ? raw.edges : [])
    .filter((edge) => isIndex(edge?.source, count) && isIndex(edge?.target, count))
    .map((edge): CfgEdge => ({ source: edge.source as number, target: edge.target as number, ...edgeLabel(edge.label), back: edge.back === true }));
  const loops = (Array.isArray(raw.loops) ? raw.loops : [])
    .filter((loop) => isIndex(loop?.header, count))
    .map((loop) => ({
      header: loop.header as number,
      depth: Number.isInteger(loop.depth) ? (loop.depth as number) : 1,
      blocks: (Array.isArray(loop.blocks) ? loop.blocks : []).filter((b) => isIndex(b, count)),
    }));
  return { graph: { uri: typeof raw.uri === 'string' ? raw.uri : uri, function: typeof raw.function === 'string' ? raw.function : '', blocks, edges, loops } };
}


/** The lines the graph's function spans (its first block's line to its last block's end): the
 * cursor moving outside them is in another function. */
export function cfgSpan(graph: CfgGraph | undefined): { first: number; last: number } | undefined {
  if (!graph || graph.blocks.length === 0) {
    return undefined;
  }
  return {
    first: Math.min(...graph.blocks.map((block) => block.line)),
    last: Math.max(...graph.blocks.map((block) => block.endLine)),
  };
}
