/** The webview's HTML shell with its Content-Security-Policy (pure, unit-tested). */

import { escapeHtml } from './markdown';
import { BUILT_WITH } from './render';

export interface ShellOptions {
  /** `webview.cspSource`: the origin the webview may load its script and style from. */
  cspSource: string;
  nonce: string;
  scriptUri: string;
  styleUri: string;
}

/** A fresh nonce for the one script the panel runs. */
export function makeNonce(random: () => number = Math.random): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  let nonce = '';
  for (let i = 0; i < 32; i++) {
    nonce += alphabet.charAt(Math.floor(random() * alphabet.length));
  }
  return nonce;
}

/**
 * The Content-Security-Policy: nothing by default; the bundled stylesheet; only the script
 * carrying this nonce; no network, no inline handlers, no eval.
 */
export function contentSecurityPolicy(options: Pick<ShellOptions, 'cspSource' | 'nonce'>): string {
  return [
    "default-src 'none'",
    `style-src ${options.cspSource}`,
    `script-src 'nonce-${options.nonce}'`,
    `img-src ${options.cspSource} data:`,
    `font-src ${options.cspSource}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

export function panelShell(options: ShellOptions): string {
  const csp = escapeHtml(contentSecurityPolicy(options));
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${escapeHtml(options.styleUri)}">
<title>irlens</title>
</head>
<body>
<main id="root"><p class="muted">Loading irlens…</p><footer>${BUILT_WITH}.</footer></main>
<script nonce="${escapeHtml(options.nonce)}" src="${escapeHtml(options.scriptUri)}"></script>
</body>
</html>`;
}
