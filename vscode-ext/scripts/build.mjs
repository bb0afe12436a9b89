// Bundles the extension (node, `vscode` external), the panel script (browser) and the tests,
// and builds bundled/libs, the server the .vsix carries (scripts/bundle-python.mjs).
// Bundling keeps the .vsix small: no node_modules inside it.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const production = process.argv.includes('--production');
const common = { bundle: true, sourcemap: !production, minify: production, logLevel: 'warning', absWorkingDir: root };

const tests = (folder) =>
  readdirSync(join(root, 'test', folder))
    .filter((name) => name.endsWith('.test.ts'))
    .map((name) => `test/${folder}/${name}`);

const python = spawnSync(process.execPath, [join(root, 'scripts', 'bundle-python.mjs')], { stdio: 'inherit' });
if (python.status !== 0) {
  process.exit(python.status ?? 1);
}

await Promise.all([
  build({
    ...common,
    entryPoints: ['src/extension.ts'],
    outfile: 'out/extension.js',
    platform: 'node',
    format: 'cjs',
    target: 'node18',
    external: ['vscode'],
  }),
  build({
    ...common,
    entryPoints: ['webview/main.ts'],
    outfile: 'out/webview.js',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  }),
  production
    ? Promise.resolve()
    : build({
        ...common,
        entryPoints: [...tests('unit'), ...tests('panel')],
        outdir: 'out/test',
        outbase: 'test',
        platform: 'node',
        format: 'cjs',
        target: 'node20',
        external: ['vscode', 'playwright-core'],
      }),
]);
