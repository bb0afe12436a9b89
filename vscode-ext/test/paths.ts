/** Paths for tests: they run bundled from out/test/<tier>/, three levels below vscode-ext/. */
import * as path from 'path';

export const EXTENSION_ROOT = path.resolve(__dirname, '..', '..', '..');
export const REPO_ROOT = path.resolve(EXTENSION_ROOT, '..');
export const EXAMPLE_LL = path.join(REPO_ROOT, 'lsp_server', 'examples', 'example.ll');
