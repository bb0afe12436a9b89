"""The outline of an assembly file (GNU as syntax): functions, labels, directives, target.

Written for what ``llc`` and ``clang -S`` print for x86_64 (AT&T or Intel syntax) and
aarch64, and tolerant of hand-written files. Lifting splits a file by function, so a
function's span takes the directives that introduce it (``.globl``, ``.type``,
``.p2align`` just before its label) through its ``.size``, ``.cfi_endproc`` or the
``-- End function`` comment ``llc`` writes after any jump tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import NamedTuple

from lsp_server.syntax.span import Pos, Span, split_lines

_SYMBOL = r'(?:"[^"]*"|[A-Za-z_.$][\w.$@]*|\d+)'
_LABEL = re.compile(r"\s*(" + _SYMBOL + r")\s*:(?!:)")
_DIRECTIVE = re.compile(r"\s*(\.[A-Za-z_][\w.]*)\b\s*(.*)")
_TYPE_FUNCTION = re.compile(
    r"\s*\.type\s+(" + _SYMBOL + r")\s*,\s*[@%#]?\"?(?:function|STT_FUNC)\b"
)
_SIZE = re.compile(r"\s*\.size\s+(" + _SYMBOL + r")\s*,")
_GLOBL = re.compile(r"\s*\.glob(?:a)?l\s+(" + _SYMBOL + r")")
_BLOCK_COMMENT = re.compile(r"/\*.*?\*/")
# In x86 assembly `#` starts a comment anywhere; in aarch64 it marks an immediate
# (`#16`, `#-32`, `#:lo12:sym`). Treat it as a comment unless it looks like one.
_HASH_COMMENT = re.compile(r"#(?![-+:0-9(]|0x)")
_BEGIN_MARKER = "-- Begin function "
_END_MARKER = "-- End function"

# Directives that introduce a function when they sit right before its label.
_ALIGN_DIRECTIVES = frozenset({".p2align", ".p2alignw", ".p2alignl", ".align", ".balign"})
_SYMBOL_DIRECTIVES = frozenset(
    {".globl", ".global", ".hidden", ".weak", ".local", ".protected", ".internal", ".type"}
)

_X86_REGISTER = re.compile(
    r"%(?:[re]?(?:ax|bx|cx|dx|si|di|bp|sp|ip)|r(?:[89]|1[0-5])[dwb]?|[xyz]mm\d+|[a-d][lh]|[cdefgs]s)\b"
)
_X86_INTEL_REGISTER = re.compile(
    r"\b(?:rax|rbx|rcx|rdx|rsi|rdi|rbp|rsp|rip|eax|ebx|ecx|edx|esi|edi|ebp|esp|r(?:[89]|1[0-5])[dwb]?|[xy]mm\d+)\b"
)
_INTEL_PTR = re.compile(r"\b(?:byte|word|dword|qword|xmmword|ymmword)\s+ptr\b", re.IGNORECASE)
_A64_REGISTER = re.compile(
    r"\b(?:[xw](?:[12]?\d|30)|xzr|wzr|[qdsbh](?:[12]?\d|3[01])|v(?:[12]?\d|3[01])\.\d*[bhsdq])\b"
)
_A64_STACK = re.compile(r"\[\s*(?:sp|x\d+)\b")


def _word_set(words: str) -> frozenset[str]:
    """A set from a space-separated list; long mnemonic tables read better as text."""
    return frozenset(words.split())


_X86_MNEMONICS = _word_set(
    "pushq popq movq movl movw movb leaq leal callq retq movabsq cltq cqto cltd xorl xorq "
    "testl testq testb cmpl cmpq cmpb addq addl subq subl imulq imull idivl idivq divl divq "
    "shlq shrq sarq shll shrl sarl andl andq orl orq notl notq negl negq incl incq decl decq "
    "movzbl movzwl movsbl movswl movslq movsbq movzbq cmovel cmovneq cmoveq cmovnel sete "
    "setne setl setg setb seta jmp je jne jg jl ja jb jge jle jae jbe js jns jz jnz push pop "
    "call lea endbr64 ud2 int3 hlt leave cmovne cmove cdqe cqo xchg rep stosq movsq "
    "movss movsd movaps movups movdqa movdqu pxor xorps addsd mulsd cvtsi2sd"
)
_A64_MNEMONICS = _word_set(
    "stp ldp ldr str ldrb strb ldrh strh ldrsw ldrsb ldrsh ldur stur ldurb sturb adrp adr "
    "bl blr br cbz cbnz tbz tbnz csel csinc csinv csneg cset csetm cinc madd msub smull "
    "umull umulh smulh ubfx sbfx ubfiz sbfiz bfi bfxil lsl lsr asr movk movz movn mvn "
    "sxtw sxtb sxth uxtb uxth fmov fadd fmul fsub fdiv fcmp scvtf ucvtf fcvtzs fcvtzu "
    "ccmp ccmn tst cmn eon orn bic bics ands adds subs negs ngc ngcs sdiv udiv "
    "ld1 st1 dup ins umov smov addv cnt paciasp autiasp bti"
)
_AMBIGUOUS_MNEMONICS = _word_set(
    "mov add sub and orr eor or xor cmp mul neg not ret nop b jmp call inc dec shl shr sar "
    "ror rol div idiv imul test"
)
_A64_BRANCH = re.compile(r"b\.(?:eq|ne|cs|hs|cc|lo|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|al|nv)")

# How many lines guess_target and looks_like_asm read: the start of a file is plenty.
_SAMPLE_LINES = 4000
_DIRECTIVE_WEIGHT = 10


@dataclass(frozen=True)
class AsmFunction:
    """A function: its span (introducing directives through its end) and its label's line."""

    name: str
    span: Span
    label_line: int


