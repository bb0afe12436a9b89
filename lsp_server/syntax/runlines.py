"""lit ``RUN:`` lines and the pass pipelines written in comments.

A RUN line is a comment (``;``, ``//`` or ``#``) holding ``RUN:``; a trailing ``\\``
joins it with the next RUN line's text, exactly as lit does, so :attr:`RunLine.command`
is the command lit would run (before substituting ``%s``).

Pipelines come in two spellings: the new pass manager's ``-passes=``/``-p`` string
(kind ``"passes"``), and the legacy ``opt -instcombine -simplifycfg`` or ``opt -O2``
flags (kind ``"legacy"``), which are translated to the equivalent pipeline string. Every
pass occurrence remembers where it is written in the file, so a hover can find it.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from lsp_server.syntax.legacy import legacy_passes
from lsp_server.syntax.pipeline import PipelineNode, leaves, parse_pipeline
from lsp_server.syntax.shell import Stage, Word, read_word, split_commands, tokenize
from lsp_server.syntax.span import Pos, Span, split_lines

_RUN = re.compile(r"\s*(?:;+|//+|#+)\s*RUN:")
_COMMENT = re.compile(r"\s*(?:;|//|#)")
_OPT_IN_PROSE = re.compile(r"(?<![\w./%-])opt(?:-\d+)?(?=\s)")
# Pipeline flags in prose: `-passes=` anywhere; `-p=`, or `-p`/`-passes` and a quoted
# value, only after the word `opt`.
_PROSE_FLAG = re.compile(
    r"(?<![\w-])--?passes="
    r"|(?<![\w-])(?P<p>--?p=)"
    r"|(?<![\w-])--?(?:p|passes)(?P<separate>\s+)(?=['\"])"
)
_OPT_TOOL = re.compile(r"opt(?:-\d+(?:\.\d+)*)?(?:\.exe)?")
_FILECHECK_TOOL = re.compile(r"FileCheck(?:-\d+(?:\.\d+)*)?(?:\.exe)?")


@dataclass(frozen=True)
class PassRef:
    """One pass occurrence: the leaf ``leaf_index`` of its pipeline, written at ``span``."""

    name: str
    params: str | None
    span: Span
    leaf_index: int


@dataclass(frozen=True)
class PipelineRef:
    """A pipeline written in the file.

    ``text`` is the new-PM pipeline string (for ``"legacy"`` the translation of the
    flags); ``span`` covers where it is written; ``run_line`` is the index into
    :func:`parse_run_lines`' result, or None for a plain comment.
    """

    text: str
    kind: str
    nodes: tuple[PipelineNode, ...]
    passes: tuple[PassRef, ...]
    span: Span
    run_line: int | None
    error: str | None


@dataclass(frozen=True)
class RunLine:
    """One logical lit command, from ``first_line`` through ``last_line``."""

    command: str
    first_line: int
    last_line: int
    tool: str | None
    pipelines: tuple[PipelineRef, ...]
    negated: bool
    reads_stdin_file: bool
    prints_ir: bool
    check_prefixes: tuple[str, ...]
    filecheck: bool


class _OffsetMap:
    """Maps offsets in a joined command back to file positions."""

    def __init__(self, segments: Sequence[tuple[int, int, int]]) -> None:
        # (command offset, file line, file column) where each physical piece starts.
        self.segments = list(segments)
        self.keys = [segment[0] for segment in self.segments]

    def pos(self, offset: int) -> Pos:
        index = max(bisect.bisect_right(self.keys, offset) - 1, 0)
        start, line, col = self.segments[index]
        return Pos(line, col + offset - start)

    def span(self, start: int, end: int) -> Span:
        first = self.pos(start)
        # The end is exclusive: map the last character and step past it, so a pass at
        # the end of one physical line does not end on the next one.
        last = self.pos(end - 1) if end > start else first
        return Span(first, Pos(last.line, last.col + (1 if end > start else 0)))


def _basename(word: str) -> str:
    return word.rsplit("/", 1)[-1]


def _is_opt(word: str) -> bool:
    return _OPT_TOOL.fullmatch(_basename(word)) is not None


def _is_filecheck(word: str) -> bool:
    return _FILECHECK_TOOL.fullmatch(_basename(word)) is not None


def _command_words(stage: Stage) -> tuple[list[Word], bool]:
    """The stage's words after ``not`` (and its ``--crash``), and whether it was negated."""
    words = stage.words
    negated = False
    index = 0
    while index < len(words) and words[index].value == "not":
        negated = not negated
        index += 1
        while index < len(words) and words[index].value == "--crash":
            index += 1
    return words[index:], negated


