"""``irlens doctor``: what irlens found on this machine and what it can do with it."""

from __future__ import annotations

import platform
import sys
from dataclasses import dataclass, field
from typing import Any

from lsp_server import __version__
from lsp_server.llvm.toolchain import FEATURES, TOOLS, TRAINED_MAJOR, registered_targets
from lsp_server.services import Services

#: Tools without which irlens is not useful at all.
REQUIRED = ("opt", "llc", "llvm-as", "llvm-mc", "llvm-extract", "llvm-size")
MIN_MAJOR = 14


@dataclass
class DoctorReport:
    tools: dict[str, dict[str, str | None]] = field(default_factory=dict)
    llvm_source: str = ""
    llvm_version: str = ""
    features: dict[str, str | None] = field(default_factory=dict)  # feature -> problem
    targets: list[str] = field(default_factory=list)
    model: dict[str, str | None] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "irlens": __version__,
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "llvm": {
                "source": self.llvm_source,
                "version": self.llvm_version,
                "tools": self.tools,
                "targets": self.targets,
            },
            "features": {
                name: {"ok": problem is None, "problem": problem}
                for name, problem in self.features.items()
            },
            "model": self.model,
            "notes": self.notes,
            "problems": self.problems,
        }

    def to_text(self) -> str:
        out = [f"irlens {__version__} (Python {sys.version.split()[0]})", ""]
        out.append(f"LLVM {self.llvm_version or 'not found'}  [{self.llvm_source}]")
        for name, info in self.tools.items():
            mark = "ok " if info["path"] else "-- "
            where = f"{info['path']} ({info['version']})" if info["path"] else "not found"
            out.append(f"  {mark} {name:<13} {where}")
        if self.targets:
            out.append(f"  targets: {', '.join(self.targets)}")
        out.append("")
        out.append("Features")
        for name, problem in self.features.items():
            out.append(
                f"  {'ok ' if problem is None else '-- '} {name}"
                + (f": {problem}" if problem else "")
            )
        out.append("")
        out.append(f"Model backend: {self.model.get('state')}  {self.model.get('detail') or ''}")
        for note in self.notes:
            out.append(f"note: {note}")
        if self.problems:
            out.append("")
            out.append("Problems")
            out.extend(f"  - {p}" for p in self.problems)
        else:
            out.append("")
            out.append("Everything irlens needs is here.")
        return "\n".join(out)


async def collect(services: Services, *, check_model: bool = True) -> DoctorReport:
    """Look at the toolchain and the model backend and say what works."""
    toolchain = services.toolchain
    report = DoctorReport(llvm_source=toolchain.source, llvm_version=toolchain.version_text)
    for name in TOOLS:
        tool = toolchain.tools.get(name)
        report.tools[name] = {
            "path": tool.path if tool else None,
            "version": tool.version_text if tool else None,
        }
        if tool is None and name in REQUIRED:
            report.problems.append(
                f"{name} is missing: install LLVM (e.g. `sudo apt install llvm-19`) or set llvm.binDir"
            )
    if toolchain.tools and toolchain.major < MIN_MAJOR:
        report.problems.append(
            f"LLVM {toolchain.version_text} is too old: irlens needs {MIN_MAJOR} or later"
        )
    for feature in FEATURES:
        report.features[feature.name] = toolchain.feature_problem(feature)
    report.targets = registered_targets(toolchain)
    if toolchain.major and toolchain.major != TRAINED_MAJOR:
        report.notes.append(
            f"LLM Compiler was trained with LLVM {TRAINED_MAJOR}; LLVM {toolchain.major} prints "
            "slightly different IR, so exact matches of model predictions will be rarer. "
            "Every model answer is still checked with this LLVM."
        )
    if toolchain.tools.get("opt") is not None:
        report.notes.append(await _coreset_line(services))
    backend = services.backend
    if backend is None:
        report.model = {
            "state": "unconfigured",
            "name": None,
            "detail": "LLVM-only mode: set model.url (or --model-url) to use a model",
        }
        report.features["lift to IR"] = (
            report.features.get("lift to IR") or "needs a model (model.url)"
        )
    else:
        if check_model:
            await backend.check()
        report.model = {
            "state": backend.state.value,
            "name": backend.model_name,
            "detail": backend.detail,
        }
        if backend.state.value != "ready":
            report.problems.append(f"model backend is {backend.state.value}: {backend.detail}")
    return report


async def _coreset_line(services: Services) -> str:
    """The pass search's learned sequences: their LLVM, and whether this opt knows them all."""
    from lsp_server.llvm.errors import ToolError
    from lsp_server.search import learned

    toolchain = services.toolchain
    try:
        known: frozenset[str] | None = (await services.registry()).names
    except (ToolError, OSError):
        known = None
    return learned.describe(toolchain.version_text, toolchain.major, known)
