"""The local opt's pass registry, and checking pipeline strings against it.

The registry comes from ``opt --print-passes``. The final word on a pipeline is opt's own
parser (it is asked with an empty module), so a registry gap can never reject a valid
pipeline; the registry is what names the unknown passes and the nearest known ones.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lsp_server.llvm import opt
from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.syntax.pipeline import PipelineNode, parse_pipeline

# Pipeline elements opt parses itself rather than listing them in --print-passes.
BUILTIN_NAMES = frozenset(
    {
        "module",
        "cgscc",
        "function",
        "loop",
        "loop-mssa",
        "devirt",
        "repeat",
        "require",
        "invalidate",
        "default",
        "thinlto-pre-link",
        "thinlto",
        "lto-pre-link",
        "lto",
        "function-simplification",
        "verify",
        "print",
    }
)

_UNKNOWN = re.compile(
    r"unknown (?:pass|pipeline|module pass|function pass|loop pass)[^']*'([^']*)'"
)


@dataclass(frozen=True)
class PassRegistry:
    """Pass names by kind ("module", "cgscc", "function", "loop", ...)."""

    by_kind: dict[str, frozenset[str]]
    params: dict[
        str, str
    ]  # name -> the parameter syntax opt documents, e.g. "preserve-cfg;modify-cfg"

    @property
    def names(self) -> frozenset[str]:
        return frozenset().union(*self.by_kind.values()) | BUILTIN_NAMES

    def knows(self, name: str) -> bool:
        return name in self.names

    def nearest(self, name: str, n: int = 3) -> list[str]:
        candidates = sorted(self.names)
        close = difflib.get_close_matches(name, candidates, n=n, cutoff=0.6)
        if not close:
            close = [c for c in candidates if name and (name in c or c in name)][:n]
        return close


def parse_print_passes(text: str) -> PassRegistry:
    """Parse ``opt --print-passes`` output."""
    by_kind: dict[str, set[str]] = {}
    params: dict[str, str] = {}
    kind: str | None = None
    for line in text.splitlines():
        if not line.strip():
            continue
        if not line.startswith(" "):
            header = line.strip().rstrip(":").lower()
            # "Function passes with params" -> "function"; analyses are kept apart.
            if "analyses" in header or "(wip)" in header:
                kind = f"{header.split()[0]}-analyses"
            elif "passes" in header:
                kind = header.split(" passes")[0]
            else:
                kind = None
            continue
        if kind is None:
            continue
        entry = line.strip()
        name, _, rest = entry.partition("<")
        if name == "print" and rest:
            # print<domtree> is a pass of its own name.
            name, _, rest = entry.partition(">")
            name += ">"
            rest = rest.lstrip("<")
        by_kind.setdefault(kind, set()).add(name)
        if rest:
            params[name] = rest.rstrip(">")
    return PassRegistry({k: frozenset(v) for k, v in by_kind.items()}, params)


async def load_registry(toolchain: Toolchain) -> PassRegistry:
    """The registry of the local opt."""
    result = await run_tool(
        opt.print_passes_argv(toolchain), timeout=toolchain.timeout, limits=toolchain.limits
    )
    if not result.ok:
        raise ToolError.from_result("opt --print-passes failed", result)
    return parse_print_passes(result.out)


@dataclass(frozen=True)
class UnknownPass:
    name: str
    suggestions: tuple[str, ...]

    def describe(self) -> str:
        if self.suggestions:
            return f"unknown pass '{self.name}' (did you mean {', '.join(self.suggestions)}?)"
        return f"unknown pass '{self.name}'"


@dataclass(frozen=True)
class PipelineCheck:
    pipeline: str
    ok: bool
    unknown: tuple[UnknownPass, ...]
    message: str  # empty when ok


def _node_names(nodes: tuple[PipelineNode, ...]) -> list[str]:
    names = []
    for node in nodes:
        name = node.name
        if name == "print" and node.params:
            name = f"print<{node.params}>"
        names.append(name)
        names.extend(_node_names(node.children))
    return names


def unknown_passes(registry: PassRegistry, pipeline: str) -> list[UnknownPass]:
    """The names in ``pipeline`` that the registry does not know, with suggestions."""
    nodes, _ = parse_pipeline(pipeline)
    unknown = []
    seen = set()
    for name in _node_names(nodes):
        if registry.knows(name) or name in seen:
            continue
        seen.add(name)
        unknown.append(UnknownPass(name, tuple(registry.nearest(name))))
    return unknown


async def check_pipeline(
    toolchain: Toolchain, registry: PassRegistry, pipeline: str
) -> PipelineCheck:
    """Whether the local opt accepts ``pipeline``; if not, which passes are unknown and why."""
    _nodes, syntax_error = parse_pipeline(pipeline)
    if not pipeline.strip():
        return PipelineCheck(pipeline, False, (), "the pipeline is empty")
    result = await run_tool(
        opt.pipeline_argv(toolchain, pipeline, output="none"),
        stdin="",
        timeout=toolchain.timeout,
        limits=toolchain.limits,
    )
    if result.ok:
        return PipelineCheck(pipeline, True, (), "")
    unknown = unknown_passes(registry, pipeline)
    if not unknown:
        # The registry knows every name, so opt's own message is the best explanation.
        m = _UNKNOWN.search(result.err)
        if m:
            unknown = [UnknownPass(m[1], tuple(registry.nearest(m[1])))]
    parts = [u.describe() for u in unknown]
    if syntax_error:
        parts.append(syntax_error)
    if not parts:
        parts.append(result.describe_failure())
    return PipelineCheck(pipeline, False, tuple(unknown), "; ".join(parts))
