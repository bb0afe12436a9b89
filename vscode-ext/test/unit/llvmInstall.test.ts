import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { type DoctorReport, doctorText } from '../../src/doctor';
import { EXTENSION_ROOT } from '../paths';
import { llvmInstall, llvmInstallText, osIds, reportLacksLlvm, statusLacksLlvm } from '../../src/llvmInstall';

const debian = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nID=debian\n';
const ubuntu = 'NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\n';
const mint = 'NAME="Linux Mint"\nID=linuxmint\nID_LIKE="ubuntu debian"\n';
const fedora = 'NAME="Fedora Linux"\nID=fedora\n';
const rocky = 'ID="rocky"\nID_LIKE="rhel centos fedora"\n';
const arch = 'NAME="Arch Linux"\nID=arch\n';

test('/etc/os-release ids, with ID_LIKE', () => {
  assert.deepEqual(osIds(mint), ['linuxmint', 'ubuntu', 'debian']);
  assert.deepEqual(osIds(undefined), []);
});

test('each platform gets the command to run', () => {
  assert.equal(llvmInstall('linux', debian).command, 'sudo apt install llvm-19 clang-19');
  assert.equal(llvmInstall('linux', ubuntu).command, 'sudo apt install llvm-19 clang-19');
  assert.equal(llvmInstall('linux', mint).command, 'sudo apt install llvm-19 clang-19');
  assert.equal(llvmInstall('linux', fedora).command, 'sudo dnf install llvm clang');
  assert.equal(llvmInstall('linux', rocky).command, 'sudo dnf install llvm clang');
  assert.equal(llvmInstall('linux', arch).command, 'sudo pacman -S llvm clang');
  assert.equal(llvmInstall('darwin').command, 'brew install llvm');
  assert.match(llvmInstall('darwin').then ?? '', /irlens\.llvm\.binDir/);
  assert.match(llvmInstall('win32').then ?? '', /irlens\.llvm\.binDir/);
});

test('the advice is one sentence with the command quoted', () => {
  assert.equal(llvmInstallText(llvmInstall('linux', debian)), 'To install LLVM, run `sudo apt install llvm-19 clang-19`.');
  assert.match(llvmInstallText(llvmInstall('linux', 'ID=gentoo\n')), /^To install LLVM, install LLVM 14 or newer/);
});

test('LLVM missing is read from the status and from the doctor', () => {
  assert.equal(statusLacksLlvm({ llvm: { version: null, source: 'not found' } }), true);
  assert.equal(statusLacksLlvm({ llvm: { version: '19.1.7' } }), false);
  assert.equal(reportLacksLlvm({ llvm: { tools: { opt: { path: null }, llc: { path: null } } }, problems: [] }), true);
  assert.equal(reportLacksLlvm({ llvm: { tools: { opt: { path: '/usr/bin/opt-19' } } }, problems: ['opt is missing: install LLVM'] }), true);
  assert.equal(reportLacksLlvm({ llvm: { tools: { opt: { path: '/usr/bin/opt-19' } } }, problems: ['model.url is unreachable'] }), false);
});

test("the server's own doctor report without LLVM leads to the install command, and with LLVM it does not", () => {
  // The real server (the bundled one) run once with no LLVM anywhere on PATH, once as it is.
  const python = spawnSync(process.env.IRLENS_PYTHON || 'python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).stdout.trim();
  const doctor = (pathValue: string): DoctorReport => {
    const run = spawnSync(python, ['-S', '-m', 'lsp_server', 'doctor', '--json'], {
      encoding: 'utf8',
      env: { PATH: pathValue, HOME: tmpdir(), PYTHONPATH: path.join(EXTENSION_ROOT, 'bundled', 'libs'), PYTHONDONTWRITEBYTECODE: '1' },
    });
    return JSON.parse(run.stdout) as DoctorReport;
  };
  const missing = doctor(mkdtempSync(path.join(tmpdir(), 'irlens-no-llvm-')));
  assert.equal(reportLacksLlvm(missing), true);
  const advice = llvmInstallText(llvmInstall('linux', 'ID=debian\n'));
  const text = doctorText(missing, advice);
  assert.match(text, /LLVM unknown|LLVM not found/);
  assert.ok(text.trimEnd().endsWith('To install LLVM, run `sudo apt install llvm-19 clang-19`.'), text);
  const present = doctor(process.env.PATH ?? '');
  assert.equal(reportLacksLlvm(present), false, JSON.stringify(present.problems));
});
