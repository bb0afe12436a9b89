"""Cheap features of a module's IR, for choosing which learned pass sequences to try first.

Counts read from the text alone (no tools run): instructions by kind, blocks, loops (clang marks
every loop latch with ``!llvm.loop``), calls, memory traffic, the attributes clang sets at -Oz.
:func:`features` returns them as ``log(1 + count)`` so that a big function and a small one with
the same shape are near each other; :mod:`lsp_server.search.coreset` compares them with the
training functions' features (nearest neighbours). The training script
(scripts/corpus/train.py) and the server call the same function, so the two always agree.
"""

from __future__ import annotations

import math
import re

#: The feature names, in the order :func:`features` returns them.
NAMES: tuple[str, ...] = (
    "insts",
    "blocks",
    "loops",
    "functions",
    "alloca",
    "load",
    "store",
    "gep",
    "call",
    "intrinsic",
    "lifetime",
    "br",
    "condbr",
    "switch",
    "cases",
    "phi",
    "icmp",
    "select",
    "arith",
    "bitwise",
    "cast",
    "float",
    "ret",
    "unreachable",
    "memops",
    "vector",
    "struct_gep",
    "globals",
    "minsize",
    "declares",
)

_ASSIGN = re.compile(r"^\s+(?:%[\w.\"-]+ = )?(?:tail |musttail |notail )?(\w+)")
_LABEL = re.compile(r'^(?:[\w.$-]+|"[^"]*"):')
_ARITH = frozenset({"add", "sub", "mul", "udiv", "sdiv", "urem", "srem"})
_BITWISE = frozenset({"and", "or", "xor", "shl", "lshr", "ashr"})
_CAST = frozenset(
    {"trunc", "zext", "sext", "ptrtoint", "inttoptr", "bitcast", "addrspacecast", "freeze"}
)
_FLOAT = frozenset(
    {
        "fadd",
        "fsub",
        "fmul",
        "fdiv",
        "frem",
        "fneg",
        "fcmp",
        "fptrunc",
        "fpext",
        "fptoui",
        "fptosi",
        "uitofp",
        "sitofp",
    }
)
_DIRECT = frozenset(
    {"alloca", "load", "store", "call", "switch", "phi", "icmp", "select", "ret", "unreachable"}
)


def counts(text: str) -> dict[str, int]:
    """The raw counts behind :func:`features` (every name in :data:`NAMES`)."""
    c = dict.fromkeys(NAMES, 0)
    inside = False
    for line in text.splitlines():
        if line.startswith("define "):
            inside = True
            c["functions"] += 1
            c["blocks"] += 1
            continue
        if line.startswith("declare "):
            c["declares"] += 1
            continue
        if line.startswith("@"):
            c["globals"] += 1
            continue
        if line.startswith("attributes #") and "minsize" in line:
            c["minsize"] = 1
            continue
        if not inside:
            continue
        if line.startswith("}"):
            inside = False
            continue
        if _LABEL.match(line):
            c["blocks"] += 1
            continue
        match = _ASSIGN.match(line)
        if match is None:
            continue
        op = match.group(1)
        c["insts"] += 1
        if op in _DIRECT:
            c[op] += 1
        if op == "getelementptr":
            c["gep"] += 1
            if "%struct." in line:
                c["struct_gep"] += 1
        elif op == "br":
            c["br"] += 1
            if line.lstrip().startswith("br i1"):
                c["condbr"] += 1
            if "!llvm.loop" in line:
                c["loops"] += 1
        elif op == "call":
            if "@llvm." in line:
                c["intrinsic"] += 1
                if "@llvm.lifetime" in line:
                    c["lifetime"] += 1
                if "@llvm.mem" in line:
                    c["memops"] += 1
        elif op in _ARITH:
            c["arith"] += 1
        elif op in _BITWISE:
            c["bitwise"] += 1
        elif op in _CAST:
            c["cast"] += 1
        elif op in _FLOAT:
            c["float"] += 1
        if op in ("extractelement", "insertelement", "shufflevector") or " x " in line:
            c["vector"] += 1
        if line.lstrip().startswith("i") and "label %" in line and c["switch"]:
            c["cases"] += 1
    return c


def features(text: str) -> list[float]:
    """``log(1 + count)`` of each of :data:`NAMES`, in that order."""
    c = counts(text)
    return [math.log1p(c[name]) for name in NAMES]
