/** The `irlens.doctor` report as readable text for the output channel (pure, unit-tested). */

interface ToolInfo {
  path?: string | null;
  version?: string | null;
}

export interface DoctorReport {
  ok?: boolean;
  irlens?: string;
  python?: string;
  llvm?: { source?: string; version?: string | null; tools?: Record<string, ToolInfo>; targets?: string[] };
  features?: Record<string, { ok?: boolean; problem?: string | null }>;
  model?: Record<string, unknown>;
  notes?: string[];
  problems?: string[];
}

/** The report as lines of text; `llvmAdvice` (what to run to install LLVM) ends it when given. */
export function doctorText(report: DoctorReport, llvmAdvice?: string): string {
  const out: string[] = [];
  out.push(`irlens ${report.irlens ?? '?'} (Python ${report.python ?? '?'})`);
  out.push(`LLVM ${report.llvm?.version ?? 'not found'}${report.llvm?.source ? `  [${report.llvm.source}]` : ''}`);
  for (const [name, tool] of Object.entries(report.llvm?.tools ?? {})) {
    out.push(`  ${tool.path ? 'ok' : '--'} ${name.padEnd(13)} ${tool.path ? `${tool.path} (${tool.version ?? '?'})` : 'not found'}`);
  }
  if (report.llvm?.targets?.length) {
    out.push(`  targets: ${report.llvm.targets.join(', ')}`);
  }
  const features = Object.entries(report.features ?? {});
  if (features.length) {
    out.push('Features:');
    for (const [name, feature] of features) {
      out.push(`  ${feature.ok ? 'ok' : '--'} ${name}${feature.problem ? `: ${feature.problem}` : ''}`);
    }
  }
  if (report.model) {
    const model = report.model;
    const parts = Object.entries(model)
      .filter(([, value]) => value !== null && value !== undefined && value !== '')
      .map(([key, value]) => `${key}: ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`);
    out.push(`Model: ${parts.join(', ') || 'LLVM-only mode'}`);
  }
  for (const note of report.notes ?? []) {
    out.push(`Note: ${note}`);
  }
  for (const problem of report.problems ?? []) {
    out.push(`Problem: ${problem}`);
  }
  if (llvmAdvice) {
    out.push(llvmAdvice);
  }
  return out.join('\n');
}

/** The one-line summary shown in a notification. */
export function doctorSummary(report: DoctorReport): string {
  if (report.ok) {
    return `irlens doctor: everything needed was found (LLVM ${report.llvm?.version ?? '?'}).`;
  }
  const first = report.problems?.[0];
  return `irlens doctor found a problem${first ? `: ${first}` : ''}. See the irlens output for the full report.`;
}
