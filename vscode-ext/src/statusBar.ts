/** The status-bar item: the model backend and the LLVM version, from `irlens/status`. */

import * as vscode from 'vscode';
import type { StatusPayload } from './protocol';
import { statusView } from './status';

export class StatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('irlens.status', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'irlens';
    this.item.command = 'irlens.doctor';
    this.update(undefined);
    this.item.show();
  }

  update(status: StatusPayload | undefined): void {
    const view = statusView(status);
    this.item.text = view.text;
    this.item.tooltip = view.tooltip;
    this.item.backgroundColor =
      view.severity === 'error'
        ? new vscode.ThemeColor('statusBarItem.errorBackground')
        : view.severity === 'warning'
          ? new vscode.ThemeColor('statusBarItem.warningBackground')
          : undefined;
  }

  stopped(message: string): void {
    this.item.text = '$(error) irlens: not running';
    this.item.tooltip = message;
    this.item.backgroundColor = new vscode.ThemeColor('statusBarItem.errorBackground');
  }

  dispose(): void {
    this.item.dispose();
  }
}
