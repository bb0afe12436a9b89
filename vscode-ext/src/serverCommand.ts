/**
 * How to start `irlens serve` (pure, unit-tested).
 *
 * The order, first match wins: the user's explicit choices (`irlens.server.command`,
 * `irlens.server.python`, `irlens` in a workspace `.venv`), then the server bundled in the
 * extension (`python -m lsp_server serve` with PYTHONPATH=bundled/libs) on the first Python new
 * enough (the Python extension's interpreter, then `python3` on PATH), then `irlens` on PATH
 * (an install with its own Python, used only when no Python can run the bundled server).
 */

import * as path from 'path';

/** The oldest Python the server runs on (pyproject.toml's requires-python). */
export const MIN_PYTHON: readonly [number, number] = [3, 10];
export const MIN_PYTHON_TEXT = `${MIN_PYTHON[0]}.${MIN_PYTHON[1]}`;

export interface ServerCommand {
  command: string;
  args: string[];
  /** Where the command came from, for messages: "irlens.server.command", "the bundled server", ... */
  source: string;
  /** Variables added to the server's environment (PYTHONPATH for the bundled server). */
  env?: Record<string, string>;
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

/** A Python that could run the bundled server, with the version it reported. */
export interface Interpreter {
  path: string;
  /** "the Python extension" or "PATH". */
  source: string;
  /** [major, minor, micro]; undefined when asking it failed (see `error`). */
  version?: readonly number[];
  error?: string;
}

/** Where the bundled server lives inside the installed extension. */
export interface Bundle {
  /** bundled/libs: lsp_server and its pure-Python dependencies. */
  libs: string;
  /** Whether the folder holds lsp_server (a development build may lack it). */
  present: boolean;
}

export type Resolution = { found: ServerCommand; problem?: undefined } | { found?: undefined; problem: string };

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

/** `python3` on PATH (`python` on Windows, where python3 is often the Store's stub). */
export function pythonOnPath(env: Environment): string | undefined {
  return findExecutable(env.platform === 'win32' ? 'python' : 'python3', env.path, env);
}

/**
 * The command the user chose: `irlens.server.command`; `irlens.server.python -m lsp_server
 * serve`; `irlens` in a workspace `.venv`. Undefined when they chose none: the bundled server.
 */
export function explicitServerCommand(settings: ServerSettings, env: Environment): ServerCommand | undefined {
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
  return undefined;
}

export function versionText(version: readonly number[]): string {
  return version.join('.');
}

/** Whether `version` is at least MIN_PYTHON. */
export function newEnough(version: readonly number[]): boolean {
  const [major = 0, minor = 0] = version;
  return major > MIN_PYTHON[0] || (major === MIN_PYTHON[0] && minor >= MIN_PYTHON[1]);
}

/** Reads "3.11.7" (what the probe prints) as [3, 11, 7]; undefined for anything else. */
export function parseVersion(text: string): number[] | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(text.trim());
  return match ? match.slice(1, 4).map(Number) : undefined;
}

/**
 * The whole search: an explicit choice, else the bundled server on the first interpreter new
 * enough, else `irlens` on PATH; else a message that says what to do.
 */
export function resolveServerCommand(
  settings: ServerSettings,
  env: Environment,
  bundle: Bundle,
  interpreters: Interpreter[],
): Resolution {
  const explicit = explicitServerCommand(settings, env);
  if (explicit) {
    return { found: explicit };
  }
  const usable = bundle.present ? interpreters.find((python) => python.version && newEnough(python.version)) : undefined;
  if (usable?.version) {
    return {
      found: {
        command: usable.path,
        args: ['-m', 'lsp_server', '--log-level', settings.logLevel, 'serve'],
        source: `the bundled server, Python ${versionText(usable.version)} from ${usable.source}`,
        env: { PYTHONPATH: bundle.libs },
      },
    };
  }
  const onPath = findExecutable('irlens', env.path, env);
  if (onPath) {
    return { found: { command: onPath, args: ['--log-level', settings.logLevel, 'serve'], source: 'PATH' } };
  }
  if (!bundle.present) {
    return { problem: `irlens: this build of the extension has no bundled server (${bundle.libs} is missing). ${SETTINGS_HINT}` };
  }
  return { problem: noPythonMessage(interpreters) };
}

const SETTINGS_HINT =
  'Or point `irlens.server.python` at a Python with irlens installed (`scripts/setup.sh` or ' +
  '`pip install .` in an irlens checkout), or `irlens.server.command` at a command that runs `irlens serve`.';

/** The message when no interpreter can run the bundled server: which were tried, what to install. */
export function noPythonMessage(interpreters: Interpreter[]): string {
  const need = `irlens: the bundled language server needs Python ${MIN_PYTHON_TEXT} or newer`;
  const how =
    `Install Python ${MIN_PYTHON_TEXT} or newer (Debian/Ubuntu: \`sudo apt install python3\`; ` +
    'macOS: `brew install python`), or select one with "Python: Select Interpreter".';
  const seen = interpreters.map((python) =>
    python.version
      ? `Python ${versionText(python.version)} (${python.path}, from ${python.source})`
      : `${python.path} (from ${python.source}: ${python.error ?? 'did not answer'})`,
  );
  if (seen.length === 0) {
    return `${need}; none was found (no Python extension interpreter, no python3 on PATH). ${how} ${SETTINGS_HINT}`;
  }
  return `${need}; found ${seen.join(', ')}. ${how} ${SETTINGS_HINT}`;
}

/** The message shown when the server was found but did not start. */
export function cannotStartMessage(found: ServerCommand, reason?: string): string {
  const shown = [found.command, ...found.args].join(' ');
  const why = reason ? `: ${reason}` : '';
  const hint = found.source.startsWith('irlens.server')
    ? 'Check that setting: the command must run `irlens serve`, the Python must have irlens installed.'
    : `The irlens output shows the server's own error. ${SETTINGS_HINT}`;
  return `irlens: could not start the language server (\`${shown}\`, from ${found.source})${why}. ${hint}`;
}
