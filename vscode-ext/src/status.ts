/** The status-bar text for an `irlens/status` payload (pure, unit-tested). */

import type { StatusPayload } from './protocol';

export type StatusSeverity = 'ok' | 'warning' | 'error';

export interface StatusView {
  text: string;
  tooltip: string;
  severity: StatusSeverity;
}

/** "19.1.7" from "19.1.7" or "LLVM 19.1.7"; undefined when the server found no LLVM. */
function llvmVersion(status: StatusPayload): string | undefined {
  const version = status.llvm?.version;
  if (!version) {
    return undefined;
  }
  return version.replace(/^LLVM\s+/i, '');
}

function modelLabel(status: StatusPayload): { label: string; severity: StatusSeverity } {
  const model = status.model ?? {};
  switch (model.state) {
    case 'ready':
      return { label: model.name || 'model ready', severity: 'ok' };
    case 'connecting':
      return { label: `${model.name || 'model'} (connecting)`, severity: 'ok' };
    case 'unavailable':
      return { label: 'model unavailable', severity: 'warning' };
    case 'unconfigured':
    case undefined:
      return { label: 'LLVM-only', severity: 'ok' };
    default:
      return { label: `model ${model.state}`, severity: 'warning' };
  }
}

/** The model label, the LLVM label and the overall severity, for the status bar and the panel. */
export function statusParts(status: StatusPayload): { model: string; llvm: string; severity: StatusSeverity } {
  const { label, severity } = modelLabel(status);
  const version = llvmVersion(status);
  return { model: label, llvm: version ? `LLVM ${version}` : 'no LLVM', severity: version ? severity : 'error' };
}

/** What the status bar shows: the model backend and the LLVM version. */
export function statusView(status: StatusPayload | undefined): StatusView {
  if (!status) {
    return { text: '$(sync~spin) irlens', tooltip: 'irlens: starting the language server', severity: 'ok' };
  }
  const { model: label, llvm, severity } = statusParts(status);
  const version = llvmVersion(status);
  const icon = severity === 'error' ? '$(error)' : severity === 'warning' ? '$(warning)' : '$(pulse)';
  const lines = [
    `irlens ${status.version ?? ''}`.trim(),
    `Model: ${label}${status.model?.detail ? ` (${status.model.detail})` : ''}`,
    version ? `LLVM ${version}${status.llvm?.source ? `, from ${status.llvm.source}` : ''}` : 'LLVM: not found',
    'Click to run the irlens doctor.',
  ];
  return { text: `${icon} irlens: ${label} · ${llvm}`, tooltip: lines.join('\n'), severity };
}
