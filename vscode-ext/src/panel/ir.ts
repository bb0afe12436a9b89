/**
 * What is at the cursor in an `.ll` file, just enough for the panel to ask the server for the
 * pipeline steps (pure). The server parses for real (lsp_server/syntax/); this only picks the
 * pipeline string and the enclosing function name out of the text the user is looking at.
 */

export interface PipelineAt {
  pipeline: string;
  /** The pass under the cursor, when the cursor is on one name of the pipeline. */
  pass?: string;
}

const PIPELINE_FLAG = /(?:-passes=|--passes=|-p[= ]\s*)(?:'([^']*)'|"([^"]*)"|(\S+))/g;

/** The pipeline in an `opt -passes=...` / `opt -p ...` on this line, and the pass under `character`. */
export function pipelineAt(line: string, character: number): PipelineAt | undefined {
  let found: PipelineAt | undefined;
  for (const match of line.matchAll(PIPELINE_FLAG)) {
    const pipeline = match[1] ?? match[2] ?? match[3] ?? '';
    if (!pipeline) {
      continue;
    }
    const start = (match.index ?? 0) + match[0].length - pipeline.length - (match[3] === undefined ? 1 : 0);
    const end = start + pipeline.length;
    const here: PipelineAt = { pipeline };
    if (character >= start && character <= end) {
      here.pass = passAt(pipeline, character - start);
      return here;
    }
    found ??= here;
  }
  return found;
}

/** The leaf pass name at `offset` in a pipeline string: "instcombine" in "function(sroa,instcombine)". */
export function passAt(pipeline: string, offset: number): string | undefined {
  const isNameChar = (c: string) => /[A-Za-z0-9_.\-]/.test(c);
  let start = offset;
  while (start > 0 && isNameChar(pipeline[start - 1])) {
    start--;
  }
  let end = offset;
  while (end < pipeline.length && isNameChar(pipeline[end])) {
    end++;
  }
  if (start === end) {
    return undefined;
  }
  // A name followed by "(" is an adaptor such as function(...), not a pass.
  if (pipeline[end] === '(') {
    return undefined;
  }
  let name = pipeline.slice(start, end);
  if (pipeline[end] === '<') {
    const close = pipeline.indexOf('>', end);
    name = pipeline.slice(start, close < 0 ? pipeline.length : close + 1);
  }
  return name;
}

const DEFINE = /^\s*define\b[^@]*@("(?:[^"\\]|\\.)*"|[-\w$.]+)/;

/** The name of the function whose body contains `line` (0-based), without the `@`. */
export function functionAt(lines: string[], line: number): string | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const text = lines[i];
    const match = DEFINE.exec(text);
    if (match) {
      return match[1].replace(/^"(.*)"$/, '$1');
    }
    if (i < line && /^}/.test(text)) {
      return undefined;
    }
  }
  return undefined;
}
