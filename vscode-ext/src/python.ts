/**
 * The Pythons that could run the bundled server: the Python extension's interpreter for the
 * workspace (through its environments API, as Microsoft's Python tool extensions do), then
 * `python3` on PATH. Each is asked for its version, so a Python too old is named in the message.
 */

import { execFile } from 'child_process';
import * as vscode from 'vscode';
import { PythonExtension } from '@vscode/python-extension';
import { type Environment, type Interpreter, parseVersion, pythonOnPath } from './serverCommand';

const PROBE = 'import sys; print("%d.%d.%d" % sys.version_info[:3])';

/** The version a Python reports, or why it did not. */
export function probe(python: string): Promise<{ version?: number[]; error?: string }> {
  return new Promise((resolve) => {
    execFile(python, ['-c', PROBE], { timeout: 15000 }, (err, stdout, stderr) => {
      const version = parseVersion(String(stdout));
      if (version) {
        resolve({ version });
      } else {
        resolve({ error: (String(stderr).trim() || (err ? err.message : `printed ${JSON.stringify(String(stdout))}`)).split('\n')[0] });
      }
    });
  });
}

/** The Python extension's API, or undefined when it is not installed (or fails to load). */
async function pythonApi(output: vscode.LogOutputChannel): Promise<PythonExtension | undefined> {
  if (!vscode.extensions.getExtension('ms-python.python')) {
    return undefined;
  }
  try {
    return await PythonExtension.api();
  } catch (err) {
    output.warn(`The Python extension's API is not available: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** The interpreter the Python extension has selected for the first workspace folder. */
async function selectedInterpreter(output: vscode.LogOutputChannel): Promise<Interpreter | undefined> {
  const api = await pythonApi(output);
  if (!api) {
    return undefined;
  }
  try {
    const resource = vscode.workspace.workspaceFolders?.[0]?.uri;
    const resolved = await api.environments.resolveEnvironment(api.environments.getActiveEnvironmentPath(resource));
    const executable = resolved?.executable.uri?.fsPath;
    if (!executable) {
      return undefined;
    }
    const { major, minor, micro } = resolved.version ?? {};
    const version = typeof major === 'number' && typeof minor === 'number' ? [major, minor, micro ?? 0] : undefined;
    return version
      ? { path: executable, source: 'the Python extension', version }
      : { path: executable, source: 'the Python extension', ...(await probe(executable)) };
  } catch (err) {
    output.warn(`Asking the Python extension for its interpreter: ${err instanceof Error ? err.message : String(err)}`);
    return undefined;
  }
}

/** The candidates for the bundled server, in the order they are tried. */
export async function interpreters(env: Environment, output: vscode.LogOutputChannel): Promise<Interpreter[]> {
  const found: Interpreter[] = [];
  const selected = await selectedInterpreter(output);
  if (selected) {
    found.push(selected);
  }
  const onPath = pythonOnPath(env);
  if (onPath && onPath !== selected?.path) {
    found.push({ path: onPath, source: 'PATH', ...(await probe(onPath)) });
  }
  return found;
}

/** Calls `listener` when the user selects another interpreter in the Python extension. */
export async function onInterpreterChange(listener: () => void, output: vscode.LogOutputChannel): Promise<vscode.Disposable | undefined> {
  const api = await pythonApi(output);
  return api?.environments.onDidChangeActiveEnvironmentPath(() => listener());
}
