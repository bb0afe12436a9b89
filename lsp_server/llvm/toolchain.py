"""Finding the local LLVM, reading its version, and saying what it can do.

Search order (documented in the README):

1. the ``llvm.binDir`` setting (or ``--llvm-bin-dir``), when set;
2. ``llvm-config --bindir``, trying ``llvm-config`` and every versioned ``llvm-config-NN`` on
   PATH and taking the highest LLVM version, so all tools come from one installation;
3. PATH, tool by tool: the plain name (``opt``) and versioned names (``opt-19``), highest
   version first.

Versions are read once per discovery (``Toolchain`` is immutable; rediscover when the setting
changes). Features gate on :data:`FEATURES` and tell the user once what is missing.
"""

from __future__ import annotations

import logging
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from lsp_server.llvm.runner import DEFAULT_LIMITS, ToolLimits

log = logging.getLogger(__name__)

TOOLS = (
    "opt",
    "llc",
    "llvm-as",
    "llvm-dis",
    "llvm-mc",
    "llvm-extract",
    "llvm-size",
    "llvm-link",
    "clang",
)

_VERSION = re.compile(r"(?:LLVM|clang) version (\d+)\.(\d+)\.(\d+)")
_VERSIONED = re.compile(r"^(?P<tool>.+)-(?P<major>\d+)$")


@dataclass(frozen=True)
class Feature:
    name: str
    tools: tuple[str, ...]
    min_major: int
    why: str


FEATURES = (
    Feature("diagnostics for .ll", ("llvm-as",), 14, "parse errors of IR"),
    Feature("diagnostics for .s", ("llvm-mc",), 14, "assembler errors"),
    Feature(
        "preview (IR after a pass)",
        ("opt", "llvm-extract", "llc", "llvm-size"),
        14,
        "runs the pipeline and measures sizes",
    ),
    Feature(
        "suggest passes",
        ("opt", "llc", "llvm-size"),
        15,
        "compiles candidates and measures object size",
    ),
    Feature(
        "lift to IR",
        ("llvm-as", "opt", "llc"),
        15,
        "checks the lifted IR (opaque pointers need LLVM 15 or later)",
    ),
)

#: The LLVM the models were trained with; older or newer ones print slightly different IR.
TRAINED_MAJOR = 17


@dataclass(frozen=True)
class Tool:
    name: str
    path: str
    version: tuple[int, int, int] | None
    #: What ``<tool> --version`` printed at discovery (llc's names its default target and
    #: the registered targets), kept so that nothing runs it again on the event loop.
    version_output: str = field(default="", repr=False, compare=False)

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version)) if self.version else "unknown"


class MissingToolError(Exception):
    """An LLVM tool a feature needs is not installed; the message says what to do."""


def install_hint(tool: str) -> str:
    package = "clang-19" if tool == "clang" else "llvm-19"
    return (
        f"{tool} was not found. Install LLVM (Debian/Ubuntu: `sudo apt install {package}`) "
        "or set irlens.llvm.binDir to the directory holding the LLVM tools."
    )


@dataclass(frozen=True)
class Toolchain:
    """The LLVM tools irlens will use, with their versions."""

    tools: dict[str, Tool] = field(default_factory=dict)
    source: str = "not found"
    default_triple: str = ""
    timeout: float = 20.0
    #: What each run may use (settings llvm.maxOutputMb, llvm.maxMemoryMb).
    limits: ToolLimits = DEFAULT_LIMITS

    def path(self, name: str) -> str:
        tool = self.tools.get(name)
        if tool is None:
            raise MissingToolError(install_hint(name))
        return tool.path

    def has(self, *names: str) -> bool:
        return all(name in self.tools for name in names)

    @property
    def version(self) -> tuple[int, int, int] | None:
        """The LLVM version, read from opt (or any tool when opt is missing)."""
        for name in ("opt", *TOOLS):
            tool = self.tools.get(name)
            if tool is not None and tool.version is not None:
                return tool.version
        return None

    @property
    def version_text(self) -> str:
        version = self.version
        return ".".join(map(str, version)) if version else "unknown"

    @property
    def major(self) -> int:
        version = self.version
        return version[0] if version else 0

    @property
    def llc_version_output(self) -> str:
        """What ``llc --version`` printed (default target, registered targets), read at
        discovery, which runs in a thread; "" without llc."""
        tool = self.tools.get("llc")
        return tool.version_output if tool is not None else ""

    def feature_problem(self, feature: Feature) -> str | None:
        """Why ``feature`` cannot run with these tools, or None when it can."""
        missing = [name for name in feature.tools if name not in self.tools]
        if missing:
            return f"{feature.name} needs {', '.join(missing)}: " + install_hint(missing[0])
        if self.major < feature.min_major:
            return (
                f"{feature.name} needs LLVM {feature.min_major} or later; "
                f"found {self.version_text} ({self.source})"
            )
        return None

    def problem_for(self, name: str) -> str | None:
        """``feature_problem`` by feature name prefix, e.g. ``"preview"``."""
        for feature in FEATURES:
            if feature.name.startswith(name):
                return self.feature_problem(feature)
        raise KeyError(name)


