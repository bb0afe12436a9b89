/**
 * The extension's commands: the server's commands as the user runs them (arguments from the
 * editor, results into the panel, the doctor's report into the output), the extension's own
 * (restart, show the panel), and what to run when LLVM is missing.
 */

import * as fs from 'fs';
import * as vscode from 'vscode';
import { CommandUnavailable, commandArguments } from './commandArgs';
import { type DoctorReport, doctorSummary, doctorText } from './doctor';
import { snapshot } from './editor';
import { llvmInstall, llvmInstallText, reportLacksLlvm, statusLacksLlvm } from './llvmInstall';
import { suggestFromServer } from './panel/adapt';
import type { PanelController } from './panel/controller';
import { EXTENSION_COMMANDS, type LiftPayload, SERVER_COMMANDS, type StatusPayload } from './protocol';
import type { ServerController } from './server';

function readOsRelease(): string | undefined {
  try {
    return fs.readFileSync('/etc/os-release', 'utf8');
  } catch {
    return undefined;
  }
}

/** "To install LLVM, run `sudo apt install llvm-19 clang-19`." for this machine. */
export function llvmAdvice(): { text: string; command: string } {
  const install = llvmInstall(process.platform, process.platform === 'linux' ? readOsRelease() : undefined);
  return { text: llvmInstallText(install), command: install.command };
}

export class Commands implements vscode.Disposable {
  /** Placeholders for server commands the running server does not offer. */
  private readonly fallbacks: vscode.Disposable[] = [];
  private toldAboutLlvm = false;

  constructor(
    private readonly server: ServerController,
    private readonly panel: PanelController,
    private readonly output: vscode.LogOutputChannel,
  ) {}

  /** The registrations of the extension's own commands; the caller puts them in context.subscriptions. */
  register(): vscode.Disposable[] {
    return [
      this,
      vscode.commands.registerCommand(EXTENSION_COMMANDS.restartServer, () => this.restart()),
      vscode.commands.registerCommand(EXTENSION_COMMANDS.showPreview, () => this.panel.show()),
      vscode.commands.registerCommand(EXTENSION_COMMANDS.showCfg, () => this.panel.showCfg()),
    ];
  }

  /** Restarts the server, and offers its commands again. */
  async restart(): Promise<void> {
    this.fallbacks.splice(0).forEach((disposable) => disposable.dispose());
    await this.server.restart();
    this.registerFallbacks();
  }

  /** Server commands the running server does not offer answer with a message instead of "not found". */
  registerFallbacks(): void {
    const offered = this.server.running?.initializeResult?.capabilities.executeCommandProvider?.commands ?? [];
    for (const command of Object.values(SERVER_COMMANDS)) {
      if (!offered.includes(command)) {
        this.fallbacks.push(
          vscode.commands.registerCommand(command, () =>
            vscode.window.showWarningMessage(
              this.server.running
                ? `irlens: this irlens server does not offer ${command}; update irlens.`
                : 'irlens: the language server is not running. Use "irlens: Restart Server" after fixing the problem shown.',
            ),
          ),
        );
      }
    }
  }

  /**
   * Runs a server command the way the user meant it (the language client's middleware calls
   * this): arguments from the active editor, progress and results in the panel, errors shown.
   */
  async run(command: string, args: unknown[], next: (args: unknown[]) => Promise<unknown>): Promise<unknown> {
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
    const panel = this.panel.provider;
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
            this.showDoctor(report);
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

  /** The doctor's report in the output channel, with the LLVM install command when LLVM is missing. */
  private showDoctor(report: DoctorReport): void {
    const advice = reportLacksLlvm(report) ? llvmAdvice() : undefined;
    const text = doctorText(report, advice?.text);
    this.output.info(`irlens doctor\n${text}`);
    this.output.show(true);
    if (advice) {
      void this.offerLlvmCommand(`${doctorSummary(report)} ${advice.text}`, advice.command);
    } else {
      const show = report.ok ? vscode.window.showInformationMessage : vscode.window.showWarningMessage;
      void show(doctorSummary(report));
    }
  }

  /** After each `irlens/status`: when the server found no LLVM, say once what to run. */
  statusChanged(status: StatusPayload): void {
    if (!statusLacksLlvm(status) || this.toldAboutLlvm) {
      return;
    }
    this.toldAboutLlvm = true;
    const advice = llvmAdvice();
    this.output.warn(`LLVM was not found. ${advice.text}`);
    void this.offerLlvmCommand(`irlens: LLVM was not found, so previews, diagnostics and suggestions are off. ${advice.text} Then run "irlens: Restart Server".`, advice.command);
  }

  private async offerLlvmCommand(message: string, command: string): Promise<void> {
    const choice = await vscode.window.showWarningMessage(message, 'Copy Command', 'Restart Server');
    if (choice === 'Copy Command') {
      await vscode.env.clipboard.writeText(command);
    } else if (choice === 'Restart Server') {
      await this.restart();
    }
  }

  dispose(): void {
    this.fallbacks.forEach((disposable) => disposable.dispose());
  }
}
