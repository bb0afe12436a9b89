/**
 * Keeps the side panel in step with the editor and the server: the last hover, the function at
 * the cursor, and the requests the panel shows (today `irlens/pipelineSteps`).
 *
 * A view that asks the server about the hovered function (a CFG view, say) adds one method
 * like {@link PanelController.refreshSteps}: {@link PanelController.hoverParams} gives it the
 * document, function and position, and {@link PanelController.latest} drops stale answers.
 */

import * as vscode from 'vscode';
import { isAssembly, isIr } from '../commandArgs';
import { hoverMarkdown, snapshot } from '../editor';
import { PIPELINE_STEPS_REQUEST, type PipelineStepsPayload } from '../protocol';
import { functionAt, pipelineAt } from './ir';
import { PanelProvider } from './provider';
import type { PanelMessage } from './state';

/** How the panel reaches the server; the ServerController provides it. */
export interface PanelServer {
  request<R>(method: string, params: unknown): Promise<R>;
}

export class PanelController implements vscode.Disposable {
  readonly provider: PanelProvider;
  private readonly tickets = new Map<string, number>();
  private cursorTimer: NodeJS.Timeout | undefined;

  constructor(
    extensionUri: vscode.Uri,
    private readonly server: PanelServer,
  ) {
    this.provider = new PanelProvider(extensionUri, (message) => void this.onMessage(message));
  }

  /** The registrations the panel needs; the caller puts them in context.subscriptions. */
  register(): vscode.Disposable[] {
    return [
      this,
      this.provider,
      vscode.window.registerWebviewViewProvider(PanelProvider.viewType, this.provider),
      vscode.window.onDidChangeTextEditorSelection((event) => this.trackCursor(event.textEditor)),
      vscode.window.onDidChangeActiveTextEditor((editor) => this.trackCursor(editor)),
    ];
  }

  /** Shows the panel and what the server says about the function at the cursor. */
  async show(): Promise<void> {
    await this.provider.reveal();
    await this.refreshSteps();
  }

  /**
   * The document, function and position (or pipeline) a panel request is about: the last hover
   * in the active `.ll` when there was one, else the cursor. Undefined outside LLVM IR.
   */
  hoverParams(): Record<string, unknown> | undefined {
    const editor = vscode.window.activeTextEditor;
    const state = this.provider.current;
    if (!editor || !isIr({ uri: editor.document.uri.toString(), languageId: editor.document.languageId })) {
      return undefined;
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
    return params;
  }

  /** Sends `method` and hands its answer on only if no newer request of the same `key` was made. */
  async latest<R>(key: string, method: string, params: unknown, onResult: (result: R) => void, onError: (message: string) => void): Promise<void> {
    const ticket = (this.tickets.get(key) ?? 0) + 1;
    this.tickets.set(key, ticket);
    try {
      const result = await this.server.request<R>(method, params);
      if (this.tickets.get(key) === ticket && result) {
        onResult(result);
      }
    } catch (err) {
      if (this.tickets.get(key) === ticket) {
        onError(err instanceof Error ? err.message : String(err));
      }
    }
  }

  /** Asks the server for the pipeline steps of the function at the cursor and the pipeline hovered last. */
  async refreshSteps(): Promise<void> {
    const params = this.hoverParams();
    if (!params) {
      return;
    }
    this.provider.dispatch({ type: 'stepsLoading' });
    await this.latest<PipelineStepsPayload>(
      'steps',
      PIPELINE_STEPS_REQUEST,
      params,
      (steps) => this.provider.dispatch({ type: 'steps', steps }),
      (message) => this.provider.dispatch({ type: 'error', message: `Pipeline steps: ${message}` }),
    );
  }

  /** After a hover in a `.ll`: the panel shows the same preview and follows the hovered pipeline. */
  hovered(document: vscode.TextDocument, position: vscode.Position, hover: vscode.Hover | null | undefined): void {
    const uri = document.uri.toString();
    if (!isIr({ uri, languageId: document.languageId }) || !hover) {
      return;
    }
    const at = pipelineAt(document.lineAt(position.line).text, position.character);
    const fn = functionAt(document.getText().split(/\r?\n/), position.line);
    const panel = this.provider;
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
      void this.refreshSteps();
    }
  }

  private async onMessage(message: PanelMessage): Promise<void> {
    if (message.type === 'run') {
      if (message.command === 'refresh') {
        await this.refreshSteps();
      } else {
        await vscode.commands.executeCommand(`irlens.${message.command}`);
      }
    } else if (message.type === 'open') {
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(message.uri));
      await vscode.window.showTextDocument(document, { preview: false });
    }
  }

  /** The function at the cursor, a moment after the cursor stops; the steps follow it. */
  trackCursor(editor: vscode.TextEditor | undefined): void {
    clearTimeout(this.cursorTimer);
    this.cursorTimer = setTimeout(() => {
      const now = snapshot(editor);
      if (!editor || !now || !(isIr(now) || isAssembly(now))) {
        return;
      }
      const before = this.provider.current.context;
      this.provider.dispatch({
        type: 'context',
        context: { uri: now.uri, languageId: now.languageId, fileName: vscode.workspace.asRelativePath(editor.document.uri), function: now.function ?? null },
      });
      if (this.provider.visible && isIr(now) && before?.position && before.uri === now.uri && before.function !== now.function) {
        void this.refreshSteps();
      }
    }, 250);
  }

  dispose(): void {
    clearTimeout(this.cursorTimer);
  }
}