@dataclass(frozen=True)
class AsmLabel:
    """A label definition (``name:``), local ones (``.LBB0_2``) included."""

    name: str
    line: int


@dataclass(frozen=True)
class AsmDirective:
    """A directive: its name with the dot (``.globl``) and its arguments, comments removed."""

    name: str
    args: str
    line: int


@dataclass(frozen=True)
class TargetGuess:
    """The architecture an assembly text is for, and why we think so."""

    arch: str | None
    triple: str | None
    evidence: str


@dataclass(frozen=True)
class AsmFile:
    """The outline of an assembly file."""

    functions: tuple[AsmFunction, ...]
    labels: tuple[AsmLabel, ...]
    directives: tuple[AsmDirective, ...]
    target: TargetGuess


def _strip_comment(line: str, arch: str | None) -> str:
    """``line`` without its comment, for the comment syntax of ``arch``."""
    if "/*" in line:
        line = _BLOCK_COMMENT.sub(" ", line)
    cut = line.find("//")
    if cut >= 0:
        line = line[:cut]
    if "#" in line:
        if arch == "x86_64":
            line = line[: line.find("#")]
        elif arch == "aarch64":
            if line.lstrip().startswith("#"):
                return ""
        else:
            match = _HASH_COMMENT.search(line)
            if match is not None:
                line = line[: match.start()]
    if ";" in line and arch == "aarch64":
        # Darwin arm64 assembly uses `;` for comments.
        line = line[: line.find(";")]
    return line


def _unquote(symbol: str) -> str:
    return symbol[1:-1] if len(symbol) >= 2 and symbol[0] == '"' and symbol[-1] == '"' else symbol


class _Statement(NamedTuple):
    """A line's content, comments removed: its labels, then a directive or instruction."""

    labels: tuple[str, ...]
    directive: tuple[str, str] | None
    instruction: str | None


def _statement(code: str) -> _Statement:
    labels: list[str] = []
    pos = 0
    while True:
        match = _LABEL.match(code, pos)
        if match is None:
            break
        labels.append(_unquote(match.group(1)))
        pos = match.end()
    rest = code[pos:].strip()
    if not rest:
        return _Statement(tuple(labels), None, None)
    directive = _DIRECTIVE.fullmatch(rest)
    if directive is not None and rest.startswith("."):
        return _Statement(tuple(labels), (directive.group(1), directive.group(2).strip()), None)
    return _Statement(tuple(labels), None, rest)


