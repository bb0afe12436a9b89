"""The outline of an LLVM IR module: functions, globals and module-level strings.

This is not an IR parser. It finds the top-level entities by scanning lines, which is
enough to say which function a cursor is in, where ``@name`` is defined, and what the
module's triple is, on any text an editor may hold (half-typed, broken, huge), in time
linear in its size. Validity is ``llvm-as``'s business, not this module's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.syntax.index_lex import unquote_name
from lsp_server.syntax.span import Pos, Span, line_span, split_lines

# A global name: `@foo`, `@foo.bar$1`, `@123` or `@"any text"`. LLVM escapes a quote or
# a non-printable byte inside a quoted name as `\XX` (two hex digits), so a quoted name
# never contains a bare `"`.
_GLOBAL_REF = re.compile(r'@(?:"([^"]*)"?|([-a-zA-Z$._0-9]+))')

# Top-level keywords that can only start a new entity; seeing one at column 0 inside a
# function body means its closing brace is missing.
_TOP_LEVEL = re.compile(
    r"(?:define|declare|attributes|target|source_filename|uselistorder_bb|module\s+asm)\b"
    r'|[@!$](?:"[^"]*"|[-\w.$]*)\s*='
)
_DEFINE = re.compile(r"\s*define\b")
_DECLARE = re.compile(r"\s*declare\b")
_GLOBAL_DEF = re.compile(r'\s*@(?:"[^"]*"|[-a-zA-Z$._0-9]+)\s*=')
_GLOBAL_KIND = re.compile(r"\b(global|constant|alias|ifunc)\b")
_TARGET = re.compile(r'\s*target\s+(triple|datalayout)\s*=\s*"([^"]*)"')
_SOURCE_FILENAME = re.compile(r'\s*source_filename\s*=\s*"([^"]*)"')
# Strings and comments are skipped when counting braces; LLVM strings have no
# backslash-escaped quotes, so a string ends at the next `"`.
_BRACE_TOKEN = re.compile(r'"[^"]*"?|;.*|[{}]')
_BRACKET_TOKEN = re.compile(r'"[^"]*"?|;.*|[{}()\[\]<>]')

# A function header longer than this many lines is not a header; give up looking.
_MAX_HEADER_LINES = 32


@dataclass(frozen=True)
class IrFunction:
    """A function: ``define`` (with its body) or ``declare``."""

    name: str
    is_definition: bool
    span: Span
    name_span: Span


@dataclass(frozen=True)
class IrGlobal:
    """A global variable, constant, alias or ifunc; ``kind`` names which."""

    name: str
    kind: str
    span: Span
    name_span: Span


@dataclass(frozen=True)
class IrModule:
    """The outline of a module, in text order."""

    functions: tuple[IrFunction, ...]
    globals: tuple[IrGlobal, ...]
    target_triple: str | None
    datalayout: str | None
    source_filename: str | None


def _name_of(match: re.Match[str]) -> str:
    quoted = match.group(1)
    return unquote_name(quoted) if quoted is not None else match.group(2)


def _brace_delta(line: str, start: int = 0) -> tuple[int, bool]:
    """Net ``{`` minus ``}`` in ``line[start:]``, and whether any ``{`` was seen."""
    if "{" not in line and "}" not in line:
        return 0, False
    delta = 0
    opened = False
    for match in _BRACE_TOKEN.finditer(line, start):
        token = match.group()
        if token == "{":
            delta += 1
            opened = True
        elif token == "}":
            delta -= 1
    return delta, opened


def _bracket_delta(line: str, start: int = 0) -> int:
    """Net opening minus closing brackets of any kind in ``line[start:]``."""
    delta = 0
    for match in _BRACKET_TOKEN.finditer(line, start):
        token = match.group()
        if token in "{([<":
            delta += 1
        elif token in "})]>":
            delta -= 1
    return delta


def _is_top_level(line: str) -> bool:
    return bool(line) and not line[0].isspace() and _TOP_LEVEL.match(line) is not None


#: Whether a line starts a new top-level entity, and a line's net braces (public for the
#: module index).
is_top_level = _is_top_level
brace_delta = _brace_delta


def _last_content_line(lines: list[str], first: int, last: int) -> int:
    """The last line in ``[first, last]`` that is not blank, or ``first``."""
    while last > first and not lines[last].strip():
        last -= 1
    return last


class _Scanner:
    """One pass over the lines; collects the outline."""

    def __init__(self, text: str) -> None:
        self.lines = split_lines(text)
        self.functions: list[IrFunction] = []
        self.globals: list[IrGlobal] = []
        self.triple: str | None = None
        self.datalayout: str | None = None
        self.source_filename: str | None = None

    def run(self) -> IrModule:
        index = 0
        count = len(self.lines)
        while index < count:
            line = self.lines[index]
            stripped = line.lstrip()
            if not stripped or stripped[0] == ";":
                index += 1
                continue
            if _DEFINE.match(line):
                index = self._function(index, is_definition=True)
            elif _DECLARE.match(line):
                index = self._function(index, is_definition=False)
            elif stripped[0] == "@" and _GLOBAL_DEF.match(line):
                index = self._global(index)
            else:
                self._module_string(line)
                index += 1
        return IrModule(
            functions=tuple(self.functions),
            globals=tuple(self.globals),
            target_triple=self.triple,
            datalayout=self.datalayout,
            source_filename=self.source_filename,
        )

    def _module_string(self, line: str) -> None:
        target = _TARGET.match(line)
        if target is not None:
            if target.group(1) == "triple":
                self.triple = target.group(2)
            else:
                self.datalayout = target.group(2)
            return
        source = _SOURCE_FILENAME.match(line)
        if source is not None:
            self.source_filename = source.group(1)

    def _function(self, index: int, *, is_definition: bool) -> int:
        """Record the function whose header starts at ``index``; return the next line."""
        lines = self.lines
        first = index
        start_col = len(lines[first]) - len(lines[first].lstrip())
        # The name is the first `@` token of the header, which may (rarely) continue
        # on the following lines.
        name_match: re.Match[str] | None = None
        name_line = index
        limit = min(len(lines), index + _MAX_HEADER_LINES)
        for name_line in range(index, limit):
            if name_line > index and _is_top_level(lines[name_line]):
                break
            name_match = _GLOBAL_REF.search(
                lines[name_line], start_col if name_line == index else 0
            )
            if name_match is not None:
                break
        if name_match is None:
            return index + 1
        name = _name_of(name_match)
        name_span = line_span(name_line, name_match.start(), name_match.end())
        if not is_definition:
            last = name_line
            span = Span(Pos(first, start_col), Pos(last, len(lines[last])))
            self.functions.append(IrFunction(name, False, span, name_span))
            return last + 1
        last = self._body_end(name_line, name_match.end())
        span = Span(Pos(first, start_col), Pos(last, len(lines[last])))
        self.functions.append(IrFunction(name, True, span, name_span))
        return last + 1

    def _body_end(self, line_index: int, col: int) -> int:
        """The line of the ``}`` that closes the body opened after ``(line_index, col)``.

        Without a matching ``}`` the body ends before the next top-level entity, or at
        the end of the text.
        """
        lines = self.lines
        depth, opened = _brace_delta(lines[line_index], col)
        if opened and depth <= 0:
            return line_index
        current = line_index + 1
        count = len(lines)
        while current < count:
            line = lines[current]
            if _is_top_level(line):
                return _last_content_line(lines, line_index, current - 1)
            delta, saw_open = _brace_delta(line)
            opened = opened or saw_open
            depth += delta
            if opened and depth <= 0:
                return current
            current += 1
        return _last_content_line(lines, line_index, count - 1)

    def _global(self, index: int) -> int:
        lines = self.lines
        line = lines[index]
        name_match = _GLOBAL_REF.search(line)
        if name_match is None:  # _GLOBAL_DEF matched, so this cannot happen; stay safe.
            return index + 1
        kind_match = _GLOBAL_KIND.search(line, line.find("=", name_match.end()) + 1)
        kind = kind_match.group(1) if kind_match is not None else "variable"
        if kind == "global":
            kind = "variable"
        # An initializer can be split over several lines in hand-written IR; follow it
        # while its brackets are open.
        last = index
        depth = _bracket_delta(line, name_match.end())
        while depth > 0 and last + 1 < len(lines) and not _is_top_level(lines[last + 1]):
            last += 1
            depth += _bracket_delta(lines[last])
        start_col = name_match.start()
        span = Span(Pos(index, start_col), Pos(last, len(lines[last])))
        name_span = line_span(index, name_match.start(), name_match.end())
        self.globals.append(IrGlobal(_name_of(name_match), kind, span, name_span))
        return last + 1


def parse_module(text: str) -> IrModule:
    """Outline ``text`` as an IR module. Never raises; unknown lines are ignored."""
    return _Scanner(text).run()


def function_at(module: IrModule, line: int) -> IrFunction | None:
    """The function definition whose span holds ``line``, if any."""
    for function in module.functions:
        if function.is_definition and function.span.contains_line(line):
            return function
    return None


def global_ref_at(text: str, line: int, col: int) -> str | None:
    """The ``@name`` under the cursor (its name, without ``@`` and unquoted), if any.

    The cursor may be anywhere on the token, including just after its last character,
    where editors put it after a double click.
    """
    lines = split_lines(text)
    if not 0 <= line < len(lines):
        return None
    current = lines[line]
    for match in _GLOBAL_REF.finditer(current):
        if match.start() > col:
            break
        if col <= match.end():
            return _name_of(match)
    return None


def find_definition(module: IrModule, name: str) -> Span | None:
    """Where ``@name`` is defined: its name token, preferring a definition to a declaration."""
    for function in module.functions:
        if function.is_definition and function.name == name:
            return function.name_span
    for variable in module.globals:
        if variable.name == name:
            return variable.name_span
    for function in module.functions:
        if function.name == name:
            return function.name_span
    return None
