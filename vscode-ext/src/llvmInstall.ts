/**
 * What to run to install LLVM, for this platform (pure, unit-tested). LLVM is the one thing
 * the user must install themselves; the extension brings the server.
 */

import type { DoctorReport } from './doctor';
import type { StatusPayload } from './protocol';

export interface LlvmInstall {
  /** The command to run, as one line the user can paste. */
  command: string;
  /** Anything to do after it (a setting), or undefined. */
  then?: string;
}

/** Reads /etc/os-release's `ID` and `ID_LIKE` as one list of lower-case ids. */
export function osIds(osRelease: string | undefined): string[] {
  const ids: string[] = [];
  for (const line of (osRelease ?? '').split(/\r?\n/)) {
    const match = /^(ID|ID_LIKE)=(.*)$/.exec(line.trim());
    if (match) {
      ids.push(...match[2].replace(/["']/g, '').toLowerCase().split(/\s+/).filter(Boolean));
    }
  }
  return ids;
}

/** The install command for `platform`, with Linux told apart by /etc/os-release. */
export function llvmInstall(platform: NodeJS.Platform, osRelease?: string): LlvmInstall {
  if (platform === 'darwin') {
    // Homebrew's llvm is keg-only (not on PATH), and Apple's clang comes without opt and llc.
    return { command: 'brew install llvm', then: 'set irlens.llvm.binDir to the output of `brew --prefix llvm`, plus /bin' };
  }
  if (platform === 'win32') {
    return {
      command: 'conda install -c conda-forge llvm-tools clang',
      then: "set irlens.llvm.binDir to that environment's Library\\bin",
    };
  }
  const ids = osIds(osRelease);
  const has = (...names: string[]) => names.some((name) => ids.includes(name));
  if (has('debian', 'ubuntu')) {
    return { command: 'sudo apt install llvm-19 clang-19' };
  }
  if (has('fedora', 'rhel', 'centos')) {
    return { command: 'sudo dnf install llvm clang' };
  }
  if (has('arch')) {
    return { command: 'sudo pacman -S llvm clang' };
  }
  if (has('opensuse', 'suse')) {
    return { command: 'sudo zypper install llvm clang' };
  }
  if (has('alpine')) {
    return { command: 'sudo apk add llvm clang' };
  }
  return {
    command: "install LLVM 14 or newer (opt, llc, llvm-as, llvm-mc) with your system's package manager",
    then: 'set irlens.llvm.binDir if the tools are not on PATH',
  };
}

/** The install advice as one sentence. */
export function llvmInstallText(install: LlvmInstall): string {
  const run = install.command.startsWith('install ') ? install.command : `run \`${install.command}\``;
  return `To install LLVM, ${run}${install.then ? `, then ${install.then}` : ''}.`;
}

/** Whether the server said it found no LLVM (`irlens/status`). */
export function statusLacksLlvm(status: StatusPayload): boolean {
  return !status.llvm?.version;
}

/** Whether the doctor's report says LLVM, or a required tool of it, is missing or too old. */
export function reportLacksLlvm(report: DoctorReport): boolean {
  const tools = Object.values(report.llvm?.tools ?? {});
  const noTools = tools.length > 0 && tools.every((tool) => !tool.path);
  return noTools || (report.problems ?? []).some((problem) => /is missing|too old/.test(problem));
}
