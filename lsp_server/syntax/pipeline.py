"""Pipeline strings of LLVM's new pass manager, as ``opt -passes=`` takes them.

The grammar (``PassBuilder::parsePipelineText``) is small::

    pipeline := element (',' element)*
    element  := name ['<' params '>'] ['(' pipeline ')']

``params`` may nest angle brackets (``loop-unroll<O2;peeling>``,
``print<memoryssa<walker>>``). An element with a parenthesised pipeline is an adaptor
(``module``, ``cgscc``, ``function``, ``loop``, ``loop-mssa``, ``repeat<N>``,
``devirt<N>``, ...); one without is a pass. Which names exist is the local ``opt``'s
business: this module only knows the shape.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

# Real pipelines nest four or five levels. The cap keeps every recursive walk below
# (and the dataclasses' own recursive __eq__ and __repr__) far from Python's recursion
# limit whatever text arrives.
MAX_DEPTH = 64

_SPECIAL = ",()<>"


@dataclass(frozen=True)
class PipelineNode:
    """One element of a pipeline.

    ``start``/``end`` are offsets of ``name<params>`` in the parsed string (children
    excluded). A node with ``children`` is an adaptor; a node without is a pass.
    """

    name: str
    params: str | None
    children: tuple[PipelineNode, ...]
    start: int
    end: int

    @property
    def is_adaptor(self) -> bool:
        """Whether the node runs a nested pipeline."""
        return bool(self.children)

    @property
    def text(self) -> str:
        """``name`` or ``name<params>``, as it is written."""
        return self.name if self.params is None else f"{self.name}<{self.params}>"


@dataclass
class _Builder:
    name: str
    params: str | None
    start: int
    end: int
    children: list[_Builder] = field(default_factory=list)

    def freeze(self) -> PipelineNode:
        return PipelineNode(
            name=self.name,
            params=self.params,
            children=tuple(child.freeze() for child in self.children),
            start=self.start,
            end=self.end,
        )


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0
        self.top: list[_Builder] = []
        self.stack: list[list[_Builder]] = [self.top]
        self.open_adaptors: list[_Builder] = []
        self.whitespace_error: str | None = None

    def skip_space(self) -> None:
        """Step over whitespace, noting it: opt reads it as part of a pass name."""
        text = self.text
        start = self.pos
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1
        if self.pos > start and self.whitespace_error is None:
            self.whitespace_error = (
                f"whitespace at offset {start}: opt does not allow spaces in a pipeline"
            )

    def parse(self) -> str | None:
        """Parse the whole text; return the first error, or None."""
        text = self.text
        if not text:
            # opt accepts an empty pipeline and runs nothing.
            return None
        if not text.strip():
            return "empty pipeline"
        while True:
            error = self.element()
            if error is not None:
                return error
            self.skip_space()
            while self.pos < len(text) and text[self.pos] == ")":
                if not self.open_adaptors:
                    return f"unbalanced ')' at offset {self.pos}"
                self.open_adaptors.pop()
                self.stack.pop()
                self.pos += 1
                self.skip_space()
            if self.pos >= len(text):
                break
            if text[self.pos] != ",":
                return f"expected ',' or ')' at offset {self.pos}, found {text[self.pos]!r}"
            self.pos += 1
        if self.open_adaptors:
            name = self.open_adaptors[-1].name
            return f"unbalanced '(': '{name}(' is not closed"
        return self.whitespace_error

    def element(self) -> str | None:
        """Parse ``name<params>`` and, for an adaptor, open its child list."""
        text = self.text
        self.skip_space()
        start = self.pos
        while (
            self.pos < len(text) and text[self.pos] not in _SPECIAL and not text[self.pos].isspace()
        ):
            self.pos += 1
        name = text[start : self.pos]
        if not name:
            if self.pos >= len(text):
                return f"empty pass name at offset {self.pos}"
            found = text[self.pos]
            if found in ",)":
                return f"empty pass name at offset {self.pos}"
            return f"unexpected {found!r} at offset {self.pos}"
        params: str | None = None
        if self.pos < len(text) and text[self.pos] == "<":
            params_start = self.pos + 1
            depth = 0
            while self.pos < len(text):
                char = text[self.pos]
                if char == "<":
                    depth += 1
                elif char == ">":
                    depth -= 1
                    if depth == 0:
                        break
                self.pos += 1
            params = text[params_start : self.pos]
            if self.pos >= len(text):
                self.stack[-1].append(_Builder(name, params, start, self.pos))
                return f"unbalanced '<' after {name!r} at offset {params_start - 1}"
            self.pos += 1
        node = _Builder(name, params, start, self.pos)
        self.stack[-1].append(node)
        self.skip_space()
        if self.pos < len(text) and text[self.pos] == "(":
            if len(self.open_adaptors) >= MAX_DEPTH:
                return f"adaptors nested deeper than {MAX_DEPTH} at offset {self.pos}"
            self.pos += 1
            self.open_adaptors.append(node)
            self.stack.append(node.children)
            return self.element()
        return None


def parse_pipeline(text: str) -> tuple[tuple[PipelineNode, ...], str | None]:
    """Parse a pipeline string into its nodes and the first error (or None).

    Never raises. On an error the nodes are what was parsed before it, so a hover on a
    half-typed pipeline still finds the passes before the mistake.
    """
    parser = _Parser(text)
    error = parser.parse()
    return tuple(node.freeze() for node in parser.top), error


def leaves(nodes: Iterable[PipelineNode]) -> list[PipelineNode]:
    """The passes (nodes without children) in execution order."""
    found: list[PipelineNode] = []
    for node in nodes:
        if node.children:
            found.extend(leaves(node.children))
        else:
            found.append(node)
    return found


def render(nodes: Sequence[PipelineNode]) -> str:
    """The pipeline string for ``nodes``."""
    parts: list[str] = []
    for node in nodes:
        if node.children:
            parts.append(f"{node.text}({render(node.children)})")
        else:
            parts.append(node.text)
    return ",".join(parts)


def _keep_leaves(
    nodes: Sequence[PipelineNode], budget: int
) -> tuple[tuple[PipelineNode, ...], int]:
    """The first ``budget`` leaves of ``nodes`` with their adaptors; and what is left."""
    kept: list[PipelineNode] = []
    for node in nodes:
        if budget <= 0:
            break
        if node.children:
            children, budget = _keep_leaves(node.children, budget)
            if children:
                kept.append(PipelineNode(node.name, node.params, children, node.start, node.end))
        else:
            kept.append(node)
            budget -= 1
    return tuple(kept), budget


def truncate(nodes: Sequence[PipelineNode], leaf_index: int, inclusive: bool) -> str:
    """The pipeline that runs the passes before leaf ``leaf_index`` (and it, if inclusive).

    Adaptors are kept around the passes they still hold and dropped when empty, so
    ``function(sroa,instcombine)`` cut before ``instcombine`` is ``function(sroa)``.
    Returns ``""`` when no pass is left.
    """
    budget = leaf_index + 1 if inclusive else leaf_index
    kept, _ = _keep_leaves(nodes, budget)
    return render(kept)


def pass_names(text: str) -> list[str]:
    """The names (without parameters) of the passes in a pipeline string."""
    nodes, _ = parse_pipeline(text)
    return [node.name for node in leaves(nodes)]
