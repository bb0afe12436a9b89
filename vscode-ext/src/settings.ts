/**
 * Settings as the server wants them (pure, unit-tested).
 *
 * The server's keys come from package.json's `contributes.configuration`, which is generated
 * from lsp_server/config.py; keys under `irlens.server.*` and `irlens.trace.*` belong to the
 * extension and are never sent.
 */

export const CLIENT_ONLY_SECTIONS = ['server', 'trace'];

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type NestedSettings = { [section: string]: { [key: string]: Json } };

/** The server's dotted keys ("model.url") among package.json's configuration properties. */
export function serverKeys(properties: Record<string, unknown>): string[] {
  return Object.keys(properties)
    .filter((key) => key.startsWith('irlens.'))
    .map((key) => key.slice('irlens.'.length))
    .filter((key) => !CLIENT_ONLY_SECTIONS.includes(key.split('.')[0]));
}

/**
 * Nested camelCase settings for initializationOptions and didChangeConfiguration:
 * `{"model": {"url": ...}, "preview": {...}}`, read through `get` (VS Code's configuration).
 */
export function serverSettings(keys: string[], get: (key: string) => unknown): NestedSettings {
  const nested: NestedSettings = {};
  for (const key of keys) {
    const dot = key.indexOf('.');
    if (dot < 0) {
      continue;
    }
    const value = get(key);
    if (value === undefined) {
      continue;
    }
    const section = key.slice(0, dot);
    nested[section] ??= {};
    nested[section][key.slice(dot + 1)] = value as Json;
  }
  return nested;
}

/** The server's log level for the trace setting, so its log follows what the user asked to see. */
export function serverLogLevel(trace: unknown): 'WARNING' | 'INFO' | 'DEBUG' {
  if (trace === 'verbose') {
    return 'DEBUG';
  }
  return trace === 'messages' ? 'INFO' : 'WARNING';
}

/** Whether a configuration change needs the server process restarted (not just re-sent). */
export function needsRestart(affects: (section: string) => boolean): boolean {
  return affects('irlens.server') || affects('irlens.trace.server');
}
