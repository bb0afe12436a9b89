/**
 * Line diffs for the panel (pure): jsdiff's Myers diff (`diff` on npm, bundled into the webview
 * script), and the server's unified diffs read into the same lines.
 */

import { diffArrays } from 'diff';

export type DiffKind = 'same' | 'add' | 'del';

export interface DiffLine {
  kind: DiffKind;
  text: string;
}

/**
 * The diff gives up after this long (milliseconds) on texts that differ almost everywhere, and
 * lists both sides instead; Myers' diff costs (lines x edits), so a few scattered edits in a long
 * function are still fast.
 */
export const DIFF_TIMEOUT_MS = 2000;

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

/** The lines of `before` and `after` as kept, deleted and added lines, in order. */
export function diffLines(before: string, after: string, timeoutMs = DIFF_TIMEOUT_MS): DiffLine[] {
  const a = splitLines(before);
  const b = splitLines(after);
  const changes = diffArrays(a, b, { timeout: timeoutMs });
  if (!changes) {
    return [...a.map((text) => ({ kind: 'del' as const, text })), ...b.map((text) => ({ kind: 'add' as const, text }))];
  }
  const out: DiffLine[] = [];
  for (const change of changes) {
    const kind: DiffKind = change.added ? 'add' : change.removed ? 'del' : 'same';
    for (const text of change.value) {
      out.push({ kind, text });
    }
  }
  return out;
}

/** Lines of a unified diff (`+`, `-`, ` `, `@@`) as panel diff lines; headers are dropped. */
export function parseUnifiedDiff(diff: string): DiffLine[] {
  const out: DiffLine[] = [];
  for (const line of splitLines(diff)) {
    if (line.startsWith('+++') || line.startsWith('---')) {
      continue;
    }
    if (line.startsWith('+')) {
      out.push({ kind: 'add', text: line.slice(1) });
    } else if (line.startsWith('-')) {
      out.push({ kind: 'del', text: line.slice(1) });
    } else if (line.startsWith('@@')) {
      out.push({ kind: 'same', text: '…' });
    } else {
      out.push({ kind: 'same', text: line.startsWith(' ') ? line.slice(1) : line });
    }
  }
  return out;
}

/** Keep `context` unchanged lines around each change; longer unchanged runs become one "…" line. */
export function trimContext(lines: DiffLine[], context = 3): DiffLine[] {
  const keep = new Array<boolean>(lines.length).fill(false);
  lines.forEach((line, index) => {
    if (line.kind !== 'same') {
      for (let k = Math.max(0, index - context); k <= Math.min(lines.length - 1, index + context); k++) {
        keep[k] = true;
      }
    }
  });
  const out: DiffLine[] = [];
  let skipped = false;
  lines.forEach((line, index) => {
    if (keep[index]) {
      out.push(line);
      skipped = false;
    } else if (!skipped) {
      out.push({ kind: 'same', text: '…' });
      skipped = true;
    }
  });
  return out;
}

export function countChanges(lines: DiffLine[]): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of lines) {
    if (line.kind === 'add') {
      added++;
    } else if (line.kind === 'del') {
      removed++;
    }
  }
  return { added, removed };
}
