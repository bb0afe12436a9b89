/**
 * The irlens extension: starts `irlens serve`, shows its state in the status bar, and keeps the
 * side panel in step with what the user hovers and runs. activate() only wires things together;
 * every disposable goes into context.subscriptions.
 */

import * as vscode from 'vscode';
import { CommandUnavailable, commandArguments, type EditorSnapshot, isAssembly, isIr } from './commandArgs';
import { type DoctorReport, doctorSummary, doctorText } from './doctor';
import { previewFromServer, suggestFromServer } from './panel/adapt';
import { functionAt, pipelineAt } from './panel/ir';
import { PanelProvider } from './panel/provider';
import type { PanelMessage } from './panel/state';
import {
  EXTENSION_COMMANDS,
  type LiftPayload,
  PIPELINE_STEPS_REQUEST,
  type PipelineStepsPayload,
  SERVER_COMMANDS,
} from './protocol';
import { ServerController } from './server';
import { needsRestart } from './settings';
import { StatusBar } from './statusBar';

let controller: ServerController | undefined;

function snapshot(editor: vscode.TextEditor | undefined): EditorSnapshot | undefined {
  if (!editor) {
    return undefined;
  }
  const document = editor.document;
  const selection = editor.selection;
  return {
    uri: document.uri.toString(),
    languageId: document.languageId,
    selection: selection.isEmpty
      ? undefined
      : {
          start: { line: selection.start.line, character: selection.start.character },
          end: { line: selection.end.line, character: selection.end.character },
        },
    function: isIr({ uri: document.uri.toString(), languageId: document.languageId })
      ? functionAt(document.getText().split(/\r?\n/), selection.active.line)
      : undefined,
  };
}

