// Builds bundled/libs, the Python side of the .vsix: the lsp_server package from this checkout
// and its pure-Python dependencies from requirements.txt, the way Microsoft's
// vscode-python-tools-extension-template bundles its tools. The extension runs
// `python -m lsp_server serve` with PYTHONPATH=bundled/libs.
//
// pip installs wheels only (`--only-binary=:all:`) for any platform and ABI (`py3-none-any`),
// for the oldest Python irlens supports, without dependencies of its own: what is bundled is
// exactly requirements.txt, and a compiled package cannot slip in. The dependencies are
// reinstalled only when requirements.txt changed; lsp_server is copied every time.
//
//   IRLENS_PYTHON   the Python whose pip runs (default: python3)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..');
const libs = join(root, 'bundled', 'libs');
const requirements = join(root, 'requirements.txt');
const stamp = join(root, 'bundled', '.requirements.txt');
const python = process.env.IRLENS_PYTHON || 'python3';
/** The oldest Python irlens supports (pyproject.toml's requires-python). */
export const MIN_PYTHON = '3.10';

const wanted = readFileSync(requirements, 'utf8');
if (!existsSync(stamp) || readFileSync(stamp, 'utf8') !== wanted) {
  rmSync(join(root, 'bundled'), { recursive: true, force: true });
  mkdirSync(libs, { recursive: true });
  const pip = spawnSync(
    python,
    [
      '-m', 'pip', 'install', '--disable-pip-version-check', '--no-compile', '--quiet',
      '--target', libs, '--no-deps', '--only-binary=:all:',
      '--implementation', 'py', '--abi', 'none', '--platform', 'any', '--python-version', MIN_PYTHON,
      '-r', requirements,
    ],
    { stdio: 'inherit' },
  );
  if (pip.status !== 0) {
    console.error(`bundle-python: pip failed (${python} -m pip, status ${pip.status ?? pip.error})`);
    process.exit(1);
  }
  // Nothing runs from bin/ (console scripts written for the build machine's Python).
  rmSync(join(libs, 'bin'), { recursive: true, force: true });
  writeFileSync(stamp, wanted);
}

rmSync(join(libs, 'lsp_server'), { recursive: true, force: true });
cpSync(join(repo, 'lsp_server'), join(libs, 'lsp_server'), {
  recursive: true,
  filter: (source) => !/(__pycache__|\.pyc$)/.test(source),
});
console.log(`bundle-python: ${libs}`);