def _passes_ref(
    word: Word, value_start: int, offsets: _OffsetMap, run_line: int | None
) -> PipelineRef:
    """A ``"passes"`` pipeline from ``word.value[value_start:]``."""
    text = word.value[value_start:]
    nodes, error = parse_pipeline(text)
    passes = []
    for index, leaf in enumerate(leaves(nodes)):
        start, end = word.span_of(value_start + leaf.start, value_start + leaf.end)
        passes.append(PassRef(leaf.name, leaf.params, offsets.span(start, end), index))
    start, end = word.span_of(value_start, len(word.value))
    return PipelineRef(
        text=text,
        kind="passes",
        nodes=nodes,
        passes=tuple(passes),
        span=offsets.span(start, end),
        run_line=run_line,
        error=error,
    )


def _pipeline_flag(words: list[Word], index: int, allow_p: bool) -> tuple[Word, int] | None:
    """If ``words[index]`` starts a pipeline flag: the word holding it, and where it begins."""
    value = words[index].value
    if not value.startswith("-"):
        return None
    name, equals, _ = value.lstrip("-").partition("=")
    if value.startswith("---") or name not in ("passes", "p") or (name == "p" and not allow_p):
        return None
    if equals:
        return words[index], value.index("=") + 1
    if index + 1 < len(words):
        return words[index + 1], 0
    return None


def _legacy_ref(words: list[Word], offsets: _OffsetMap, run_line: int | None) -> PipelineRef | None:
    """The pipeline that legacy pass flags (``-instcombine``, ``-O2``) spell, if any."""
    found = legacy_passes(words)
    if not found:
        return None
    text = ",".join(name if params is None else f"{name}<{params}>" for name, params, _ in found)
    nodes, error = parse_pipeline(text)
    passes = tuple(
        PassRef(name, params, offsets.span(word.start, word.end), index)
        for index, (name, params, word) in enumerate(found)
    )
    span = offsets.span(found[0][2].start, found[-1][2].end)
    return PipelineRef(text, "legacy", nodes, passes, span, run_line, error)


def _stage_pipelines(
    words: list[Word], is_opt: bool, offsets: _OffsetMap, run_line: int | None
) -> list[PipelineRef]:
    """The pipelines one command passes: ``-passes``/``-p`` values, else legacy flags."""
    refs: list[PipelineRef] = []
    for index in range(len(words)):
        flag = _pipeline_flag(words, index, allow_p=is_opt)
        if flag is not None:
            refs.append(_passes_ref(flag[0], flag[1], offsets, run_line))
    if not refs and is_opt:
        legacy = _legacy_ref(words[1:], offsets, run_line)
        if legacy is not None:
            refs.append(legacy)
    return refs


def _check_prefixes(words: list[Word]) -> list[str]:
    prefixes: list[str] = []
    for index, word in enumerate(words):
        name, equals, value = word.value.lstrip("-").partition("=")
        if not word.value.startswith("-") or name not in ("check-prefix", "check-prefixes"):
            continue
        if not equals:
            value = words[index + 1].value if index + 1 < len(words) else ""
        prefixes.extend(part for part in value.split(",") if part)
    return prefixes


def _run_line(command: str, first: int, last: int, offsets: _OffsetMap, run_index: int) -> RunLine:
    sequences = split_commands(tokenize(command))
    tool: str | None = None
    negated = False
    reads_stdin = False
    prints_ir = False
    filecheck = False
    prefixes: list[str] = []
    pipelines: list[PipelineRef] = []
    first_stage = True
    for sequence in sequences:
        for stage in sequence:
            words, stage_negated = _command_words(stage)
            if not words:
                continue
            is_opt = _is_opt(words[0].value)
            if first_stage:
                first_stage = False
                tool = _basename(words[0].value)
                negated = stage_negated
                values = {word.value for word in words[1:]}
                prints_ir = bool(values & {"-S", "--S"}) and not bool(
                    values & {"-disable-output", "--disable-output"}
                )
                reads_stdin = any(
                    kind == "<" and target is not None and target.value == "%s"
                    for kind, target in stage.redirects
                )
            if _is_filecheck(words[0].value):
                filecheck = True
                prefixes.extend(p for p in _check_prefixes(words[1:]) if p not in prefixes)
                continue
            pipelines.extend(_stage_pipelines(words, is_opt, offsets, run_index))
    if filecheck and not prefixes:
        prefixes = ["CHECK"]
    return RunLine(
        command=command,
        first_line=first,
        last_line=last,
        tool=tool,
        pipelines=tuple(pipelines),
        negated=negated,
        reads_stdin_file=reads_stdin,
        prints_ir=prints_ir,
        check_prefixes=tuple(prefixes),
        filecheck=filecheck,
    )