function hoverMarkdown(hover: vscode.Hover | null | undefined): string | undefined {
  if (!hover) {
    return undefined;
  }
  const parts = hover.contents.map((content) => (typeof content === 'string' ? content : content.value));
  const text = parts.join('\n\n').trim();
  return text || undefined;
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('irlens', { log: true });
  const trace = vscode.window.createOutputChannel('irlens (LSP trace)');
  const statusBar = new StatusBar();
  const fallbacks: vscode.Disposable[] = [];
  let stepsRequest = 0;

  const panel = new PanelProvider(context.extensionUri, (message: PanelMessage) => void onPanelMessage(message));

  /** Ask the server for the pipeline steps of the function at the cursor and the pipeline hovered last. */
  async function refreshSteps(): Promise<void> {
    const editor = vscode.window.activeTextEditor;
    const state = panel.current;
    if (!editor || !isIr({ uri: editor.document.uri.toString(), languageId: editor.document.languageId })) {
      return;
    }
    const uri = editor.document.uri.toString();
    const params: Record<string, unknown> = { uri };
    const fn = state.context?.uri === uri ? state.context.function : snapshot(editor)?.function;
    if (fn) {
      params.function = fn;
    }
    // The server finds the pipeline at the last hover (a RUN line, a -passes= string, or the
    // default pipeline on a define line); the client's guess is only a fallback.
    if (state.context?.uri === uri && state.context.position) {
      params.position = state.context.position;
    } else if (state.context?.uri === uri && state.context.pipeline) {
      params.pipeline = state.context.pipeline;
    } else {
      params.position = { line: editor.selection.active.line, character: editor.selection.active.character };
    }
    const ticket = ++stepsRequest;
    panel.dispatch({ type: 'stepsLoading' });
    try {
      const steps = await controller?.request<PipelineStepsPayload>(PIPELINE_STEPS_REQUEST, params);
      if (ticket === stepsRequest && steps) {
        panel.dispatch({ type: 'steps', steps });
      }
    } catch (err) {
      if (ticket === stepsRequest) {
        panel.dispatch({ type: 'error', message: `Pipeline steps: ${err instanceof Error ? err.message : String(err)}` });
      }
    }
  }

  async function runServerCommand(command: string, args: unknown[], next: (args: unknown[]) => Promise<unknown>): Promise<unknown> {
    let finalArgs: unknown[];
    try {
      finalArgs = commandArguments(command, args, snapshot(vscode.window.activeTextEditor));
    } catch (err) {
      if (err instanceof CommandUnavailable) {
        void vscode.window.showWarningMessage(err.message);
        return undefined;
      }
      throw err;
    }
    try {
      switch (command) {
        case SERVER_COMMANDS.suggestPasses: {
          panel.dispatch({ type: 'suggestStarted' });
          void panel.reveal();
          const result = await next(finalArgs);
          panel.dispatch({ type: 'suggest', suggest: result ? suggestFromServer(result) : { message: 'No suggestion.' }, done: true });
          return result;
        }
        case SERVER_COMMANDS.liftToIR: {
          panel.dispatch({ type: 'liftStarted' });
          void panel.reveal();
          const result = (await next(finalArgs)) as LiftPayload | null;
          panel.dispatch({ type: 'lift', lift: result ?? { message: 'Nothing was lifted.' } });
          return result;
        }
        case SERVER_COMMANDS.doctor: {
          const report = (await next(finalArgs)) as DoctorReport | null;
          if (report) {
            output.info(`irlens doctor\n${doctorText(report)}`);
            output.show(true);
            const show = report.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
            void show(doctorSummary(report));
          }
          return report;
        }
        default:
          return await next(finalArgs);
      }
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      panel.dispatch({ type: 'error', message: `${command}: ${message}` });
      if (command === SERVER_COMMANDS.liftToIR) {
        panel.dispatch({ type: 'lift', lift: { error: message } });
      } else if (command === SERVER_COMMANDS.suggestPasses) {
        panel.dispatch({ type: 'suggest', suggest: { message }, done: true });
      }
      void vscode.window.showErrorMessage(`irlens: ${message}`);
      return undefined;
    }
  }

  controller = new ServerController(context, output, trace, {
    status: (status) => {
      statusBar.update(status);
      panel.dispatch({ type: 'status', status });
    },
    previewUpdated: (update) => panel.dispatch({ type: 'preview', preview: previewFromServer(update) }),
    suggestProgress: (progress) => panel.dispatch({ type: 'suggest', suggest: suggestFromServer(progress) }),
    hovered: (document, position, hover) => {
      const uri = document.uri.toString();
      if (!isIr({ uri, languageId: document.languageId }) || !hover) {
        return;
      }
      const at = pipelineAt(document.lineAt(position.line).text, position.character);
      const fn = functionAt(document.getText().split(/\r?\n/), position.line);
      panel.dispatch({
        type: 'context',
        context: {
          uri,
          languageId: document.languageId,
          fileName: vscode.workspace.asRelativePath(document.uri),
          // On a RUN line (outside every function) keep the function at the cursor.
          function: fn ?? (panel.current.context?.uri === uri ? panel.current.context.function : undefined),
          pipeline: at?.pipeline ?? null,
          pass: at?.pass ?? null,
          position: { line: position.line, character: position.character },
        },
      });
      panel.dispatch({ type: 'preview', preview: { uri, pass: at?.pass, pipeline: at?.pipeline, function: fn, markdown: hoverMarkdown(hover) } });
      if (panel.visible) {
        void refreshSteps();
      }
    },
    executeCommand: runServerCommand,
    stopped: (message) => statusBar.stopped(message),
  });

  /** Server commands the running server does not offer answer with a message instead of "not found". */
  function registerFallbacks(): void {
    const offered = controller?.running?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    for (const command of Object.values(SERVER_COMMANDS)) {
      if (!offered.includes(command)) {
        fallbacks.push(
          vscode.commands.registerCommand(command, () =>
            vscode.window.showWarningMessage(
              controller?.running
                ? `irlens: this irlens server does not offer ${command}; update irlens.`
                : 'irlens: the language server is not running. Use "irlens: Restart Server" after fixing the problem shown.',
            ),
          ),
        );
      }
    }
  }

  async function restart(): Promise<void> {
    fallbacks.splice(0).forEach((disposable) => disposable.dispose());
    await controller?.restart();
    registerFallbacks();
  }

  async function onPanelMessage(message: PanelMessage): Promise<void> {
    if (message.type === 'run') {
      if (message.command === 'refresh') {
        await refreshSteps();
      } else {
        await vscode.commands.executeCommand(`irlens.${message.command}`);
      }
    } else if (message.type === 'open') {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(message.uri));
      await vscode.window.showTextDocument(document, { preview: false });
    }
  }

  let contextTimer: NodeJS.Timeout | undefined;
  function trackCursor(editor: vscode.TextEditor | undefined): void {
    clearTimeout(contextTimer);
    contextTimer = setTimeout(() => {
      const now = snapshot(editor);
      if (!editor || !now || !(isIr(now) || isAssembly(now))) {
        return;
      }
      const before = panel.current.context;
      panel.dispatch({
        type: 'context',
        context: { uri: now.uri, languageId: now.languageId, fileName: vscode.workspace.asRelativePath(editor.document.uri), function: now.function ?? null },
      });
      if (panel.visible && isIr(now) && before?.position && before.uri === now.uri && before.function !== now.function) {
        void refreshSteps();
      }
    }, 250);
  }

  context.subscriptions.push(
    output,
    trace,
    statusBar,
    panel,
    controller,
    { dispose: () => fallbacks.forEach((disposable) => disposable.dispose()) },
    { dispose: () => clearTimeout(contextTimer) },
    vscode.window.registerWebviewViewProvider(PanelProvider.viewType, panel),
    vscode.commands.registerCommand(EXTENSION_COMMANDS.restartServer, restart),
    vscode.commands.registerCommand(EXTENSION_COMMANDS.showPreview, async () => {
      await panel.reveal();
      await refreshSteps();
    }),
    vscode.window.onDidChangeTextEditorSelection((event) => trackCursor(event.textEditor)),
    vscode.window.onDidChangeActiveTextEditor(trackCursor),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (!event.affectsConfiguration('irlens')) {
        return;
      }
      if (needsRestart((section) => event.affectsConfiguration(section))) {
        await restart();
      } else {
        await controller?.sendSettings();
      }
    }),
  );

  await controller.start();
  registerFallbacks();
  trackCursor(vscode.window.activeTextEditor);
}

export async function deactivate(): Promise<void> {
  await controller?.stop();
  controller = undefined;
}
