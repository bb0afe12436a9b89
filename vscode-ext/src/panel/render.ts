/**
 * The panel's HTML for a state (pure: a string, unit-tested in node and rendered in Chromium).
 *
 * Every value from the server, the document or the model is escaped. Clicks are handled by one
 * delegated listener in the webview script, through `data-action` attributes, because the
 * Content-Security-Policy forbids inline handlers.
 */

import type { FunctionChange, LiftPayload, PipelineStep, PipelineStepsPayload, PreviewPayload, Size, SuggestPayload, Suggestion } from '../protocol';
import { statusParts } from '../status';
import { type DiffLine, diffLines, parseUnifiedDiff, trimContext } from './diff';
import { escapeHtml, renderMarkdown } from './markdown';
import type { PanelState } from './state';

export const BUILT_WITH = 'Built with LLM Compiler';

const e = escapeHtml;

function renderDiff(lines: DiffLine[]): string {
  if (lines.length === 0) {
    return '<p class="muted">No lines.</p>';
  }
  const body = lines
    .map((line) => {
      const mark = line.kind === 'add' ? '+' : line.kind === 'del' ? '-' : ' ';
      return `<span class="line ${line.kind}">${e(mark + line.text)}</span>`;
    })
    .join('');
  return `<pre class="code diff">${body}</pre>`;
}

function formatNumber(value: number | null | undefined): string {
  return typeof value === 'number' && Number.isFinite(value) ? String(value) : '–';
}

function delta(before: number | null | undefined, after: number | null | undefined): string {
  if (typeof before !== 'number' || typeof after !== 'number') {
    return '';
  }
  const change = after - before;
  if (change === 0) {
    return '<span class="delta same">±0</span>';
  }
  const percent = before !== 0 ? ` (${change > 0 ? '+' : ''}${((100 * change) / before).toFixed(1)}%)` : '';
  return `<span class="delta ${change < 0 ? 'better' : 'worse'}">${change > 0 ? '+' : ''}${change}${percent}</span>`;
}

function sizesTable(before: Size | null | undefined, after: Size | null | undefined): string {
  if (!before && !after) {
    return '';
  }
  const row = (label: string, key: keyof Size) =>
    `<tr><th>${label}</th><td>${formatNumber(before?.[key])}</td><td>${formatNumber(after?.[key])}</td>` +
    `<td>${delta(before?.[key], after?.[key])}</td></tr>`;
  return (
    '<table class="sizes"><thead><tr><th></th><th>before</th><th>after</th><th></th></tr></thead><tbody>' +
    row('instructions', 'instructions') +
    row('binary size (bytes)', 'bytes') +
    '</tbody></table>'
  );
}

const VERDICTS: Record<string, { label: string; tone: string }> = {
  exact: { label: 'exact match', tone: 'good' },
  match: { label: 'exact match', tone: 'good' },
  differs: { label: 'differs from opt', tone: 'warn' },
  pending: { label: 'prediction pending…', tone: 'muted' },
  failed: { label: 'prediction failed', tone: 'bad' },
  unverified: { label: 'unverified', tone: 'warn' },
  unusable: { label: 'unusable answer', tone: 'bad' },
  skipped: { label: 'model not asked', tone: 'muted' },
};

