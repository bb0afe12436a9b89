"""Which architecture an assembly text is for, and whether it is assembly at all.

Evidence is weighed, not matched: a directive only one architecture has (``.code64``,
``.cpu``) counts for ten mnemonics or registers, and what is seen is kept as a short
reason the user can read. ``ret`` alone, or ``.type f,@function`` (clang writes it for
both), says nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lsp_server.syntax.asm_lex import (
    Statement,
    neutral_statements,
    split_instruction,
    statement_of,
    strip_comment,
)
from lsp_server.syntax.span import split_lines

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
SAMPLE_LINES = 4000
_DIRECTIVE_WEIGHT = 10


@dataclass(frozen=True)
class TargetGuess:
    """The architecture an assembly text is for, and why we think so."""

    arch: str | None
    triple: str | None
    evidence: str


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


def _target_score(statements: list[Statement]) -> tuple[_Evidence, _Evidence, bool]:
    """Weigh the evidence for x86_64 and aarch64; also whether the file looks like Mach-O."""
    x86 = _Evidence()
    a64 = _Evidence()
    macho = False
    for statement in statements[:SAMPLE_LINES]:
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
        mnemonic, operands = split_instruction(statement.instruction)
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


def guess_from_statements(statements: list[Statement]) -> TargetGuess:
    """The guess from already-lexed statements (the first lines are enough)."""
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
    return guess_from_statements(neutral_statements(split_lines(text)[:SAMPLE_LINES]))


def looks_like_asm(text: str) -> bool:
    """Whether ``text`` reads as assembly rather than prose, C or LLVM IR.

    Most statements must be directives, labels or instructions with a known mnemonic or
    register operands, and at least one must be a directive or carry architecture
    evidence (a file of nothing but ``foo:`` lines is not assembly).
    """
    lines = split_lines(text)[:SAMPLE_LINES]
    recognised = total = 0
    evidence = False
    for raw in lines:
        stripped = raw.strip()
        if stripped.startswith(
            ("define ", "declare ", "target datalayout", "target triple", "source_filename")
        ):
            return False
        code = strip_comment(raw, None).strip()
        if not code:
            continue
        if stripped.startswith(("#include", "#define", "#if", "#endif", "#else")):
            continue
        total += 1
        statement = statement_of(code)
        if statement.directive is not None:
            recognised += 1
            evidence = True
        elif statement.instruction is not None:
            mnemonic, operands = split_instruction(statement.instruction)
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
