"""What a lift produced, and the ``.lifted.ll`` document that shows it honestly.

The document is the joined module under a header comment stating the source file, the
triple, the model, and for every function whether the round trip was exact, similar (with
its BLEU score and first difference) or failed (and why). Answers that are not valid IR
are appended as comments, marked as such, so nothing that failed passes for checked IR.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

EXACT = "exact"
SIMILAR = "similar"
FAILED = "failed"


@dataclass(frozen=True)
class FunctionReport:
    """One input function's outcome. Lines are 0-based lines of the original text."""

    name: str
    status: str  # EXACT | SIMILAR | FAILED
    detail: str
    label_line: int
    first_line: int
    last_line: int
    score: float | None = None
    opt_level: str | None = None
    difference_line: int | None = None

    def summary(self) -> str:
        if self.status == EXACT:
            return f"exact (llc -{self.opt_level})"
        if self.status == SIMILAR:
            return f"similar, BLEU {self.score:.3f} (llc -{self.opt_level}); {self.detail}"
        return f"failed: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "detail": self.detail,
            "score": self.score,
            "optLevel": self.opt_level,
            "line": self.label_line,
        }


@dataclass(frozen=True)
class PieceReport:
    """One prompt's outcome: the functions it held, and the model's IR if there was any."""

    functions: tuple[str, ...]
    whole_file: bool
    status: str
    problem: str | None = None
    ir: str | None = None
    valid_ir: bool = False
    opt_level: str | None = None
    score: float | None = None
    exact: bool = False
    ir_triple: str | None = None
    seconds: float = 0.0
    cached: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "functions": list(self.functions),
            "wholeFile": self.whole_file,
            "status": self.status,
            "problem": self.problem,
            "optLevel": self.opt_level,
            "score": self.score,
            "exact": self.exact,
            "seconds": round(self.seconds, 3),
            "cached": self.cached,
        }


@dataclass(frozen=True)
class LiftResult:
    """A lift's outcome. With ``error`` set nothing was lifted and there is no document."""

    error: str | None = None
    source: str = ""
    triple: str | None = None
    triple_source: str | None = None
    model: str | None = None
    llvm_version: str | None = None
    functions: tuple[FunctionReport, ...] = ()
    pieces: tuple[PieceReport, ...] = ()
    module: str | None = None
    join_problem: str | None = None
    notes: tuple[str, ...] = field(default=())
    #: The pieces that went into the module (their functions, and their IR as kept: what
    #: failed withdrawn); the others are shown as comments.
    kept: tuple[tuple[tuple[str, ...], str], ...] = ()

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def document(self) -> str | None:
        """The ``.lifted.ll`` text, or None when nothing was lifted."""
        return render_document(self) if self.ok else None

    def counts(self) -> dict[str, int]:
        found = {EXACT: 0, SIMILAR: 0, FAILED: 0}
        for fn in self.functions:
            found[fn.status] += 1
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "error": self.error,
            "source": self.source,
            "triple": self.triple,
            "tripleSource": self.triple_source,
            "model": self.model,
            "llvmVersion": self.llvm_version,
            "functions": [fn.to_json() for fn in self.functions],
            "pieces": [piece.to_json() for piece in self.pieces],
            "joinProblem": self.join_problem,
            "notes": list(self.notes),
        }


def _comment(text: str) -> list[str]:
    return [f"; {line}".rstrip() for line in text.splitlines()] or [";"]


def render_header(result: LiftResult) -> str:
    """The header comment: what was lifted, from where, by what, and how faithfully."""
    lines = [
        f"Lifted to LLVM IR by irlens from {result.source}.",
        f"Target: {result.triple} ({result.triple_source}).",
        f"Model: {result.model or 'unknown'}. This IR is the model's answer, not a "
        "decompiler's proof;",
        f"it was checked with the local LLVM {result.llvm_version}: llvm-as, the verifier, "
        "then llc back to assembly",
        'for the same target, compared with the input after normalisation (.file "-", no .ident).',
        "Round trip, per function:",
    ]
    if not result.functions:
        lines.append("  (no functions were recognised in the input)")
    for fn in result.functions:
        lines.append(f"  {fn.name}: {fn.summary()}")
    if len(result.pieces) > 1:
        lines.append(
            f"The file was lifted in {len(result.pieces)} pieces, one per function "
            "(it does not fit the model's context in one)"
            + ("; they were joined with llvm-link." if result.module else ".")
        )
    elif len(result.pieces) == 1 and result.pieces[0].status != FAILED:
        piece = result.pieces[0]
        if piece.whole_file and piece.score is not None:
            whole = "exact" if piece.exact else f"BLEU {piece.score:.3f}"
            lines.append(f"Whole file round trip: {whole} (llc -{piece.opt_level}).")
    if result.join_problem:
        lines.append(f"Not joined: {result.join_problem}.")
    lines.extend(result.notes)
    return "\n".join(line for text in lines for line in _comment(text)) + "\n"


def render_document(result: LiftResult) -> str:
    """Header, the module (or the kept pieces apart), and failed answers as comments."""
    parts = [render_header(result)]
    if result.module is not None:
        parts.append(result.module if result.module.endswith("\n") else result.module + "\n")
    else:
        for functions, ir in result.kept:
            parts.append(f"; ---- lifted from {', '.join(functions) or 'the file'}\n")
            parts.append(ir if ir.endswith("\n") else ir + "\n")
    kept = {functions for functions, _ in result.kept}
    for piece in result.pieces:
        if piece.ir is not None and piece.functions not in kept:
            what = ", ".join(piece.functions) or "the file"
            why = (
                f"which is not valid IR: {piece.problem}"
                if not piece.valid_ir
                else f"which did not compile back: {piece.problem or 'its round trip failed'}"
            )
            note = (
                f"---- The model's answer for {what}, {why}\n"
                "It is kept as a comment for reference; it is not part of the module."
            )
            parts.append("\n" + "\n".join(_comment(note)) + "\n")
            parts.append("\n".join(_comment(piece.ir)) + "\n")
    return "\n".join(part.rstrip("\n") for part in parts) + "\n"