def _read_tool(name: str, path: str) -> Tool:
    """The tool at ``path`` with its version, from ``--version`` (blocking; discovery runs
    in a thread)."""
    try:
        proc = subprocess.run(
            [path, "--version"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError) as err:
        log.warning("could not run %s --version: %s", path, err)
        return Tool(name, path, None)
    output = proc.stdout + proc.stderr
    match = _VERSION.search(output)
    version = (int(match[1]), int(match[2]), int(match[3])) if match else None
    return Tool(name, path, version, proc.stdout)


def _path_dirs(path_env: str | None) -> list[Path]:
    return [Path(p) for p in (path_env or "").split(os.pathsep) if p]


def _candidates(name: str, dirs: Iterable[Path]) -> list[tuple[int, str]]:
    """Executables named ``name`` or ``name-NN`` on the given dirs, highest NN first.

    The plain name sorts as version 0 here; its real version is read later.
    """
    found: dict[str, tuple[int, str]] = {}
    for directory in dirs:
        try:
            entries = list(directory.iterdir())
        except OSError:
            continue
        for entry in entries:
            major = -1
            if entry.name == name:
                major = 0
            else:
                m = _VERSIONED.match(entry.name)
                if m and m["tool"] == name:
                    major = int(m["major"])
            if major >= 0 and entry.name not in found and os.access(entry, os.X_OK):
                found[entry.name] = (major, str(entry))
    return sorted(found.values(), key=lambda item: -item[0])


def _from_dir(bin_dir: Path) -> dict[str, Tool]:
    tools = {}
    for name in TOOLS:
        path = bin_dir / name
        if path.is_file() and os.access(path, os.X_OK):
            tools[name] = _read_tool(name, str(path))
    return tools


def _best_llvm_config(dirs: list[Path]) -> tuple[Path, tuple[int, int, int]] | None:
    best: tuple[Path, tuple[int, int, int]] | None = None
    for _, path in _candidates("llvm-config", dirs):
        try:
            proc = subprocess.run(
                [path, "--bindir", "--version"],
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            )
        except (OSError, subprocess.SubprocessError):
            continue
        lines = proc.stdout.split()
        if proc.returncode != 0 or len(lines) < 2:
            continue
        m = re.match(r"(\d+)\.(\d+)\.(\d+)", lines[1])
        if not m:
            continue
        version = (int(m[1]), int(m[2]), int(m[3]))
        if best is None or version > best[1]:
            best = (Path(lines[0]), version)
    return best


def discover(
    bin_dir: str = "",
    *,
    path_env: str | None = None,
    default_triple: str = "",
    timeout: float = 20.0,
    limits: ToolLimits = DEFAULT_LIMITS,
) -> Toolchain:
    """Find the LLVM tools in the documented order (see the module docstring)."""
    dirs = _path_dirs(os.environ.get("PATH") if path_env is None else path_env)
    triple = default_triple
    if bin_dir:
        tools = _from_dir(Path(bin_dir).expanduser())
        source = f"llvm.binDir setting ({bin_dir})"
        if not tools:
            log.warning("llvm.binDir %s holds no LLVM tools", bin_dir)
        return Toolchain(tools, source, triple, timeout, limits)
    config = _best_llvm_config(dirs)
    if config is not None and (tools := _from_dir(config[0])):
        return Toolchain(tools, f"llvm-config --bindir ({config[0]})", triple, timeout, limits)
    tools = {}
    for name in TOOLS:
        candidates = _candidates(name, dirs)
        best: Tool | None = None
        for _, path in candidates:
            tool = _read_tool(name, path)
            if best is None or (tool.version or (0, 0, 0)) > (best.version or (0, 0, 0)):
                best = tool
        if best is not None:
            tools[name] = best
    return Toolchain(tools, "PATH" if tools else "not found", triple, timeout, limits)


def host_triple(toolchain: Toolchain) -> str:
    """The triple for modules that name none: the setting, else llc's default target."""
    if toolchain.default_triple:
        return toolchain.default_triple
    m = re.search(r"Default target:\s*(\S+)", toolchain.llc_version_output)
    return m[1] if m else "x86_64-unknown-linux-gnu"


def registered_targets(toolchain: Toolchain) -> list[str]:
    """The targets llc was built with (``llc --version`` lists them), e.g. x86-64, aarch64."""
    section = toolchain.llc_version_output.split("Registered Targets:", 1)
    if len(section) < 2:
        return []
    return [line.split()[0] for line in section[1].splitlines() if line.strip()]