function renderPrediction(preview: PreviewPayload): string {
  const prediction = preview.prediction;
  if (!prediction) {
    return '';
  }
  const verdict = VERDICTS[prediction.verdict ?? ''] ?? { label: prediction.verdict ?? 'prediction', tone: 'muted' };
  const details: string[] = [];
  if (prediction.verdict === 'differs' && typeof prediction.differingLines === 'number') {
    details.push(`differs in ${prediction.differingLines} line${prediction.differingLines === 1 ? '' : 's'}`);
  }
  if (typeof prediction.sizeError === 'number') {
    details.push(`size prediction off by ${prediction.sizeError} bytes`);
  }
  if (prediction.predictedSize) {
    details.push(
      `predicted ${formatNumber(prediction.predictedSize.instructions)} instructions, ` +
        `${formatNumber(prediction.predictedSize.bytes)} bytes`,
    );
  }
  if (prediction.message) {
    details.push(prediction.message);
  }
  const first = prediction.firstDifference
    ? `<p class="muted">First difference:</p><pre class="code">${e(prediction.firstDifference)}</pre>`
    : '';
  const model = prediction.model ? ` <span class="muted">(${e(prediction.model)})</span>` : '';
  return (
    `<div class="prediction"><h3>Model prediction vs opt${model}</h3>` +
    `<p><span class="badge ${verdict.tone}" data-verdict="${e(prediction.verdict ?? '')}">${e(verdict.label)}</span> ` +
    `${e(details.join('; '))}</p>${first}</div>`
  );
}

function renderPreview(state: PanelState): string {
  const preview = state.preview;
  if (!preview) {
    return (
      '<section id="preview"><h2>Preview</h2><p class="muted">Hover a pass in a <code>RUN:</code> line, ' +
      'or a <code>define</code> line, to see what it does to the function here.</p></section>'
    );
  }
  const what = preview.pass ?? preview.pipeline ?? 'pipeline';
  const on = preview.function ? ` on <code>@${e(preview.function)}</code>` : '';
  const llvm = preview.llvmVersion ? ` <span class="muted">· LLVM ${e(preview.llvmVersion)}</span>` : '';
  const parts = [`<section id="preview"><h2>Preview: <code>${e(what)}</code>${on}${llvm}</h2>`];
  if (preview.message) {
    parts.push(`<p class="message">${e(preview.message)}</p>`);
  }
  for (const note of preview.notes ?? []) {
    parts.push(`<p class="muted">Note: ${e(note)}</p>`);
  }
  parts.push(sizesTable(preview.sizeBefore, preview.sizeAfter));
  let lines: DiffLine[] | undefined;
  if (preview.diff) {
    lines = parseUnifiedDiff(preview.diff);
  } else if (preview.before !== undefined && preview.after !== undefined) {
    lines = trimContext(diffLines(preview.before, preview.after));
  }
  const changes = (preview.functions ?? []).filter((change) => change.diff);
  if (preview.changed === false) {
    parts.push('<p class="nochange">No change: this pass leaves the function as it is.</p>');
  } else if (lines) {
    parts.push(renderDiff(lines));
  } else if (changes.length) {
    // The function the hover was about first; the others the pass changed, folded.
    const focus = changes.filter((change) => change.name === preview.function);
    const others = changes.filter((change) => change.name !== preview.function);
    const section = (change: FunctionChange, heading: boolean): string => {
      const counts =
        typeof change.instructionsBefore === 'number' && typeof change.instructionsAfter === 'number'
          ? ` <span class="muted">${change.instructionsBefore} → ${change.instructionsAfter} instructions</span>`
          : '';
      const status = change.status && change.status !== 'changed' ? ` <span class="muted">(${e(change.status)})</span>` : '';
      const title = heading ? `<h3 class="function"><code>@${e(change.name ?? '?')}</code>${status}${counts}</h3>` : '';
      return title + renderDiff(parseUnifiedDiff(change.diff ?? ''));
    };
    for (const change of focus) {
      parts.push(section(change, false));
    }
    if (focus.length === 0 && preview.function) {
      parts.push(`<p class="nochange">No change to <code>@${e(preview.function)}</code>.</p>`);
    }
    if (others.length) {
      const list = others.map((change) => section(change, true)).join('');
      const names = others.map((change) => `@${change.name ?? '?'}`).join(', ');
      parts.push(
        focus.length || preview.function
          ? `<details class="others"><summary>Also changed: ${e(names)}</summary>${list}</details>`
          : list,
      );
    }
  } else if (preview.markdown) {
    parts.push(`<div class="markdown">${renderMarkdown(preview.markdown)}</div>`);
  }
  parts.push(renderPrediction(preview));
  parts.push('</section>');
  return parts.join('');
}