def _split_instruction(instruction: str) -> tuple[str, str]:
    """``"movq\t%rsp, %rbp"`` -> ``("movq", "%rsp, %rbp")``; the mnemonic lowercased."""
    parts = instruction.split(None, 1)
    if not parts:
        return "", ""
    return parts[0].lower(), parts[1].strip() if len(parts) > 1 else ""


class _Evidence:
    """What was seen for one architecture: a score and a few examples of each kind."""

    def __init__(self) -> None:
        self.score = 0
        self.seen: dict[str, list[str]] = {"directives": [], "mnemonics": [], "registers": []}

    def add(self, kind: str, what: str, weight: int = 1) -> None:
        self.score += weight
        examples = self.seen[kind]
        if what not in examples and len(examples) < 4:
            examples.append(what)

    def describe(self) -> str:
        return "; ".join(f"{kind} {', '.join(items)}" for kind, items in self.seen.items() if items)


_EMPTY = _Statement((), None, None)


def _neutral_statements(lines: list[str]) -> list[_Statement]:
    """Statements read with the comment rules that hold for every architecture."""
    return [_statement(_strip_comment(line, None)) if line.strip() else _EMPTY for line in lines]


def _target_score(statements: list[_Statement]) -> tuple[_Evidence, _Evidence, bool]:
    """Weigh the evidence for x86_64 and aarch64; also whether the file looks like Mach-O."""
    x86 = _Evidence()
    a64 = _Evidence()
    macho = False
    for statement in statements[:_SAMPLE_LINES]:
        if statement.directive is not None:
            name, args = statement.directive
            lowered = args.lower()
            if name in (".code64", ".code32", ".att_syntax", ".intel_syntax"):
                x86.add("directives", name, _DIRECTIVE_WEIGHT)
            elif name == ".arch":
                if lowered.startswith(("armv8", "armv9", "+")):
                    a64.add("directives", f".arch {args}", _DIRECTIVE_WEIGHT)
                elif lowered:
                    x86.add("directives", f".arch {args}", _DIRECTIVE_WEIGHT)
            elif name in (".cpu", ".arch_extension", ".variant_pcs", ".aeabi_subsection"):
                a64.add("directives", name, _DIRECTIVE_WEIGHT)
            elif name == ".type" and "%function" in args:
                # GCC writes %function for aarch64; clang writes @function for both.
                a64.add("directives", ".type %function", 2)
            elif name == ".p2align" and "0x90" in lowered:
                # 0x90 is the x86 nop used as alignment fill.
                x86.add("directives", ".p2align with 0x90 fill", 2)
            elif name in (".build_version", ".macosx_version_min", ".subsections_via_symbols") or (
                name == ".section" and args.startswith("__TEXT")
            ):
                macho = True
            continue
        if statement.instruction is None:
            continue
        mnemonic, operands = _split_instruction(statement.instruction)
        if mnemonic in _X86_MNEMONICS:
            x86.add("mnemonics", mnemonic)
        elif mnemonic in _A64_MNEMONICS or _A64_BRANCH.fullmatch(mnemonic):
            a64.add("mnemonics", mnemonic)
        register = _X86_REGISTER.search(operands) or _X86_INTEL_REGISTER.search(operands)
        if register is not None:
            x86.add("registers", register.group())
        elif _INTEL_PTR.search(operands):
            x86.add("registers", "ptr operands")
        else:
            a64_register = _A64_REGISTER.search(operands) or _A64_STACK.search(operands)
            if a64_register is not None:
                a64.add("registers", a64_register.group().strip("[ "))
    return x86, a64, macho


def _guess(statements: list[_Statement]) -> TargetGuess:
    x86, a64, macho = _target_score(statements)
    if x86.score == 0 and a64.score == 0:
        return TargetGuess(
            None, None, "no architecture-specific directives, mnemonics or registers"
        )
    if x86.score == a64.score:
        return TargetGuess(
            None, None, f"ambiguous: x86_64 ({x86.describe()}) and aarch64 ({a64.describe()})"
        )
    if x86.score > a64.score:
        triple = "x86_64-apple-macosx" if macho else "x86_64-unknown-linux-gnu"
        return TargetGuess("x86_64", triple, x86.describe())
    triple = "arm64-apple-macosx" if macho else "aarch64-unknown-linux-gnu"
    return TargetGuess("aarch64", triple, a64.describe())


