/**
 * Starting, restarting and stopping the language server, and the language client around it.
 * Which command starts it is decided in serverCommand.ts (the order) and python.ts (the
 * interpreters); by default it is the server bundled in the extension (bundled/libs).
 */

import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import {
  DidChangeConfigurationNotification,
  type ExecuteCommandSignature,
  LanguageClient,
  type LanguageClientOptions,
  type ProvideHoverSignature,
  type ServerOptions,
} from 'vscode-languageclient/node';
import { PREVIEW_UPDATED_NOTIFICATION, STATUS_NOTIFICATION, SUGGEST_PROGRESS_NOTIFICATION } from './protocol';
import type { StatusPayload } from './protocol';
import { interpreters } from './python';
import { type Environment, cannotStartMessage, explicitServerCommand, resolveServerCommand, type Resolution } from './serverCommand';
import { serverKeys, serverLogLevel, serverSettings } from './settings';

export interface ServerEvents {
  status(status: StatusPayload): void;
  previewUpdated(update: unknown): void;
  suggestProgress(progress: unknown): void;
  hovered(document: vscode.TextDocument, position: vscode.Position, hover: vscode.Hover | null | undefined): void;
  /** Runs a server command; returns what the server returned, after the extension used it. */
  executeCommand(command: string, args: unknown[], next: (args: unknown[]) => Promise<unknown>): Promise<unknown>;
  stopped(message: string): void;
}

export const DOCUMENT_SELECTOR = [
  { scheme: 'file', language: 'llvm' },
  { scheme: 'untitled', language: 'llvm' },
  { scheme: 'file', language: 'asm' },
  { scheme: 'untitled', language: 'asm' },
];

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

export class ServerController implements vscode.Disposable {
  private client: LanguageClient | undefined;
  private starting: Promise<boolean> | undefined;
  /** Whether the running server is the bundled one (so a new interpreter means a restart). */
  usesBundle = false;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    /** A plain channel, so the LSP trace shows whenever irlens.trace.server asks for it. */
    private readonly trace: vscode.OutputChannel,
    private readonly events: ServerEvents,
  ) {}

  get running(): LanguageClient | undefined {
    return this.client?.isRunning() ? this.client : undefined;
  }

  /** The settings the server takes, read now from VS Code's configuration. */
  settings(): ReturnType<typeof serverSettings> {
    const properties = this.context.extension.packageJSON.contributes.configuration.properties as Record<string, unknown>;
    const config = vscode.workspace.getConfiguration('irlens');
    return serverSettings(serverKeys(properties), (key) => config.get(key));
  }

  /** Where the bundled server is: bundled/libs in the installed extension. */
  get bundledLibs(): string {
    return path.join(this.context.extensionPath, 'bundled', 'libs');
  }

  /** The command that starts the server now, from the settings, the bundle and the Pythons found. */
  async resolve(): Promise<Resolution> {
    const config = vscode.workspace.getConfiguration('irlens');
    const settings = {
      command: config.get('server.command'),
      python: config.get('server.python'),
      logLevel: serverLogLevel(config.get('trace.server')),
    };
    const env: Environment = {
      path: (process.env.PATH ?? '').split(path.delimiter).filter(Boolean),
      platform: process.platform,
      isExecutable,
      workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.fsPath),
    };
    // Only ask for interpreters (and wake the Python extension) when the bundled server is wanted.
    if (explicitServerCommand(settings, env)) {
      return resolveServerCommand(settings, env, { libs: this.bundledLibs, present: true }, []);
    }
    const libs = this.bundledLibs;
    const bundle = { libs, present: fs.existsSync(path.join(libs, 'lsp_server', '__main__.py')) };
    return resolveServerCommand(settings, env, bundle, await interpreters(env, this.output));
  }

  start(): Promise<boolean> {
    this.starting ??= this.doStart().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  private async doStart(): Promise<boolean> {
    const resolution = await this.resolve();
    if (!resolution.found) {
      this.fail(resolution.problem);
      return false;
    }
    const found = resolution.found;
    this.usesBundle = found.env?.PYTHONPATH !== undefined;
    this.output.info(`Starting ${[found.command, ...found.args].join(' ')} (from ${found.source})`);
    const serverOptions: ServerOptions = {
      command: found.command,
      args: found.args,
      // No `transport`: with TransportKind.stdio the client appends `--stdio`, which
      // `irlens serve` does not take; without it the client speaks stdio all the same.
      options: { env: { ...process.env, PYTHONUNBUFFERED: '1', ...found.env } },
    };
    const events = this.events;
    const clientOptions: LanguageClientOptions = {
      documentSelector: DOCUMENT_SELECTOR,
      initializationOptions: this.settings(),
      outputChannel: this.output,
      traceOutputChannel: this.trace,
      // The server reports its own failures as messages; a crash loop should not hide them.
      connectionOptions: { maxRestartCount: 3 },
      middleware: {
        async provideHover(document, position, token, next: ProvideHoverSignature) {
          const hover = await next(document, position, token);
          events.hovered(document, position, hover);
          return hover;
        },
        executeCommand(command: string, args: unknown[], next: ExecuteCommandSignature) {
          return events.executeCommand(command, args, (finalArgs) => Promise.resolve(next(command, finalArgs)));
        },
      },
    };
    const client = new LanguageClient('irlens', 'irlens', serverOptions, clientOptions);
    client.onNotification(STATUS_NOTIFICATION, (status: StatusPayload) => this.events.status(status));
    client.onNotification(PREVIEW_UPDATED_NOTIFICATION, (update: unknown) => this.events.previewUpdated(update));
    client.onNotification(SUGGEST_PROGRESS_NOTIFICATION, (progress: unknown) =>
      this.events.suggestProgress(progress),
    );
    this.client = client;
    try {
      await client.start();
    } catch (err) {
      this.client = undefined;
      await client.dispose().catch(() => undefined);
      this.fail(cannotStartMessage(found, err instanceof Error ? err.message : String(err)));
      return false;
    }
    return true;
  }

  private fail(message: string): void {
    this.output.error(message);
    this.events.stopped(message);
    void vscode.window.showErrorMessage(message, 'Open Settings', 'Show Output').then((choice) => {
      if (choice === 'Open Settings') {
        void vscode.commands.executeCommand('workbench.action.openSettings', 'irlens.server');
      } else if (choice === 'Show Output') {
        this.output.show();
      }
    });
  }

  async stop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      await client.dispose(2000).catch((err: unknown) => this.output.warn(`Stopping the server: ${String(err)}`));
    }
  }

  async restart(): Promise<boolean> {
    await this.starting;
    await this.stop();
    return this.start();
  }

  /** Send the current settings, after the user changed them. */
  async sendSettings(): Promise<void> {
    await this.running?.sendNotification(DidChangeConfigurationNotification.type, { settings: this.settings() });
  }

  async request<R>(method: string, params: unknown): Promise<R> {
    const client = this.running ?? ((await this.start()) ? this.client : undefined);
    if (!client) {
      throw new Error('irlens: the language server is not running.');
    }
    return client.sendRequest<R>(method, params);
  }

  dispose(): void {
    void this.stop();
  }
}
