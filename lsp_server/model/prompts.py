"""The four LLM Compiler prompts, byte for byte, and lenient parsers for their answers.

The models only work when prompted exactly as Meta's reference code does: the prompt starts
with ``[INST]``, nothing follows ``[/INST]``, no chat template is applied, and the code between
``<code>`` and ``</code>`` ends with a newline. The functions below fill the reference's
templates by concatenation rather than ``str.format`` because IR is full of braces; a unit
test checks each against the reference template, byte for byte.

The parsers never raise: model output is data, and an answer that is truncated or makes no
sense gives ``None`` fields and ``complete=False`` rather than an exception.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

CODE_STOP: list[str] = ["</code>"]
"""Stop strings that end generation at the close of the answer's code block.

OpenAI-compatible servers drop the stop string from the returned text, so an answer generated
with these stops has no ``</code>``: pass the completion's ``finish_reason`` to the parsers so
that they can tell a block closed by the stop string from a truncated one.
"""

PASS_LIST_STOP: list[str] = ["And the", "instruction count", "<code>"]
"""Stop strings that end a pass-list answer once the pipeline is complete.

The answer starts with the quoted pipeline and may go on with "And the LLVM-IR will have
instruction count N ..." and the optimised IR, which a suggestion does not need. Every stop
string comes after the pipeline, never inside it; none is a newline because answers often
start with whitespace. (Three strings: OpenAI's own API accepts at most four.)
"""


def _with_newline(text: str) -> str:
    return text if text.endswith("\n") else text + "\n"


def emulate_ir_prompt(ir: str, passes: str, ir_count: int, bin_size: int) -> str:
    """The prompt asking for the IR after ``opt -p passes`` (every checkpoint).

    ``ir_count`` is the input's instruction count and ``bin_size`` the ``text + data`` bytes
    of its -O0 object, as the models were trained.
    """
    return (
        "[INST] Give the LLVM-IR for the following code when optimized using opt -p '"
        + passes
        + "':\n\n<code>"
        + _with_newline(ir)
        + "</code>\n\nThe input code has instruction count "
        + str(ir_count)
        + " and binary size "
        + str(bin_size)
        + " bytes. [/INST]"
    )


def emulate_asm_prompt(ir: str, passes: str, ir_count: int, bin_size: int) -> str:
    """The prompt asking for the assembly after ``opt -p passes`` (every checkpoint)."""
    return (
        "[INST] Give the assembly for the following code when optimized using opt -p '"
        + passes
        + "':\n\n<code>"
        + _with_newline(ir)
        + "</code>\n\nThe input code has instruction count "
        + str(ir_count)
        + " and binary size "
        + str(bin_size)
        + " bytes. [/INST]"
    )


def pass_list_prompt(ir: str) -> str:
    """The prompt asking for a pass list that minimises object size (-ftd checkpoints)."""
    return (
        "[INST] Tell me how to optimize this LLVM-IR for object file size:\n\n<code>"
        + _with_newline(ir)
        + "</code> [/INST]"
    )


def disassemble_prompt(asm: str) -> str:
    """The prompt asking to lift assembly to LLVM-IR (-ftd checkpoints)."""
    return (
        "[INST] Disassemble this code to LLVM-IR:\n\n<code>"
        + _with_newline(asm)
        + "</code> [/INST]"
    )


# --- answers -------------------------------------------------------------------------------

_OPEN = "<code>"
_CLOSE = "</code>"

# "instruction count 8", also "instruction count of 8" / "instruction count: 8".
_COUNT_RE = re.compile(r"instruction\s+count\s*(?:of\s+|is\s+|[:=]\s*)?(\d+)", re.IGNORECASE)
# The training labels spell it "sise"; accept the dictionary spelling too.
_SIZE_RE = re.compile(r"binary\s+si[sz]e\s*(?:of\s+|is\s+|[:=]\s*)?(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class EmulationAnswer:
    """What an emulation answer says: the code after the passes and its predicted sizes.

    ``complete`` is true when the code block was closed; when it was cut off, ``code`` is the
    part that arrived.
    """

    code: str | None
    instruction_count: int | None
    binary_size: int | None
    complete: bool


@dataclass(frozen=True)
class PassListAnswer:
    """A suggested pipeline, as ``opt -p`` takes it, and its leaf pass names in order.

    ``passes`` drops parameters and pass-manager nesting: ``module(default<Oz>)`` gives
    ``("default",)``. ``complete`` is false when the pipeline was cut off.
    """

    pipeline: str | None
    passes: tuple[str, ...]
    complete: bool


def _strip_partial_close(text: str) -> str:
    """Drop a ``</code>`` that generation cut off part-way (``...\\n</co``)."""
    for n in range(len(_CLOSE) - 1, 0, -1):
        if text.endswith(_CLOSE[:n]):
            return text[:-n]
    return text


def _code_block(answer: str, finish_reason: str | None) -> tuple[str | None, bool, str]:
    """The ``<code>`` block's text, whether it was complete, and the text before it."""
    start = answer.find(_OPEN)
    if start < 0:
        return None, False, answer
    body_start = start + len(_OPEN)
    end = answer.find(_CLOSE, body_start)
    if end >= 0:
        return answer[body_start:end], True, answer[:start]
    # A server drops the stop string from its answer, so "</code>" is missing when generation
    # stopped on it; "stop" (rather than "length") says the block was finished.
    closed_by_stop = finish_reason == "stop"
    return _strip_partial_close(answer[body_start:]), closed_by_stop, answer[:start]


def parse_emulation(answer: str, *, finish_reason: str | None = None) -> EmulationAnswer:
    """Parse ``The LLVM-IR will have instruction count N and binary sise M bytes:<code>...``.

    Lenient: leading whitespace, ``size`` or ``sise``, "assembly" instead of "LLVM-IR", any
    wording around the two numbers. ``finish_reason`` is the completion's (``stop`` or
    ``length``); with ``stop``, a block without ``</code>`` counts as complete because the
    server removed the stop string. Never raises.
    """
    code, complete, head = _code_block(answer, finish_reason)
    count = _COUNT_RE.search(head)
    size = _SIZE_RE.search(head)
    return EmulationAnswer(
        code=code,
        instruction_count=int(count.group(1)) if count else None,
        binary_size=int(size.group(1)) if size else None,
        complete=complete,
    )


def parse_disassembly(answer: str, *, finish_reason: str | None = None) -> tuple[str | None, bool]:
    """The lifted IR inside the answer's ``<code>`` block, and whether the block was complete.

    ``finish_reason`` works as in :func:`parse_emulation`. Never raises.
    """
    code, complete, _ = _code_block(answer, finish_reason)
    return code, complete


# --- pass lists ----------------------------------------------------------------------------

# A pass or pass-manager name: "instcombine", "loop-mssa", "mem2reg", "print", "default".
_NAME_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]*\Z")
_QUOTES = "'\"`"
# opt's -p/-passes/--passes flag and its argument, quoted (to the end of the line, where the
# closing quote is looked for) or not.
_FLAG_RE = re.compile(
    r"(?:^|[\s`(])(?:--?passes\s*=?\s*|-p(?:\s*=\s*|\s+))(?P<arg>['\"`][^\n]*|[^\s'\"`]+)"
)
_LEGACY_FLAG_RE = re.compile(r"-{1,2}([A-Za-z][A-Za-z0-9_.\-]*)\Z")
_OPT_LEVEL_RE = re.compile(r"O[0-3sz]\Z")