function stepName(step: PipelineStep, index: number): string {
  return step.pass ?? step.name ?? `step ${index + 1}`;
}

/** A step's tooltip: what it ran on and whether it changed the IR. */
export function stepTitle(step: PipelineStep): string {
  const on = step.on ? `on ${step.on}: ` : '';
  if (step.unreported) {
    return `${on}changed the IR after opt's last dump (it printed none for this change; the IR is what opt -S prints)`;
  }
  return `${on}${step.changed ? 'changed the IR' : 'no change'}`;
}

/** How the steps list is narrowed: the webview's own choice, kept while the panel lives. */
export interface StepView {
  /** Text a pass's name (or the function or loop it ran on) must contain, case-insensitive. */
  filter: string;
  /** Leave out the passes that changed nothing. */
  hideUnchanged: boolean;
}

export const ALL_STEPS: StepView = { filter: '', hideUnchanged: false };

/** Whether step `index` is listed under `view`. */
export function stepShown(step: PipelineStep, index: number, view: StepView): boolean {
  if (view.hideUnchanged && !step.changed) {
    return false;
  }
  const wanted = view.filter.trim().toLowerCase();
  if (!wanted) {
    return true;
  }
  return stepName(step, index).toLowerCase().includes(wanted) || (step.on ?? '').toLowerCase().includes(wanted);
}

/** "12 of 40 passes shown", or "" when nothing is left out. */
export function shownSummary(list: readonly PipelineStep[], view: StepView): string {
  const shown = list.filter((step, index) => stepShown(step, index, view)).length;
  return shown === list.length ? '' : `${shown} of ${list.length} passes shown`;
}

/** The IR after step `index`: a pass that changed nothing leaves the IR of the last one that did. */
export function irAfter(steps: PipelineStepsPayload, index: number): string | undefined {
  const list = steps.steps ?? [];
  for (let i = Math.min(index, list.length - 1); i >= 0; i--) {
    const ir = list[i].ir ?? list[i].after;
    if (typeof ir === 'string') {
      return ir;
    }
  }
  return steps.initial ?? steps.input ?? steps.before ?? undefined;
}

