// Writes package.json's contributes.configuration from the server's settings definition
// (`python -m lsp_server.config --vscode`), so the two never drift. With --check it only
// compares, and exits 1 when package.json is out of date.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const extension = join(here, '..');
const repo = join(extension, '..');
const python =
  process.env.IRLENS_PYTHON ||
  [join(repo, '.venv', 'bin', 'python')].find((candidate) => existsSync(candidate)) ||
  'python3';

const generated = JSON.parse(
  execFileSync(python, ['-m', 'lsp_server.config', '--vscode'], { cwd: repo, encoding: 'utf8' }),
);
const packagePath = join(extension, 'package.json');
const pkg = JSON.parse(readFileSync(packagePath, 'utf8'));
const current = JSON.stringify(pkg.contributes.configuration);
if (current === JSON.stringify(generated)) {
  console.log('package.json configuration matches lsp_server/config.py');
  process.exit(0);
}
if (process.argv.includes('--check')) {
  console.error('package.json contributes.configuration differs from lsp_server/config.py: run npm run sync-config');
  process.exit(1);
}
pkg.contributes.configuration = generated;
writeFileSync(packagePath, JSON.stringify(pkg, null, 2) + '\n');
console.log('package.json configuration updated from lsp_server/config.py');