class _Joiner:
    """Accumulates the physical pieces of one logical RUN command."""

    def __init__(self, piece: str, number: int, col: int) -> None:
        # Pieces are kept in a list: joining thousands of continued lines by repeated
        # string concatenation would copy the command each time.
        self.pieces = [piece]
        self.length = len(piece)
        self.first = self.last = number
        self.segments = [(0, number, col)]

    def continues(self) -> bool:
        return self.pieces[-1].endswith("\\")

    def append(self, piece: str, number: int, col: int) -> None:
        self.pieces[-1] = self.pieces[-1][:-1]
        self.length -= 1
        self.segments.append((self.length, number, col))
        self.pieces.append(piece)
        self.length += len(piece)
        self.last = number

    def finish(self) -> tuple[str, int, int, _OffsetMap]:
        body = "".join(self.pieces)
        if body.endswith("\\"):
            body = body[:-1]
        lead = len(body) - len(body.lstrip())
        shifted = [(start - lead, line, col) for start, line, col in self.segments]
        return body.strip(), self.first, self.last, _OffsetMap(shifted)


def _collect_run_lines(lines: list[str]) -> list[tuple[str, int, int, _OffsetMap]]:
    """Join physical RUN lines into logical commands, as lit does: a trailing ``\\``
    is dropped and the next RUN line's text appended as it is."""
    commands: list[tuple[str, int, int, _OffsetMap]] = []
    pending: _Joiner | None = None
    for number, line in enumerate(lines):
        if "RUN:" not in line:
            continue
        match = _RUN.match(line)
        if match is None:
            continue
        piece = line[match.end() :].rstrip()
        if pending is not None and pending.continues():
            pending.append(piece, number, match.end())
            continue
        if pending is not None:
            commands.append(pending.finish())
        pending = _Joiner(piece, number, match.end())
    if pending is not None:
        commands.append(pending.finish())
    return commands


def parse_run_lines(text: str) -> list[RunLine]:
    """The logical RUN commands of a test file, in order. Never raises."""
    lines = split_lines(text)
    return [
        _run_line(command, first, last, offsets, index)
        for index, (command, first, last, offsets) in enumerate(_collect_run_lines(lines))
    ]


def _trim_prose(word: Word) -> Word:
    """Drop the punctuation a sentence adds after a flag (``-passes=gvn,dse.``, ``(see
    -passes=sroa)``); a pipeline never ends in it."""
    value = word.value
    end = len(value)
    while end > 0:
        last = value[end - 1]
        if last in ".,;:!?" or (
            last == ")" and value.count("(", 0, end) < value.count(")", 0, end)
        ):
            end -= 1
        else:
            break
    return Word(value[:end], word.offsets[:end], word.start, word.end)


def _comment_pipelines(line: str, number: int) -> list[PipelineRef]:
    """Pipelines written in a plain comment: ``-passes=...`` anywhere, and ``-p=...``,
    ``-p '...'`` or ``-passes '...'`` after the word ``opt``."""
    offsets = _OffsetMap([(0, number, 0)])
    refs: list[PipelineRef] = []
    opt = _OPT_IN_PROSE.search(line)
    after_opt = len(line) if opt is None else opt.end()
    consumed = 0
    for match in _PROSE_FLAG.finditer(line):
        # A flag inside the quoted value of the previous one is text, not a flag; this
        # also keeps a line of a thousand unclosed quotes linear.
        if match.start() < consumed:
            continue
        separate = match.group("separate")
        if separate is None and match.group("p") is None:
            word = read_word(line, match.start())
        elif match.start() < after_opt:
            continue
        elif separate is not None:
            # In prose a separate value counts only when quoted: "opt and -p but ..."
            # is English.
            word = read_word(line, match.end())
        else:
            word = read_word(line, match.start())
        consumed = word.end
        value_start = 0 if separate is not None else word.value.find("=") + 1
        refs.append(_passes_ref(_trim_prose(word), value_start, offsets, None))
    return refs


def find_pipelines(text: str) -> list[PipelineRef]:
    """Every pipeline in RUN lines and in other comments, in text order. Never raises."""
    lines = split_lines(text)
    commands = _collect_run_lines(lines)
    run_line_numbers: set[int] = set()
    found: list[PipelineRef] = []
    for index, (command, first, last, offsets) in enumerate(commands):
        run_line_numbers.update(range(first, last + 1))
        found.extend(_run_line(command, first, last, offsets, index).pipelines)
    for number, line in enumerate(lines):
        if "passes" not in line and "opt" not in line:
            continue
        if number in run_line_numbers or _RUN.match(line) or not _COMMENT.match(line):
            continue
        found.extend(_comment_pipelines(line, number))
    found.sort(key=lambda ref: (ref.span.start, ref.span.end))
    return found


def pass_at(text: str, line: int, col: int) -> tuple[PipelineRef, PassRef] | None:
    """The pass written under the cursor, with its pipeline; the cursor may also sit
    just after the pass (where a double click leaves it)."""
    lines = split_lines(text)
    if not 0 <= line < len(lines) or not _COMMENT.match(lines[line]):
        return None
    touching: tuple[PipelineRef, PassRef] | None = None
    for pipeline in find_pipelines(text):
        if not pipeline.span.contains_line(line):
            continue
        for ref in pipeline.passes:
            if ref.span.contains(line, col):
                return pipeline, ref
            if touching is None and ref.span.end == Pos(line, col):
                touching = (pipeline, ref)
    return touching