def _scan_pipeline(text: str) -> tuple[list[str], bool] | None:
    """The leaf names of a pipeline and whether its brackets balance; None if it is no pipeline.

    The grammar is opt's: ``name[<params>][(pipeline)]`` separated by commas. A name followed
    by a parenthesised list is a pass manager (``module``, ``function<eager-inv>``,
    ``repeat<2>``), not a leaf. A truncated pipeline (unclosed ``<`` or ``(``) still yields
    the leaves seen so far, with ``balanced`` false.
    """
    leaves: list[str] = []
    depth = 0
    i = 0
    n = len(text)
    expect_name = True
    while i < n:
        if not expect_name:
            ch = text[i]
            if ch == ",":
                expect_name = True
            elif ch == ")":
                if depth == 0:
                    return None
                depth -= 1
            else:
                return None
            i += 1
            continue
        j = i
        while j < n and text[j] not in "<>(),":
            j += 1
        name = text[i:j]
        if not _NAME_RE.match(name):
            # A truncated answer may end inside a name; anything else is not a pipeline.
            return None
        i = j
        if i < n and text[i] == "<":
            angle = 0
            while i < n:
                if text[i] == "<":
                    angle += 1
                elif text[i] == ">":
                    angle -= 1
                    if angle == 0:
                        break
                elif text[i] in "()":
                    return None
                i += 1
            if i >= n:
                leaves.append(name)
                return leaves, False
            i += 1
        if i < n and text[i] == "(":
            depth += 1
            i += 1
            expect_name = True
            continue
        leaves.append(name)
        expect_name = False
    if expect_name:
        # Ends with "," or "(": a pipeline that was cut off, or "" which is none at all.
        return (leaves, False) if leaves or depth else None
    return leaves, depth == 0


