/** The side panel (a WebviewView): holds the panel state and posts it to the webview. */

import * as vscode from 'vscode';
import { makeNonce, panelShell } from './html';
import { type PanelAction, type PanelMessage, type PanelState, parsePanelMessage, reduce } from './state';

export class PanelProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  static readonly viewType = 'irlens.panel';

  private view: vscode.WebviewView | undefined;
  private state: PanelState = {};
  private readonly disposables: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly onMessage: (message: PanelMessage) => void,
  ) {}

  get current(): PanelState {
    return this.state;
  }

  get visible(): boolean {
    return this.view?.visible ?? false;
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    const out = vscode.Uri.joinPath(this.extensionUri, 'out');
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, localResourceRoots: [out, media] };
    view.webview.html = panelShell({
      cspSource: view.webview.cspSource,
      nonce: makeNonce(),
      scriptUri: view.webview.asWebviewUri(vscode.Uri.joinPath(out, 'webview.js')).toString(),
      styleUri: view.webview.asWebviewUri(vscode.Uri.joinPath(media, 'panel.css')).toString(),
    });
    this.disposables.push(
      view.webview.onDidReceiveMessage((data: unknown) => {
        const message = parsePanelMessage(data);
        if (!message) {
          return;
        }
        if (message.type === 'ready') {
          this.post();
        } else if (message.type === 'selectStep') {
          this.dispatch({ type: 'selectStep', index: message.index });
        } else if (message.type === 'dismissError') {
          this.dispatch({ type: 'dismissError' });
        } else if (message.type === 'closeCfg') {
          this.dispatch({ type: 'closeCfg' });
        } else {
          this.onMessage(message);
        }
      }),
      view.onDidChangeVisibility(() => this.post()),
      view.onDidDispose(() => {
        this.view = undefined;
      }),
    );
  }

  dispatch(action: PanelAction): void {
    this.state = reduce(this.state, action);
    this.post();
  }

  private post(): void {
    void this.view?.webview.postMessage({ type: 'state', state: this.state });
  }

  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${PanelProvider.viewType}.focus`);
  }

  dispose(): void {
    for (const disposable of this.disposables) {
      disposable.dispose();
    }
  }
}