def guess_target(text: str) -> TargetGuess:
    """Guess the architecture of an assembly text from its directives, mnemonics and
    registers (``ret`` alone says nothing). Never raises."""
    return _guess(_neutral_statements(split_lines(text)[:_SAMPLE_LINES]))


def _function_names(statements: list[_Statement], label_lines: dict[str, int]) -> set[str]:
    """Which labels start functions.

    In order of trust: ``.type NAME,@function``; a label right before
    ``.cfi_startproc`` (Mach-O has no ``.type``); ``.globl`` labels; and, for a bare
    snippet, any non-local label followed by an instruction.
    """
    typed: set[str] = set()
    for statement in statements:
        if statement.directive is not None and statement.directive[0] == ".type":
            match = _TYPE_FUNCTION.match(".type " + statement.directive[1])
            if match is not None:
                typed.add(_unquote(match.group(1)))
    names = {name for name in typed if name in label_lines}
    pending: list[str] = []
    for statement in statements:
        if statement.labels:
            pending = list(statement.labels)
        if statement.directive is not None:
            if statement.directive[0] == ".cfi_startproc":
                names.update(name for name in pending if not name.startswith((".L", "L")))
                pending = []
            elif statement.directive[0] not in _ALIGN_DIRECTIVES:
                pending = []
        elif statement.instruction is not None:
            pending = []
    if names:
        return names
    for statement in statements:
        if statement.directive is not None and statement.directive[0] in (".globl", ".global"):
            match = _GLOBL.match(" ".join(statement.directive))
            if match is not None and _unquote(match.group(1)) in label_lines:
                names.add(_unquote(match.group(1)))
    if names:
        return names
    previous_labels: tuple[str, ...] = ()
    for statement in statements:
        if statement.instruction is not None:
            names.update(
                name
                for name in previous_labels
                if not name.startswith((".L", "L")) and not name.isdigit()
            )
        if statement.labels or statement.instruction is not None or statement.directive is not None:
            previous_labels = statement.labels
    return names


def _introduces(statement: _Statement, name: str) -> bool:
    """Whether the statement is one of the directives that open function ``name``."""
    if statement.labels or statement.directive is None:
        return False
    directive, args = statement.directive
    if directive in _ALIGN_DIRECTIVES:
        return True
    if directive in _SYMBOL_DIRECTIVES:
        first = args.split(",", 1)[0].strip()
        return _unquote(first) == name
    return False


def parse_asm(text: str) -> AsmFile:
    """Outline an assembly text. Never raises; anything unrecognised is ignored."""
    lines = split_lines(text)
    statements = _neutral_statements(lines)
    target = _guess(statements)
    # Only lines with a comment character can read differently once the architecture
    # (and so its comment syntax) is known.
    for number, line in enumerate(lines):
        if "#" in line or ";" in line:
            statements[number] = _statement(_strip_comment(line, target.arch))
    labels: list[AsmLabel] = []
    directives: list[AsmDirective] = []
    label_lines: dict[str, int] = {}
    for number, statement in enumerate(statements):
        for name in statement.labels:
            labels.append(AsmLabel(name, number))
            label_lines.setdefault(name, number)
        if statement.directive is not None:
            directives.append(AsmDirective(statement.directive[0], statement.directive[1], number))
    names = _function_names(statements, label_lines)
    # One function per line: `a: b:` declares two names for the same code.
    by_line: dict[int, str] = {}
    for name, line in sorted(label_lines.items(), key=lambda item: item[1]):
        if name in names:
            by_line.setdefault(line, name)
    starts = sorted(by_line.items())
    functions: list[AsmFunction] = []
    firsts: list[int] = []
    floor = 0
    for label_line, name in starts:
        firsts.append(_function_start(lines, statements, name, label_line, floor))
        floor = label_line + 1
    for index, (label_line, name) in enumerate(starts):
        limit = firsts[index + 1] - 1 if index + 1 < len(starts) else len(lines) - 1
        last = _function_end(lines, statements, name, label_line, limit)
        span = Span(Pos(firsts[index], 0), Pos(last, len(lines[last])))
        functions.append(AsmFunction(name, span, label_line))
    return AsmFile(tuple(functions), tuple(labels), tuple(directives), target)


