"""The values the module index is made of.

A name is identified by a *key*: its sigil and its unquoted name, ``"@f"``, ``"%x"``,
``"!5"``, ``"#0"``, ``"$c"``, except named types, whose key is ``"T"`` and the name
(``"Tstruct.S"``), because in text a type and a local value are both ``%name``. Local
values and basic blocks share one namespace in LLVM, so both are ``"%name"``.

Lines inside a :class:`FunctionIndex` are relative to the function's ``define`` line, so
an index of a function that did not change can be reused after an edit above it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from lsp_server.syntax.index_lex import spell
from lsp_server.syntax.span import Pos, Span


class Ref(NamedTuple):
    """One occurrence of a name: where it is written and whether it defines it."""

    key: str
    line: int
    start: int
    end: int
    is_def: bool

    def span(self, line_offset: int = 0) -> Span:
        """The occurrence's range, its line moved by ``line_offset``."""
        return Span(
            Pos(self.line + line_offset, self.start), Pos(self.line + line_offset, self.end)
        )


class LocalUse(NamedTuple):
    """A use of a local name inside an instruction, for the dominance check.

    ``phi_block`` is the key of the incoming block when the use is a ``phi`` operand;
    ``is_meta`` marks operands of ``metadata`` and debug records, which LLVM does not
    require to be dominated.
    """

    ref: int
    inst: int
    phi_block: str | None
    is_meta: bool


@dataclass(slots=True)
class Arg:
    """A function parameter: its key (``%0`` when unnamed), its text without the name
    (type and attributes), and its name's ref."""

    key: str
    type: str
    ref: int | None
    line: int
    end_col: int


@dataclass(slots=True)
class Inst:
    """An instruction: where it is, the block it belongs to, its opcode and result."""

    line: int
    end_line: int
    col: int
    block: int
    opcode: str
    result: str | None
    result_ref: int | None
    text: str


@dataclass(slots=True)
class Block:
    """A basic block: its key, label (``None`` when implicit), and instructions."""

    key: str
    label_ref: int | None
    line: int
    end_line: int
    first_inst: int
    end_inst: int
    succs: list[int] = field(default_factory=list)
    succ_labels: list[str] = field(default_factory=list)
    preds: list[int] = field(default_factory=list)


class Def(NamedTuple):
    """What a local key names: ``kind`` is ``arg``, ``value`` or ``block``; ``where`` indexes
    the function's args, instructions or blocks; ``ref`` is ``None`` for an implicit number."""

    kind: str
    where: int
    ref: int | None


class Problem(NamedTuple):
    """Something the indexer saw that LLVM would reject, found while reading."""

    code: str
    message: str
    line: int
    start: int
    end: int


@dataclass(slots=True)
class FunctionIndex:
    """Everything one ``define`` holds; lines are relative to its first line."""

    name: str
    n_lines: int
    args: list[Arg]
    blocks: list[Block]
    insts: list[Inst]
    refs: list[Ref]
    by_key: dict[str, list[int]]
    defs: dict[str, Def]
    uses: list[LocalUse]
    problems: list[Problem]
    body_line: int
    # Every numbered local in order: (key, whether its number is written).
    numbered: list[tuple[str, bool]]
    cfg_cache: dict[str, object] = field(default_factory=dict)

    def block_of_line(self, line: int) -> int | None:
        """The block whose lines hold relative ``line``, if any."""
        lo, hi = 0, len(self.blocks) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            block = self.blocks[mid]
            if line < block.line:
                hi = mid - 1
            elif line > block.end_line:
                lo = mid + 1
            else:
                return mid
        return None

    def inst_at_line(self, line: int) -> int | None:
        """The instruction covering relative ``line``, if any."""
        lo, hi = 0, len(self.insts) - 1
        while lo <= hi:
            mid = (lo + hi) // 2
            inst = self.insts[mid]
            if line < inst.line:
                hi = mid - 1
            elif line > inst.end_line:
                lo = mid + 1
            else:
                return mid
        return None


def display(key: str) -> str:
    """How a key is written in IR: ``Tstruct.S`` -> ``%struct.S``, ``%a b`` -> ``%"a b"``."""
    if key.startswith("T"):
        return spell("%", key[1:])
    if key.startswith("B"):
        return spell("%", key[1:])
    if key[0] in "%@$" or (key[0] == "!" and not key[1:].isdigit()):
        return spell(key[0], key[1:])
    return key
