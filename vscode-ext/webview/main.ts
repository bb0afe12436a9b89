/**
 * The panel's script, running inside the webview: render the state the extension posts, keep it
 * with setState so a hidden panel comes back at once, and post clicks back to the extension.
 */

import { cfgSvg, DEFAULT_METRICS, layoutCfg, type Metrics } from '../src/panel/cfg';
import { ALL_STEPS, renderPanel, shownSummary, stepShown, type StepView } from '../src/panel/render';
import type { PanelMessage, PanelState, StateMessage } from '../src/panel/state';

interface VsCodeApi {
  postMessage(message: PanelMessage): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

/** The editor font's character width and line height, measured: the layout sizes blocks from them. */
function measure(host: HTMLElement): Metrics {
  const probe = document.createElement('span');
  probe.className = 'cfg-measure';
  probe.textContent = 'M'.repeat(40);
  host.appendChild(probe);
  const box = probe.getBoundingClientRect();
  probe.remove();
  return box.width > 0 ? { ...DEFAULT_METRICS, charWidth: box.width / 40, lineHeight: Math.max(14, Math.ceil(box.height)) } : DEFAULT_METRICS;
}

// Whether the graph is shrunk to the panel's width (an overview) or drawn at full size; the
// webview's own choice, kept while the panel lives.
let fitWidth = false;

// The steps list's filter and "hide unchanged": the webview's own, kept while the panel lives.
let stepView: StepView = { ...ALL_STEPS };

/** Narrow the steps list in place (no re-render: typing in the filter keeps its focus). */
function applyStepView(state: PanelState | undefined): void {
  const list = state?.steps?.steps ?? [];
  root.querySelectorAll<HTMLButtonElement>('button.step[data-index]').forEach((button) => {
    const index = Number(button.dataset.index);
    const item = button.closest('li');
    if (item && list[index]) {
      item.hidden = !stepShown(list[index], index, stepView);
    }
  });
  const summary = root.querySelector('#steps-shown');
  if (summary) {
    summary.textContent = shownSummary(list, stepView);
  }
}

root.addEventListener('input', (event) => {
  const target = event.target as HTMLInputElement;
  if (target.id === 'step-filter') {
    stepView = { ...stepView, filter: target.value };
  } else if (target.id === 'hide-unchanged') {
    stepView = { ...stepView, hideUnchanged: target.checked };
  } else {
    return;
  }
  applyStepView(vscode.getState());
});

// The layout of the graph drawn last: a state change elsewhere in the panel does not lay it out again.
let drawn: { key: string; svg: string } | undefined;

/** Lays out the CFG (dagre, bundled in this script) and draws it into its host. */
function drawCfg(state: PanelState): void {
  const host = root.querySelector<HTMLElement>('#cfg-graph');
  const graph = state.cfg?.graph;
  if (!host || !graph) {
    return;
  }
  const metrics = measure(host);
  const key = JSON.stringify([graph, metrics]);
  if (drawn?.key !== key) {
    drawn = { key, svg: cfgSvg(graph, layoutCfg(graph, metrics), metrics) };
  }
  host.innerHTML = drawn.svg;
  const svg = host.querySelector('svg');
  if (svg && fitWidth) {
    // The viewBox keeps the aspect ratio: the height follows the width.
    svg.setAttribute('width', '100%');
    svg.removeAttribute('height');
  }
  host.classList.toggle('fit', fitWidth);
  const toggle = root.querySelector('#cfg-fit');
  if (toggle) {
    toggle.textContent = fitWidth ? 'full size' : 'fit width';
  }
}

function render(state: PanelState): void {
  // Keep the reader's place: re-rendering replaces the DOM, not the scroll position.
  const scroll = window.scrollY;
  const graphScroll = root.querySelector('#cfg-graph');
  const [left, top] = graphScroll ? [graphScroll.scrollLeft, graphScroll.scrollTop] : [0, 0];
  const focused = document.activeElement?.id === 'step-filter';
  root.innerHTML = renderPanel(state, stepView);
  if (focused) {
    const input = root.querySelector<HTMLInputElement>('#step-filter');
    input?.focus();
    input?.setSelectionRange(input.value.length, input.value.length);
  }
  drawCfg(state);
  root.querySelector('#cfg-graph')?.scrollTo(left, top);
  window.scrollTo(0, scroll);
}

const saved = vscode.getState();
if (saved) {
  render(saved);
}

window.addEventListener('message', (event: MessageEvent<StateMessage>) => {
  const message = event.data;
  if (message?.type === 'state' && message.state) {
    vscode.setState(message.state);
    render(message.state);
  }
});

root.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement).closest<HTMLElement>('[data-action]');
  if (!target) {
    return;
  }
  switch (target.dataset.action) {
    case 'select-step':
      vscode.postMessage({ type: 'selectStep', index: Number(target.dataset.index) });
      break;
    case 'run':
      vscode.postMessage({ type: 'run', command: target.dataset.command as 'suggestPasses' | 'liftToIR' });
      break;
    case 'open':
      vscode.postMessage({ type: 'open', uri: target.dataset.uri ?? '' });
      break;
    case 'reveal':
      vscode.postMessage({ type: 'reveal', uri: target.dataset.uri ?? '', line: Number(target.dataset.line) });
      break;
    case 'cfg-fit': {
      fitWidth = !fitWidth;
      const current = vscode.getState();
      if (current) {
        drawCfg(current);
      }
      break;
    }
    case 'close-cfg':
      vscode.postMessage({ type: 'closeCfg' });
      break;
    case 'dismiss':
      vscode.postMessage({ type: 'dismissError' });
      break;
  }
});

vscode.postMessage({ type: 'ready' });

// A block is a button: Enter or Space on a focused block jumps like a click.
root.addEventListener('keydown', (event) => {
  const target = (event.target as Element).closest<SVGElement>('[data-action="reveal"]');
  if (target && (event.key === 'Enter' || event.key === ' ')) {
    event.preventDefault();
    vscode.postMessage({ type: 'reveal', uri: target.dataset.uri ?? '', line: Number(target.dataset.line) });
  }
});
