/**
 * The irlens extension: starts the language server (by default the one bundled in the
 * extension), shows its state in the status bar, and keeps the side panel in step with what the
 * user hovers and runs. activate() only wires the parts together: server.ts (the language
 * client), commands.ts (the commands), panel/controller.ts (the panel); every disposable goes
 * into context.subscriptions.
 */

import * as vscode from 'vscode';
import { Commands } from './commands';
import { previewFromServer, suggestFromServer } from './panel/adapt';
import { PanelController } from './panel/controller';
import { onInterpreterChange } from './python';
import { ServerController } from './server';
import { needsRestart } from './settings';
import { StatusBar } from './statusBar';

let server: ServerController | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('irlens', { log: true });
  const trace = vscode.window.createOutputChannel('irlens (LSP trace)');
  const statusBar = new StatusBar();
  // The server, the panel and the commands need each other: events go through these closures.
  let panel: PanelController | undefined;
  let commands: Commands | undefined;

  const controller = new ServerController(context, output, trace, {
    status: (status) => {
      statusBar.update(status);
      panel?.provider.dispatch({ type: 'status', status });
      commands?.statusChanged(status);
    },
    previewUpdated: (update) => panel?.provider.dispatch({ type: 'preview', preview: previewFromServer(update) }),
    suggestProgress: (progress) => panel?.provider.dispatch({ type: 'suggest', suggest: suggestFromServer(progress) }),
    hovered: (document, position, hover) => panel?.hovered(document, position, hover),
    executeCommand: (command, args, next) => (commands ? commands.run(command, args, next) : next(args)),
    stopped: (message) => statusBar.stopped(message),
  });
  server = controller;
  panel = new PanelController(context.extensionUri, controller);
  commands = new Commands(controller, panel, output);
  const restart = commands.restart.bind(commands);

  context.subscriptions.push(
    output,
    trace,
    statusBar,
    controller,
    ...panel.register(),
    ...commands.register(),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('irlens')) {
        return;
      }
      if (needsRestart((section) => event.affectsConfiguration(section))) {
        await restart();
      } else {
        await controller.sendSettings();
      }
    }),
  );

  await controller.start();
  commands.registerFallbacks();
  panel.trackCursor(vscode.window.activeTextEditor);
  // The bundled server runs on the Python extension's interpreter: follow the user's choice.
  const interpreterWatch = await onInterpreterChange(() => {
    if (controller.usesBundle) {
      void restart();
    }
  }, output);
  if (interpreterWatch) {
    context.subscriptions.push(interpreterWatch);
  }
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
