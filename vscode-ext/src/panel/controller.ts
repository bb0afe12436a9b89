/**
 * Keeps the side panel in step with the editor and the server: the last hover, the function at
 * the cursor, and the requests the panel shows (`irlens/pipelineSteps`, and `irlens/cfg` once the
 * CFG view is open: it then follows the cursor from function to function and each edit).
 *
 * A view that asks the server about the hovered function (a CFG view, say) adds one method
 * like {@link PanelController.refreshSteps}: {@link PanelController.hoverParams} gives it the
 * document, function and position, and {@link PanelController.latest} drops stale answers.
 */

import * as vscode from 'vscode';
import { isAssembly, isIr } from '../commandArgs';
import { hoverMarkdown, snapshot } from '../editor';
import { CFG_REQUEST, type CfgPayload, PIPELINE_STEPS_REQUEST, type PipelineStepsPayload } from '../protocol';
import { cfgFromServer, cfgSpan } from './cfgData';
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
  /** Document and version of the CFG asked for last, and the lines its function spans: the cursor
   * asks again only after an edit or on leaving those lines (the server, not a client guess, says
   * where the function is). */
  private cfgAsked: { key: string; span?: { first: number; last: number } } | undefined;

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

  /** Opens the CFG view: the panel shows the control-flow graph of the function at the cursor. */
  async showCfg(): Promise<void> {
    await this.provider.reveal();
    await this.refreshCfg(true);
  }

  /** The IR editor the CFG is about: the active one, else the visible one the panel follows. */
  private cfgEditor(): vscode.TextEditor | undefined {
    const isIrEditor = (editor: vscode.TextEditor | undefined): boolean =>
      !!editor && isIr({ uri: editor.document.uri.toString(), languageId: editor.document.languageId });
    const active = vscode.window.activeTextEditor;
    if (isIrEditor(active)) {
      return active;
    }
    const uri = this.provider.current.context?.uri;
    return vscode.window.visibleTextEditors.find((editor) => isIrEditor(editor) && editor.document.uri.toString() === uri);
  }

  /** Asks the server for the CFG of the function at the cursor (after an edit or a move to another function). */
  async refreshCfg(force = false): Promise<void> {
    const editor = this.cfgEditor();
    if (!editor) {
      this.provider.dispatch({ type: 'cfg', cfg: { error: 'Open an LLVM IR file and put the cursor in a function.' } });
      return;
    }
    const uri = editor.document.uri.toString();
    const line = editor.selection.active.line;
    const key = `${uri}@${editor.document.version}`;
    const asked = this.cfgAsked;
    if (!force && asked?.key === key && (!asked.span || (line >= asked.span.first && line <= asked.span.last))) {
      return;
    }
    const request = { key };
    this.cfgAsked = request;
    this.provider.dispatch({ type: 'cfgLoading' });
    // The server finds the function holding the line from its own index, not the client's guess.
    const params = { textDocument: { uri }, position: { line, character: editor.selection.active.character } };
    await this.latest<CfgPayload>(
      'cfg',
      CFG_REQUEST,
      params,
      (answer) => {
        const cfg = cfgFromServer(answer, uri);
        // Outside every function (no span) the next cursor move asks again.
        this.cfgAsked = cfg.graph ? { ...request, span: cfgSpan(cfg.graph) } : undefined;
        this.provider.dispatch({ type: 'cfg', cfg });
      },
      (message) => {
        this.cfgAsked = undefined;
        this.provider.dispatch({ type: 'cfg', cfg: { error: `Control-flow graph: ${message}` } });
      },
    );
  }

  /** Shows `line` of `uri` in its editor, the line selected and centred (a click on a CFG block). */
  async reveal(uri: string, line: number): Promise<void> {
    const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
    const at = new vscode.Position(Math.min(line, Math.max(0, document.lineCount - 1)), 0);
    const shown = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === uri);
    const editor = await vscode.window.showTextDocument(document, { viewColumn: shown?.viewColumn, preview: false, selection: new vscode.Range(at, at) });
    editor.revealRange(new vscode.Range(at, at), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
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
    } else if (message.type === 'reveal') {
      await this.reveal(message.uri, message.line);
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
      if (this.provider.visible && isIr(now) && this.provider.current.cfg) {
        void this.refreshCfg();
      }
    }, 250);
  }

  dispose(): void {
    clearTimeout(this.cursorTimer);
  }
}
