"""The tokens of LLVM IR the module index cares about: names with a sigil, and how to read them.

The index does not tokenize every word: on a 50,000-line module that alone would cost more
than its whole budget. It finds the tokens that name something (``@g``, ``%x``, ``!5``,
``#0``, ``$c``) and the strings and comments that may hide such text, with one regex per
line. Everything else is read from the instruction text when a query needs it.
"""

from __future__ import annotations

import re

# One match per interesting token. Strings come first so a name inside a string is not a
# name; a `;` outside a string starts a comment. A quoted name may be unterminated in an
# editor buffer; it then runs to the end of the line.
NAME_TOKEN = re.compile(r'[%@!$](?:"[^"]*"?|[-a-zA-Z$._0-9\\]+)|#\w+|c?"[^"]*"?|;')
LABEL_DEF = re.compile(r'\s*(?:([-a-zA-Z$._0-9]+)|"([^"]*)"):')
RESULT = re.compile(r'\s*%(?:([-a-zA-Z$._0-9]+)|"([^"]*)")\s*=\s*')
WORD = re.compile(r"[A-Za-z_][\w.]*")
_HEX_ESCAPE = re.compile(r"\\([0-9A-Fa-f]{2})|\\\\")
IDENTIFIER = re.compile(r"[-a-zA-Z$._][-a-zA-Z$._0-9]*")
NUMBER = re.compile(r"[0-9]+")

# The words that start an instruction and end a basic block.
TERMINATORS = frozenset(
    {
        "br",
        "switch",
        "indirectbr",
        "invoke",
        "callbr",
        "ret",
        "unreachable",
        "resume",
        "cleanupret",
        "catchret",
        "catchswitch",
    }
)

# Instructions that never produce a value, so an unnamed one takes no number.
VOID_OPCODES = frozenset(
    {
        "store",
        "fence",
        "br",
        "switch",
        "indirectbr",
        "ret",
        "unreachable",
        "resume",
        "cleanupret",
        "catchret",
    }
)
CALL_OPCODES = frozenset({"call", "invoke", "callbr"})
# Words between `call` and the return type: fast-math flags, calling conventions, return
# attributes. A word not listed is taken for the type.
_CALL_PREFIX = frozenset(
    {
        "tail",
        "musttail",
        "notail",
        "fast",
        "nnan",
        "ninf",
        "nsz",
        "arcp",
        "contract",
        "afn",
        "reassoc",
        "zeroext",
        "signext",
        "inreg",
        "noalias",
        "nonnull",
        "noundef",
        "dereferenceable",
        "dereferenceable_or_null",
        "align",
        "range",
        "nofpclass",
        "addrspace",
        "ccc",
        "fastcc",
        "coldcc",
        "tailcc",
        "swiftcc",
        "swifttailcc",
        "preserve_mostcc",
        "preserve_allcc",
        "preserve_nonecc",
        "ghccc",
        "anyregcc",
        "cfguard_checkcc",
        "x86_stdcallcc",
        "x86_fastcallcc",
        "x86_thiscallcc",
        "x86_vectorcallcc",
        "x86_regcallcc",
        "x86_intrcc",
        "x86_64_sysvcc",
        "win64cc",
        "webkit_jscc",
        "aarch64_vector_pcs",
        "aarch64_sve_vector_pcs",
        "arm_apcscc",
        "arm_aapcscc",
        "arm_aapcs_vfpcc",
        "amdgpu_kernel",
        "spir_func",
        "spir_kernel",
        "cc",
    }
)


def unquote_name(raw: str) -> str:
    """Decode the ``\\XX`` and ``\\\\`` escapes of a quoted LLVM name."""
    if "\\" not in raw:
        return raw

    def decode(match: re.Match[str]) -> str:
        digits = match.group(1)
        return "\\" if digits is None else chr(int(digits, 16))

    return _HEX_ESCAPE.sub(decode, raw)


def name_of(token: str) -> str:
    """The name a sigiled token spells: ``%"a b"`` -> ``a b``, ``%x`` -> ``x``."""
    body = token[1:]
    if body.startswith('"'):
        body = body[1:-1] if len(body) >= 2 and body.endswith('"') else body[1:]
        return unquote_name(body)
    return body


def spell(sigil: str, name: str) -> str:
    """How ``name`` is written after ``sigil``: bare when it can be, else quoted."""
    if IDENTIFIER.fullmatch(name) or NUMBER.fullmatch(name):
        return sigil + name
    escaped = "".join(
        f"\\{ord(ch):02X}" if ch in '"\\' or not ch.isprintable() else ch for ch in name
    )
    return f'{sigil}"{escaped}"'


def code_part(line: str) -> str:
    """``line`` without its comment (a ``;`` outside a string)."""
    cut = line.find(";")
    if cut < 0:
        return line
    if '"' not in line[:cut]:
        return line[:cut]
    for match in NAME_TOKEN.finditer(line):
        if match.group() == ";":
            return line[: match.start()]
    return line


def bracket_delta(code: str) -> int:
    """Net open ``(`` and ``[`` minus closing ones, strings ignored."""
    if "(" not in code and "[" not in code and ")" not in code and "]" not in code:
        return 0
    if '"' in code:
        code = re.sub(r'"[^"]*"?', "", code)
    return code.count("(") + code.count("[") - code.count(")") - code.count("]")


def call_returns_void(text: str) -> bool:
    """Whether a ``call``/``invoke``/``callbr`` instruction's return type is ``void``."""
    found = re.search(r"\b(?:call|invoke|callbr)\b", text)
    if found is None:
        return False
    pos = found.end()
    while True:
        word = WORD.search(text, pos)
        if word is None:
            return False
        between = text[pos : word.start()].strip()
        if between and not between.startswith("("):
            # Something other than a word, such as `%T` or `{`: not void.
            return False
        if word.group() == "void":
            return True
        if word.group() not in _CALL_PREFIX:
            return False
        pos = word.end()
        # Skip an argument list such as `dereferenceable(8)` or `align 8`.
        rest = text[pos:]
        skip = re.match(r"\s*(?:\([^)]*\)|\d+)", rest)
        if skip is not None:
            pos += skip.end()
