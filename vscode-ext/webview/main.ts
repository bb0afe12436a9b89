/**
 * The panel's script, running inside the webview: render the state the extension posts, keep it
 * with setState so a hidden panel comes back at once, and post clicks back to the extension.
 */

import { renderPanel } from '../src/panel/render';
import type { PanelMessage, PanelState, StateMessage } from '../src/panel/state';

interface VsCodeApi {
  postMessage(message: PanelMessage): void;
  getState(): PanelState | undefined;
  setState(state: PanelState): void;
}

declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
const root = document.getElementById('root') as HTMLElement;

function render(state: PanelState): void {
  // Keep the reader's place: re-rendering replaces the DOM, not the scroll position.
  const scroll = window.scrollY;
  root.innerHTML = renderPanel(state);
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
    case 'dismiss':
      vscode.postMessage({ type: 'dismissError' });
      break;
  }
});

vscode.postMessage({ type: 'ready' });