function renderSteps(state: PanelState, view: StepView): string {
  const steps = state.steps;
  const parts = ['<section id="steps"><h2>Pipeline steps'];
  if (steps?.pipeline) {
    parts.push(`: <code>${e(steps.pipeline)}</code>`);
  }
  if (steps?.function) {
    parts.push(` <span class="muted">on @${e(steps.function)}</span>`);
  }
  parts.push('</h2>');
  if (state.stepsLoading) {
    parts.push('<p class="muted">Running opt…</p>');
  }
  if (!steps) {
    parts.push('<p class="muted">The passes of the hovered pipeline appear here, the ones that changed the IR highlighted.</p></section>');
    return parts.join('');
  }
  if (steps.error || steps.message) {
    parts.push(`<p class="message">${e(steps.error ?? steps.message ?? '')}</p>`);
  }
  const list = steps.steps ?? [];
  const changedCount = list.filter((step) => step.changed).length;
  if (list.length) {
    const truncated = steps.truncated ? ' (cut: the pipeline ran more passes than shown)' : '';
    parts.push(
      `<p class="muted">${list.length} passes, ${changedCount} changed the IR${truncated}. Click one to see the IR after it.</p>`,
    );
  }
  if (list.length) {
    parts.push(
      '<div class="step-tools">' +
        `<input id="step-filter" type="search" placeholder="Filter passes" aria-label="Filter passes by name" value="${e(view.filter)}">` +
        `<label><input id="hide-unchanged" type="checkbox"${view.hideUnchanged ? ' checked' : ''}> hide passes that changed nothing</label>` +
        `<span id="steps-shown" class="muted">${e(shownSummary(list, view))}</span></div>`,
    );
  }
  parts.push('<ol class="steps">');
  list.forEach((step, index) => {
    const classes = ['step', step.changed ? 'changed' : 'unchanged', index === state.selectedStep ? 'selected' : '']
      .filter(Boolean)
      .join(' ');
    parts.push(
      `<li${stepShown(step, index, view) ? '' : ' hidden'}><button class="${classes}" data-action="select-step" data-index="${index}" ` +
        `aria-pressed="${index === state.selectedStep}" title="${e(stepTitle(step))}">` +
        `${e(stepName(step, index))}</button></li>`,
    );
  });
  parts.push('</ol>');
  const selected = state.selectedStep !== undefined ? list[state.selectedStep] : undefined;
  if (selected && state.selectedStep !== undefined) {
    const after = irAfter(steps, state.selectedStep) ?? '';
    const previous = irAfter(steps, state.selectedStep - 1);
    parts.push(`<div class="step-detail"><h3>After <code>${e(stepName(selected, state.selectedStep))}</code></h3>`);
    if (selected.diff) {
      parts.push(renderDiff(parseUnifiedDiff(selected.diff)));
    } else if (previous !== undefined && selected.changed !== false) {
      parts.push(renderDiff(trimContext(diffLines(previous, after))));
    } else if (selected.changed === false) {
      parts.push('<p class="nochange">No change.</p>');
    }
    parts.push(`<details><summary>IR after this pass</summary><pre class="code ir">${e(after)}</pre></details></div>`);
  }
  parts.push('</section>');
  return parts.join('');
}

function versusOz(candidate: Suggestion, oz: number | null | undefined): string {
  const percent =
    typeof candidate.vsOz === 'number'
      ? candidate.vsOz
      : typeof candidate.bytes === 'number' && typeof oz === 'number' && oz > 0
        ? (100 * (candidate.bytes - oz)) / oz
        : undefined;
  if (percent === undefined) {
    return '–';
  }
  return `${percent > 0 ? '+' : percent < 0 ? '−' : '±'}${Math.abs(percent).toFixed(1)}%`;
}

function renderSuggest(state: PanelState): string {
  const suggest: SuggestPayload | undefined = state.suggest;
  const running = state.suggestRunning
    ? ` <span class="muted">searching…${typeof suggest?.percentage === 'number' ? ` ${suggest.percentage}%` : ''}</span>`
    : '';
  const on = suggest?.function ? ` <span class="muted">for @${e(suggest.function)}</span>` : '';
  const parts = [
    `<section id="suggest"><h2>Suggested passes${on}${running}</h2>`,
    '<p><button class="action" data-action="run" data-command="suggestPasses">Suggest passes for size</button></p>',
  ];
  if (!suggest) {
    parts.push('<p class="muted">Pass lists proven smaller than <code>-Oz</code> by your local opt and llc.</p></section>');
    return parts.join('');
  }
  if (suggest.headline) {
    const tone = suggest.outcome === 'improved' ? 'good' : suggest.outcome === 'failed' ? 'bad' : '';
    parts.push(`<p class="headline ${tone}">${renderInlineCode(suggest.headline)}</p>`);
  } else if (suggest.message) {
    parts.push(`<p class="muted">${e(suggest.message)}</p>`);
  }
  if (suggest.error && suggest.error !== suggest.headline) {
    parts.push(`<p class="message">${e(suggest.error)}</p>`);
  }
  const rows: Suggestion[] = [];
  if (suggest.best?.pipeline) {
    rows.push(suggest.best);
  }
  for (const candidate of suggest.candidates ?? []) {
    rows.push(candidate);
  }
  if (typeof suggest.ozBytes === 'number') {
    rows.push({ pipeline: 'default<Oz>', bytes: suggest.ozBytes, vsOz: 0, source: '-Oz', verified: true });
  }
  if (rows.length) {
    parts.push('<table class="suggestions"><thead><tr><th>pipeline</th><th>bytes</th><th>vs -Oz</th><th>from</th></tr></thead><tbody>');
    rows.forEach((row, index) => {
      const from = [row.source ?? '', row.status && row.status !== 'valid' ? row.status : ''].filter(Boolean).join(', ');
      const title = row.message ? ` title="${e(row.message)}"` : '';
      parts.push(
        `<tr class="${index === 0 && suggest.best ? 'best' : ''}"${title}><td><code>${e(row.pipeline ?? '')}</code></td>` +
          `<td>${formatNumber(row.bytes)}</td><td>${e(versusOz(row, suggest.ozBytes))}</td><td>${e(from)}</td></tr>`,
      );
    });
    parts.push('</tbody></table>');
  }
  const meta = [
    typeof suggest.compilations === 'number' ? `${suggest.compilations} candidates measured` : '',
    suggest.differential ? `differential check: ${suggest.differential}` : '',
    suggest.modelError ? `model: ${suggest.modelError}` : '',
  ].filter(Boolean);
  if (meta.length) {
    parts.push(`<p class="muted">${e(meta.join(' · '))}</p>`);
  }
  for (const note of suggest.notes ?? []) {
    parts.push(`<p class="muted">Note: ${e(note)}</p>`);
  }
  parts.push('</section>');
  return parts.join('');
}

