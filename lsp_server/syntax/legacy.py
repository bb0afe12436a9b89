"""Legacy pass manager flags in an ``opt`` command, read as a new-PM pipeline.

``opt -instcombine -simplifycfg`` ran those passes in order; ``opt -O2`` ran the O2
pipeline. LLVM 17 and later reject the first spelling, but old tests and notes still use
it, so a hover translates it: every ``-NAME`` flag that is not a known opt option is a
pass, and ``-O0``..``-O3``, ``-Os``, ``-Oz`` are ``default<ON>``. An option whose value
is the next word (``-o %t``) takes that word with it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lsp_server.syntax.shell import Word

_OPT_LEVEL = re.compile(r"O([0-3sz])")

# opt options that take their value as the next word (`-o %t`, `-mtriple x86_64`), so
# that value is neither a pass nor a file.
VALUE_OPTIONS = frozenset(
    {
        "o",
        "p",
        "passes",
        "mtriple",
        "mcpu",
        "mattr",
        "march",
        "aa-pipeline",
        "data-layout",
        "load",
        "load-pass-plugin",
        "pass-remarks",
        "pass-remarks-missed",
        "pass-remarks-analysis",
        "pass-remarks-hotness-threshold",
        "pass-remarks-output",
        "pass-remarks-filter",
        "pass-remarks-format",
        "x",
        "filter-print-funcs",
    }
)
# Flag-only opt options that are not passes.
_OPTIONS = frozenset(
    {
        "S",
        "f",
        "disable-output",
        "debug-pass-manager",
        "verify-each",
        "stats",
        "stats-json",
        "time-passes",
        "analyze",
        "disable-verify",
        "disable-inlining",
        "disable-simplify-libcalls",
        "thinlto-bc",
        "module-summary",
        "codegen-opt-level",
        "version",
        "help",
        "h",
        "earlycse-debug-hash",
        "adce-remove-loops",
    }
)
# Families of opt options (`-print-after-all`, `-debug-only=...`, `-verify-memoryssa`).
_OPTION_PREFIXES = (
    "print-",
    "debug-",
    "verify-",
    "disable-",
    "enable-",
    "view-",
    "time-",
    "stats",
    "force-",
    "pass-remarks",
    "opt-bisect",
    "abort-on-",
    "experimental-",
    "try-experimental-",
    "preserve-",
    "use-",
    "opaque-pointers",
    "dot-",
    "filter-",
    "mtriple",
    "mcpu",
    "mattr",
    "march",
)
# Legacy alias-analysis "passes" configure -aa-pipeline in the new pass manager; they
# are not pipeline elements.
_LEGACY_AA = frozenset(
    {
        "basicaa",
        "basic-aa",
        "tbaa",
        "scoped-noalias",
        "scoped-noalias-aa",
        "globals-aa",
        "scev-aa",
        "cfl-anders-aa",
        "cfl-steens-aa",
        "objc-arc-aa",
    }
)
# Legacy pass flags whose new-PM pass has another name.
_LEGACY_RENAMES = {
    "functionattrs": "function-attrs",
    "loop-unswitch": "simple-loop-unswitch",
    "scalarrepl": "sroa",
    "scalarrepl-ssa": "sroa",
}


def _is_option(name: str) -> bool:
    return (
        "=" in name
        or name in _OPTIONS
        or name in VALUE_OPTIONS
        or name in _LEGACY_AA
        or name.startswith(_OPTION_PREFIXES)
    )


def legacy_passes(words: Sequence[Word]) -> list[tuple[str, str | None, Word]]:
    """The passes that legacy flags among ``words`` (an opt command's arguments) spell:
    ``(name, params, flag word)`` in order."""
    found: list[tuple[str, str | None, Word]] = []
    skip_next = False
    for word in words:
        if skip_next:
            skip_next = False
            continue
        value = word.value
        if not value.startswith("-") or value in ("-", "--"):
            continue
        name = value.lstrip("-")
        if name in VALUE_OPTIONS:
            skip_next = True
            continue
        level = _OPT_LEVEL.fullmatch(name)
        if level is not None:
            found.append(("default", f"O{level.group(1)}", word))
        elif name and not _is_option(name):
            found.append((_LEGACY_RENAMES.get(name, name), None, word))
    return found