def _from_legacy(text: str) -> str | None:
    """``-reg2mem -instcombine -Oz`` (legacy opt flags) as a new-pass-manager pipeline."""
    tokens = text.split()
    names = []
    for token in tokens:
        match = _LEGACY_FLAG_RE.match(token)
        if match is None:
            return None
        name = match.group(1)
        names.append(f"default<{name}>" if _OPT_LEVEL_RE.match(name) else name)
    return ",".join(names) if names else None


def _candidate(text: str, closed: bool) -> PassListAnswer | None:
    """``text`` as a pipeline, or None when it is not one."""
    text = text.strip()
    if not text:
        return None
    if any(ch.isspace() for ch in text):
        legacy = _from_legacy(text)
        if legacy is None:
            return None
        text = legacy
    scanned = _scan_pipeline(text)
    if scanned is None or not scanned[0]:
        return None
    leaves, balanced = scanned
    return PassListAnswer(pipeline=text, passes=tuple(leaves), complete=closed and balanced)


def _quoted_candidates(head: str) -> Iterator[tuple[str, bool]]:
    """Every quoted span of ``head`` in order, with whether its closing quote was there.

    Each quote character is tried as an opening quote in turn, so an apostrophe in prose
    ("don't use 'instcombine'") does not hide the pipeline after it. Quotes pair within a
    line; an open quote on the last line means generation was cut off. Linear in the text:
    the spans of one quote character never overlap more than their neighbours'.
    """
    lines = head.split("\n")
    for number, line in enumerate(lines):
        last = number == len(lines) - 1
        for i, ch in enumerate(line):
            if ch not in _QUOTES:
                continue
            end = line.find(ch, i + 1)
            if end >= 0:
                yield line[i + 1 : end], True
            elif last:
                yield line[i + 1 :], False


def parse_pass_list(answer: str, *, finish_reason: str | None = None) -> PassListAnswer:
    """Parse the pipeline a pass-list answer starts with.

    Accepted, first match wins: the argument of a ``-p``/``-passes=`` flag, quoted or not
    (``opt -p '...'``, ``-passes="..."``, ``-passes=a,b``); any quoted pipeline (``'module(...)'``,
    backticks); a bare pipeline (``instcombine,simplifycfg``) or legacy flag list
    (``-instcombine -Oz``) as the first line.
    Text after the pipeline (the predicted counts and IR) is ignored.

    ``complete`` is false when the closing quote or a bracket is missing. An unquoted list has
    no closing quote, so for it ``complete`` relies on ``finish_reason``: ``length`` means it
    may be cut off. Garbage gives ``pipeline=None``. Never raises.
    """
    text = answer.lstrip()
    head = text.split(_OPEN, 1)[0]
    unquoted_closed = finish_reason != "length"
    # An explicit flag wins over other quoted text: "-passes=sroa, it's 'great'" means sroa.
    for flag in _FLAG_RE.finditer(head):
        arg = flag.group("arg")
        if arg[0] in _QUOTES:
            end = arg.find(arg[0], 1)
            found = _candidate(arg[1:end], True) if end > 0 else _candidate(arg[1:], False)
        else:
            runs_to_the_end = flag.end("arg") == len(text)
            found = _candidate(arg, unquoted_closed or not runs_to_the_end)
        if found is not None:
            return found
    for span, closed in _quoted_candidates(head):
        found = _candidate(span, closed)
        if found is not None:
            return found
    first_line = head.split("\n", 1)[0]
    line_ends_answer = first_line == text
    found = _candidate(first_line, unquoted_closed or not line_ends_answer)
    if found is not None and all(
        ch.islower() or ch.isdigit() or ch in "-_." for ch in found.passes[0]
    ):
        # Prose that happens to be one word ("Sorry") is not a pass list; pass names are
        # lower case.
        return found
    return PassListAnswer(pipeline=None, passes=(), complete=False)