/** Escaped text with `code` spans, for the server's one-line headlines. */
function renderInlineCode(text: string): string {
  return text
    .split(/(`[^`]*`)/)
    .map((part) => (part.startsWith('`') && part.endsWith('`') && part.length > 1 ? `<code>${e(part.slice(1, -1))}</code>` : e(part)))
    .join('');
}

const LIFT_TONES: Record<string, string> = { exact: 'good', similar: 'warn', failed: 'bad' };

function renderLift(state: PanelState): string {
  const lift: LiftPayload | undefined = state.lift;
  const isAsm = state.context?.languageId === 'asm' || /\.s$/i.test(state.context?.uri ?? '');
  if (!lift && !isAsm && !state.liftRunning) {
    return '';
  }
  const running = state.liftRunning ? ' <span class="muted">lifting…</span>' : '';
  const parts = [`<section id="lift"><h2>Lift to IR${running}</h2>`];
  if (isAsm) {
    parts.push('<p><button class="action" data-action="run" data-command="liftToIR">Lift this file to LLVM IR</button></p>');
  }
  if (lift) {
    if (lift.error || lift.message) {
      parts.push(`<p class="message">${e(lift.error ?? lift.message ?? '')}</p>`);
    }
    const meta = [
      lift.source ?? '',
      lift.triple ? `target ${lift.triple}${lift.tripleSource ? ` (${lift.tripleSource})` : ''}` : '',
      lift.model ? `model ${lift.model}` : '',
      lift.llvmVersion ? `LLVM ${lift.llvmVersion}` : '',
    ].filter(Boolean);
    if (meta.length) {
      parts.push(`<p class="muted">${e(meta.join(' · '))}</p>`);
    }
    const functions = lift.functions ?? [];
    if (functions.length) {
      parts.push('<table class="lift"><thead><tr><th>function</th><th>round trip</th><th>detail</th></tr></thead><tbody>');
      for (const fn of functions) {
        const status = fn.status ?? '';
        const detail = [
          typeof fn.score === 'number' ? `BLEU ${fn.score.toFixed(3)}` : '',
          fn.optLevel ? `llc -${fn.optLevel.replace(/^-/, '')}` : '',
          fn.detail ?? '',
        ]
          .filter(Boolean)
          .join(', ');
        parts.push(
          `<tr><td><code>${e(fn.name ?? '?')}</code></td>` +
            `<td><span class="badge ${LIFT_TONES[status] ?? 'muted'}">${e(status || '?')}</span></td><td>${e(detail)}</td></tr>`,
        );
      }
      parts.push('</tbody></table>');
    }
    if (lift.joinProblem) {
      parts.push(`<p class="message">${e(lift.joinProblem)}</p>`);
    }
    for (const note of lift.notes ?? []) {
      parts.push(`<p class="muted">Note: ${e(note)}</p>`);
    }
    if (lift.ok !== false && lift.uri && /\.ll$/.test(lift.uri)) {
      parts.push(`<p><button class="link" data-action="open" data-uri="${e(lift.uri)}">Open ${e(lift.uri.split('/').pop() ?? lift.uri)}</button></p>`);
    }
  }
  parts.push('</section>');
  return parts.join('');
}

/** The CFG section: its heading, summary and legend, and the host the webview draws the graph into. */
export function renderCfg(state: PanelState): string {
  const cfg = state.cfg;
  if (!cfg) {
    return '';
  }
  const graph = cfg.graph;
  const parts = ['<section id="cfg">'];
  parts.push(
    `<h2>Control-flow graph${graph?.function ? ` of @${e(graph.function)}` : ''}` +
      ' <button class="link" data-action="close-cfg" title="Close the CFG view">close</button></h2>',
  );
  if (cfg.loading) {
    parts.push('<p class="muted" id="cfg-loading">Computing the control-flow graph…</p>');
  }
  if (cfg.error) {
    parts.push(`<p class="message">${e(cfg.error)}</p>`);
    if (cfg.functions?.length) {
      parts.push(`<p class="muted">Functions here: ${cfg.functions.slice(0, 30).map((f) => `<code>@${e(f)}</code>`).join(' ')}</p>`);
    }
  } else if (graph) {
    const loops = graph.loops.length;
    const back = graph.edges.filter((edge) => edge.back).length;
    parts.push(
      `<p class="muted cfg-summary">${graph.blocks.length} blocks · ${graph.edges.length} edges · ` +
        `${loops} loop${loops === 1 ? '' : 's'}${back ? ` (${back} back edge${back === 1 ? '' : 's'}, dashed)` : ''}. Click a block to go to it. ` +
        '<button class="link" data-action="cfg-fit" id="cfg-fit" title="Fit the graph to the panel\'s width, or back to full size">fit width</button></p>',
      '<div class="cfg-graph" id="cfg-graph"></div>',
    );
  } else if (!cfg.loading) {
    parts.push('<p class="muted">Put the cursor in a function of an LLVM IR file.</p>');
  }
  parts.push('</section>');
  return parts.join('');
}

function renderHeader(state: PanelState): string {
  const parts = ['<header>'];
  if (state.status) {
    const { model, llvm, severity } = statusParts(state.status);
    parts.push(`<span class="status ${severity}" id="status">${e(model)} · ${e(llvm)}</span>`);
  } else {
    parts.push('<span class="status muted" id="status">starting irlens…</span>');
  }
  if (state.context) {
    const file = state.context.fileName ?? state.context.uri.split('/').pop() ?? state.context.uri;
    const fn = state.context.function ? ` · @${state.context.function}` : '';
    parts.push(`<span class="context" id="context">${e(file + fn)}</span>`);
  }
  parts.push('</header>');
  if (state.error) {
    parts.push(
      `<div class="error" role="alert">${e(state.error)} ` +
        '<button class="link" data-action="dismiss" title="Dismiss">dismiss</button></div>',
    );
  }
  return parts.join('');
}

/** The panel body for a state. */
export function renderPanel(state: PanelState, view: StepView = ALL_STEPS): string {
  return [
    renderHeader(state),
    renderCfg(state),
    renderPreview(state),
    renderSteps(state, view),
    renderSuggest(state),
    renderLift(state),
    `<footer>${BUILT_WITH}. Every model answer is checked against your local LLVM.</footer>`,
  ].join('\n');
}
