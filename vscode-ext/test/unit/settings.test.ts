import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { needsRestart, serverKeys, serverLogLevel, serverSettings } from '../../src/settings';
import { EXTENSION_ROOT } from '../paths';

const pkg = JSON.parse(readFileSync(path.join(EXTENSION_ROOT, 'package.json'), 'utf8'));
const properties = pkg.contributes.configuration.properties as Record<string, { default: unknown }>;

test('the server keys are package.json settings less the client-only ones', () => {
  const keys = serverKeys(properties);
  assert.ok(keys.includes('model.url'));
  assert.ok(keys.includes('preview.defaultPipeline'));
  assert.ok(!keys.some((key) => key.startsWith('server.') || key.startsWith('trace.')));
});

test('settings are nested camelCase objects with every default', () => {
  const settings = serverSettings(serverKeys(properties), (key) => properties[`irlens.${key}`].default);
  assert.equal(settings.model.url, '');
  assert.equal(settings.preview.defaultPipeline, 'default<Oz>');
  assert.equal(settings.preview.timeBudgetMs, 400);
  assert.equal(settings.server, undefined);
  assert.equal(settings.trace, undefined);
});

test('a user value is sent as set, and unset keys are left out', () => {
  const values: Record<string, unknown> = { 'model.url': 'http://127.0.0.1:8787/v1', 'model.apiKey': 'k' };
  const settings = serverSettings(['model.url', 'model.apiKey', 'llvm.binDir'], (key) => values[key]);
  assert.deepEqual(settings, { model: { url: 'http://127.0.0.1:8787/v1', apiKey: 'k' } });
});

test('the server log level follows the trace setting', () => {
  assert.equal(serverLogLevel('off'), 'WARNING');
  assert.equal(serverLogLevel(undefined), 'WARNING');
  assert.equal(serverLogLevel('messages'), 'INFO');
  assert.equal(serverLogLevel('verbose'), 'DEBUG');
});

test('changing how the server starts restarts it; other settings are only sent', () => {
  assert.equal(needsRestart((section) => section === 'irlens.server'), true);
  assert.equal(needsRestart((section) => section === 'irlens.trace.server'), true);
  assert.equal(needsRestart((section) => section === 'irlens.model'), false);
});