def _function_start(
    lines: list[str], statements: list[_Statement], name: str, label_line: int, floor: int
) -> int:
    """The first line of the function labelled at ``label_line``, at least ``floor``.

    The directives right before the label that introduce it belong to it; so, in
    ``llc`` output, does everything from its ``-- Begin function NAME`` comment, which
    comes before the constant pool (``.LCPI0_0``) the function loads from, together
    with the ``.section`` line that places that pool.
    """
    first = label_line
    while first - 1 >= floor and _introduces(statements[first - 1], name):
        first -= 1
    marker = _BEGIN_MARKER + name
    for number in range(first - 1, floor - 1, -1):
        if lines[number].rstrip().endswith(marker):
            first = number
            while first - 1 >= floor and _is_section(statements[first - 1]):
                first -= 1
            break
    return first


def _is_section(statement: _Statement) -> bool:
    return (
        not statement.labels
        and statement.directive is not None
        and statement.directive[0] in (".section", ".text", ".data", ".rodata", ".bss")
    )


def _function_end(
    lines: list[str], statements: list[_Statement], name: str, label_line: int, limit: int
) -> int:
    """The last line of the function labelled at ``label_line``, at most ``limit``."""
    size_line = endproc_line = marker_line = -1
    for number in range(label_line, limit + 1):
        directive = statements[number].directive
        if directive is not None:
            if directive[0] == ".size" and size_line < 0:
                match = _SIZE.match(".size " + directive[1])
                if match is not None and _unquote(match.group(1)) == name:
                    size_line = number
            elif directive[0] == ".cfi_endproc" and endproc_line < 0:
                endproc_line = number
        if _END_MARKER in lines[number] and marker_line < 0 and number > label_line:
            marker_line = number
            break
    last = max(size_line, endproc_line, marker_line)
    if last >= 0:
        return last
    last = max(limit, label_line)
    while last > label_line and not lines[last].strip():
        last -= 1
    return last


def looks_like_asm(text: str) -> bool:
    """Whether ``text`` reads as assembly rather than prose, C or LLVM IR.

    Most statements must be directives, labels or instructions with a known mnemonic or
    register operands, and at least one must be a directive or carry architecture
    evidence (a file of nothing but ``foo:`` lines is not assembly).
    """
    lines = split_lines(text)[:_SAMPLE_LINES]
    recognised = total = 0
    evidence = False
    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith(
            ("define ", "declare ", "target datalayout", "target triple", "source_filename")
        ):
            return False
        code = _strip_comment(raw, None).strip()
        if not code:
            continue
        if stripped.startswith(("#include", "#define", "#if", "#endif", "#else")):
            continue
        total += 1
        statement = _statement(code)
        if statement.directive is not None:
            recognised += 1
            evidence = True
        elif statement.instruction is not None:
            mnemonic, operands = _split_instruction(statement.instruction)
            known = (
                mnemonic in _X86_MNEMONICS
                or mnemonic in _A64_MNEMONICS
                or _A64_BRANCH.fullmatch(mnemonic) is not None
            )
            registers = (
                _X86_REGISTER.search(operands) is not None
                or _A64_REGISTER.search(operands) is not None
                or _X86_INTEL_REGISTER.search(operands) is not None
            )
            if known or registers:
                recognised += 1
                evidence = True
            elif mnemonic in _AMBIGUOUS_MNEMONICS and not operands.rstrip().endswith((";", ".")):
                recognised += 1
        elif statement.labels:
            recognised += 1
    return total > 0 and evidence and recognised * 10 >= total * 7
