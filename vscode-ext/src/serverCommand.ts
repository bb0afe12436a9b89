/** How to start `irlens serve` (pure, unit-tested). */

import * as path from 'path';

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for messages: "irlens.server.command", "PATH", ... */
  source: string;
}

export interface Environment {
  /** PATH entries. */
  path: string[];
  platform: NodeJS.Platform;
  /** Whether a file exists and is executable. */
  isExecutable: (file: string) => boolean;
  /** Workspace folders, where a `.venv` with irlens may live. */
  workspaceFolders: string[];
}

export interface ServerSettings {
  command?: unknown;
  python?: unknown;
  logLevel: string;
}

function binaryNames(name: string, platform: NodeJS.Platform): string[] {
  return platform === 'win32' ? [`${name}.exe`, `${name}.cmd`, name] : [name];
}

function venvBin(folder: string, platform: NodeJS.Platform): string {
  return platform === 'win32' ? path.join(folder, '.venv', 'Scripts') : path.join(folder, '.venv', 'bin');
}

/** The first executable `name` in `dirs`, or undefined. */
export function findExecutable(name: string, dirs: string[], env: Environment): string | undefined {
  for (const dir of dirs) {
    for (const candidate of binaryNames(name, env.platform)) {
      const full = path.join(dir, candidate);
      if (env.isExecutable(full)) {
        return full;
      }
    }
  }
  return undefined;
}

/**
 * The command that starts the server, in this order: `irlens.server.command`;
 * `irlens.server.python -m lsp_server serve`; `irlens` in a workspace `.venv`; `irlens` on PATH.
 * Undefined when none is found: the caller tells the user what to install.
 */
export function resolveServerCommand(settings: ServerSettings, env: Environment): ServerCommand | undefined {
  const logArgs = ['--log-level', settings.logLevel];
  const configured = Array.isArray(settings.command)
    ? settings.command.filter((part): part is string => typeof part === 'string' && part.length > 0)
    : [];
  if (configured.length > 0) {
    return { command: configured[0], args: configured.slice(1), source: 'irlens.server.command' };
  }
  if (typeof settings.python === 'string' && settings.python.trim()) {
    return {
      command: settings.python.trim(),
      args: ['-m', 'lsp_server', ...logArgs, 'serve'],
      source: 'irlens.server.python',
    };
  }
  const venvs = env.workspaceFolders.map((folder) => venvBin(folder, env.platform));
  const inVenv = findExecutable('irlens', venvs, env);
  if (inVenv) {
    return { command: inVenv, args: [...logArgs, 'serve'], source: 'the workspace .venv' };
  }
  const onPath = findExecutable('irlens', env.path, env);
  if (onPath) {
    return { command: onPath, args: [...logArgs, 'serve'], source: 'PATH' };
  }
  return undefined;
}

export const INSTALL_HINT =
  'Install it with `pip install irlens` (or run scripts/setup.sh in an irlens checkout), ' +
  'or point the setting `irlens.server.command` or `irlens.server.python` at an environment that has it.';

/** The message shown when the server cannot be started. */
export function cannotStartMessage(found: ServerCommand | undefined, reason?: string): string {
  if (!found) {
    return `irlens: the language server \`irlens\` was not found on PATH. ${INSTALL_HINT}`;
  }
  const shown = [found.command, ...found.args].join(' ');
  const why = reason ? `: ${reason}` : '';
  return `irlens: could not start the language server (\`${shown}\`, from ${found.source})${why}. ${INSTALL_HINT}`;
}
