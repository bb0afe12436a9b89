"""Semantic token classification for LLVM IR and assembly.

Each token is ``(line, column, length, type, modifiers)`` with ``type`` an index into
:data:`TOKEN_TYPES` and ``modifiers`` a bit set over :data:`TOKEN_MODIFIERS`; columns
and lengths are in ``str`` indices. The legend uses LSP's standard token types where one
fits (``function``, ``variable``, ``parameter``, ``type``, ``keyword``, ``modifier``,
``decorator``, ``property``, ``number``, ``string``, ``comment``, ``macro``) and VS Code's
``label`` for blocks and labels.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from lsp_server.syntax.asm_lex import strip_comment
from lsp_server.syntax.index import ModuleIndex
from lsp_server.syntax.index_lex import name_of
from lsp_server.syntax.span import split_lines

TOKEN_TYPES = (
    "function",
    "variable",
    "parameter",
    "label",
    "type",
    "keyword",
    "modifier",
    "decorator",
    "property",
    "number",
    "string",
    "comment",
    "macro",
)
TOKEN_MODIFIERS = ("declaration", "defaultLibrary", "readonly")

(
    FUNCTION,
    VARIABLE,
    PARAMETER,
    LABEL,
    TYPE,
    KEYWORD,
    MODIFIER,
    DECORATOR,
    PROPERTY,
    NUMBER,
    STRING,
    COMMENT,
    MACRO,
) = range(len(TOKEN_TYPES))
DECLARATION, DEFAULT_LIBRARY, READONLY = 1, 2, 4


class Token(NamedTuple):
    """One classified token."""

    line: int
    col: int
    length: int
    type: int
    modifiers: int


_IR_TOKEN = re.compile(
    r'(?P<c>;.*)|(?P<s>c?"[^"]*"?)'
    r'|(?P<g>@(?:"[^"]*"?|[-a-zA-Z$._0-9]+))'
    r'|(?P<l>%(?:"[^"]*"?|[-a-zA-Z$._0-9]+))'
    r'|(?P<m>!(?:"[^"]*"?|[-a-zA-Z$._0-9\\]+))'
    r"|(?P<a>#[0-9]+|#dbg_\w+)"
    r'|(?P<d>\$(?:"[^"]*"?|[-a-zA-Z$._0-9]+))'
    r"|(?P<n>-?(?:0x[0-9A-Fa-f]+|[us]0x[0-9A-Fa-f]+|\d+(?:\.\d+)?(?:[eE][-+]?\d+)?))"
    r"|(?P<w>[A-Za-z_][\w.]*)"
)
_IR_LABEL = re.compile(r'(?:[-a-zA-Z$._0-9]+|"[^"]*"):')
_TYPES = re.compile(
    r"i\d+|ptr|void|half|bfloat|float|double|fp128|x86_fp80|ppc_fp128|x86_amx|x86_mmx|label|"
    r"metadata|token|opaque|vscale"
)
_CONSTANTS = frozenset(["true", "false", "null", "undef", "poison", "zeroinitializer", "none"])
_ATTRIBUTES = frozenset(
    [
        "noundef",
        "nonnull",
        "noalias",
        "nocapture",
        "readonly",
        "readnone",
        "writeonly",
        "nounwind",
        "noinline",
        "alwaysinline",
        "optnone",
        "uwtable",
        "norecurse",
        "willreturn",
        "nofree",
        "nosync",
        "mustprogress",
        "speculatable",
        "cold",
        "hot",
        "returned",
        "signext",
        "zeroext",
        "inreg",
        "byval",
        "sret",
        "align",
        "dereferenceable",
        "dereferenceable_or_null",
        "immarg",
        "nocallback",
        "noreturn",
        "memory",
        "local_unnamed_addr",
        "unnamed_addr",
        "dso_local",
        "dso_preemptable",
        "private",
        "internal",
        "external",
        "linkonce",
        "linkonce_odr",
        "weak",
        "weak_odr",
        "common",
        "appending",
        "extern_weak",
        "available_externally",
        "hidden",
        "protected",
        "default",
        "thread_local",
        "fast",
        "nnan",
        "ninf",
        "nsz",
        "arcp",
        "contract",
        "afn",
        "reassoc",
        "nuw",
        "nsw",
        "exact",
        "inbounds",
        "disjoint",
        "nneg",
        "volatile",
        "ssp",
        "sspstrong",
        "sspreq",
        "nonlazybind",
        "argmemonly",
        "inaccessiblememonly",
        "allocsize",
        "allockind",
        "allocptr",
        "convergent",
        "builtin",
        "nobuiltin",
        "minsize",
        "optsize",
        "naked",
        "noduplicate",
        "noimplicitfloat",
        "noredzone",
        "returns_twice",
        "safestack",
        "sanitize_address",
        "sanitize_memory",
        "sanitize_thread",
        "strictfp",
        "vscale_range",
        "range",
        "nofpclass",
        "writable",
        "dead_on_unwind",
        "initializes",
        "inalloca",
        "preallocated",
        "swiftself",
        "swifterror",
        "swiftasync",
        "elementtype",
    ]
)


def _word_kind(word: str) -> tuple[int, int]:
    if _TYPES.fullmatch(word):
        return TYPE, 0
    if word in _CONSTANTS:
        return NUMBER, READONLY
    if word in _ATTRIBUTES:
        return MODIFIER, 0
    return KEYWORD, 0


def ir_tokens(index: ModuleIndex, first_line: int = 0, last_line: int | None = None) -> list[int]:
    """Tokens of the IR module's lines ``first_line`` to ``last_line`` (inclusive), flat:
    five integers per token, ``line, column, length, type, modifiers``, in text order.

    Flat because this runs on every screen of a large module: building a tuple per token
    would cost more than classifying it.
    """
    lines = index.lines
    last = len(lines) - 1 if last_line is None else min(last_line, len(lines) - 1)
    out: list[int] = []
    extend = out.extend
    types = {key[1:] for key in index.defs if key[0] == "T"}
    functions = {
        key[1:] for key, defs in index.defs.items() if key[0] == "@" and _is_function(index, defs)
    }
    words: dict[str, tuple[int, int]] = {}
    globals_: dict[str, tuple[int, int]] = {}
    position: int | None = None
    entry_end = -1
    fi_defs: dict[str, object] = {}
    kinds: dict[str, int] = {}
    header = -1
    for line in range(max(first_line, 0), last + 1):
        text = lines[line]
        if not text:
            continue
        if line > entry_end:
            position = index.function_at(line)
            if position is not None:
                entry = index.functions[position]
                entry_end = entry.end
                header = entry.start
                fi_defs = entry.fi.defs  # type: ignore[assignment]
                kinds = {b.key: LABEL for b in entry.fi.blocks}
                kinds.update((a.key, PARAMETER) for a in entry.fi.args)
            else:
                fi_defs, kinds = {}, {}
                entry_end = line
        pos = 0
        if position is not None and text[0] not in " \t;%@!#":
            label = _IR_LABEL.match(text)
            if label is not None:
                extend((line, 0, label.end() - 1, LABEL, DECLARATION))
                pos = label.end()
        for match in _IR_TOKEN.finditer(text, pos):
            group = match.lastgroup
            start = match.start()
            if group == "w":
                word = match.group()
                found = words.get(word)
                if found is None:
                    found = words[word] = _word_kind(word)
                extend((line, start, match.end() - start, found[0], found[1]))
            elif group == "l":
                token = match.group()
                key = token if token[1] != '"' else "%" + name_of(token)
                end = match.end()
                if key in fi_defs:
                    kind = kinds.get(key, VARIABLE)
                    if kind == PARAMETER:
                        mods = DECLARATION if line == header else 0
                    else:
                        mods = DECLARATION if text[end : end + 3].lstrip().startswith("=") else 0
                elif key[1:] in types:
                    kind, mods = TYPE, 0
                else:
                    kind, mods = VARIABLE, 0
                extend((line, start, end - start, kind, mods))
            elif group == "g":
                token = match.group()
                found = globals_.get(token)
                if found is None:
                    name = name_of(token)
                    found = globals_[token] = (
                        FUNCTION if name in functions else VARIABLE,
                        DEFAULT_LIBRARY if name.startswith("llvm.") else 0,
                    )
                extend((line, start, match.end() - start, found[0], found[1]))
            else:
                kind = _GROUP_KIND[group]  # type: ignore[index]
                if kind == DECORATOR and match.group()[1] == "d":
                    kind = KEYWORD
                extend((line, start, match.end() - start, kind, 0))
    return out


_GROUP_KIND = {"n": NUMBER, "c": COMMENT, "s": STRING, "m": PROPERTY, "a": DECORATOR, "d": VARIABLE}


def _is_function(index: ModuleIndex, defs: list[tuple[int | None, int]]) -> bool:
    function, ref = defs[0]
    if function is not None:
        return True
    line = index.lines[index.refs[ref].line]
    return line.lstrip().startswith("declare")


def tokens_of(flat: list[int]) -> list[Token]:
    """The flat form as :class:`Token` values (for tests and small uses)."""
    return [Token(*flat[i : i + 5]) for i in range(0, len(flat), 5)]


_BLOCK_COMMENT = re.compile(r"/\*.*?\*/")
_ASM_LABEL = re.compile(r'\s*("[^"]*"|[A-Za-z_.$][\w.$@]*|\d+):(?!:)')
_ASM_WORD = re.compile(
    r'(?P<s>"(?:[^"\\]|\\.)*"?)|(?P<r>%[A-Za-z][\w]*)|(?P<n>\$?-?(?:0x[0-9A-Fa-f]+|\d+)\b|#-?(?:0x[0-9A-Fa-f]+|\d+)\b)'
    r"|(?P<w>[A-Za-z_.$][\w.$@]*)"
)
_A64_REG = re.compile(
    r"(?:[xwbhsdqvz]\d{1,2}|sp|wsp|xzr|wzr|lr|fp|pc|nzcv|p\d{1,2})(?:\.\w+)?", re.I
)
_X86_INTEL_REG = re.compile(
    r"[re]?(?:[abcd]x|[sd]il?|[sb]pl?|ip)|[abcd][lh]|r\d{1,2}[dwb]?|[xyz]mm\d{1,2}|[cdefgs]s|k[0-7]|st",
    re.I,
)


def asm_tokens(text: str, arch: str | None, functions: frozenset[str] = frozenset()) -> list[int]:
    """Tokens of an assembly file, flat as :func:`ir_tokens` gives them: labels, mnemonics,
    directives, registers, symbols, numbers, strings and comments, for the comment syntax
    of ``arch``."""
    out: list[Token] = []
    append = out.append
    for line, raw in enumerate(split_lines(text)):
        if not raw.strip():
            continue
        if "/*" in raw:
            # Blank block comments out at their own width so columns stay right.
            for block in _BLOCK_COMMENT.finditer(raw):
                append(Token(line, block.start(), block.end() - block.start(), COMMENT, 0))
            raw = _BLOCK_COMMENT.sub(lambda m: " " * len(m.group()), raw)
        code = strip_comment(raw, arch) if ("#" in raw or ";" in raw or "/" in raw) else raw
        if len(code.rstrip()) < len(raw.rstrip()) and len(code) < len(raw):
            cut = len(code)
            comment_start = cut + (len(raw[cut:]) - len(raw[cut:].lstrip()))
            append(Token(line, comment_start, len(raw.rstrip()) - comment_start, COMMENT, 0))
        pos = 0
        while True:
            label = _ASM_LABEL.match(code, pos)
            if label is None:
                break
            append(Token(line, label.start(1), label.end(1) - label.start(1), LABEL, DECLARATION))
            pos = label.end()
        first = True
        for match in _ASM_WORD.finditer(code, pos):
            group = match.lastgroup
            start = match.start()
            length = match.end() - start
            if group == "w":
                word = match.group()
                if first:
                    kind = MACRO if word.startswith(".") else KEYWORD
                    append(Token(line, start, length, kind, 0))
                elif (arch == "aarch64" and _A64_REG.fullmatch(word)) or (
                    arch != "aarch64" and _X86_INTEL_REG.fullmatch(word)
                ):
                    append(Token(line, start, length, VARIABLE, DEFAULT_LIBRARY))
                elif word.startswith("@") or word in ("ptr", "byte", "word", "dword", "qword"):
                    append(Token(line, start, length, KEYWORD, 0))
                else:
                    kind = (
                        FUNCTION
                        if word in functions
                        else LABEL
                        if word.startswith((".L", "L"))
                        else VARIABLE
                    )
                    append(Token(line, start, length, kind, 0))
            elif group == "r":
                append(Token(line, start, length, VARIABLE, DEFAULT_LIBRARY))
            elif group == "n":
                append(Token(line, start, length, NUMBER, 0))
            else:
                append(Token(line, start, length, STRING, 0))
            first = False
    out.sort()
    return [value for token in out for value in token]
