"""Which target an assembly file is for, and whether the local llc can compile for it."""

from __future__ import annotations

from dataclasses import dataclass

from lsp_server.syntax.asm import guess_target

# llc's registered target names (``llc --version``) that build each triple architecture.
_LLC_TARGETS: dict[str, tuple[str, ...]] = {
    "x86_64": ("x86-64",),
    "amd64": ("x86-64",),
    "i386": ("x86",),
    "i486": ("x86",),
    "i586": ("x86",),
    "i686": ("x86",),
    "aarch64": ("aarch64",),
    "arm64": ("arm64", "aarch64"),
    "aarch64_be": ("aarch64_be",),
    "arm": ("arm",),
    "armv7": ("arm",),
    "thumb": ("thumb",),
    "riscv64": ("riscv64",),
    "riscv32": ("riscv32",),
    "powerpc64le": ("ppc64le",),
    "powerpc64": ("ppc64",),
    "mips": ("mips",),
    "mipsel": ("mipsel",),
    "wasm32": ("wasm32",),
    "wasm64": ("wasm64",),
}


@dataclass(frozen=True)
class TripleChoice:
    """The triple to lift and check with, and where it came from (for the output)."""

    triple: str
    source: str


class TargetError(Exception):
    """No usable target: ``str(err)`` says what is missing and what to do."""


def choose_triple(text: str, *, explicit: str | None, setting: str) -> TripleChoice:
    """The triple for ``text``: an explicit one, else the file's evidence, else the setting.

    Raises :class:`TargetError` when none of the three gives one.
    """
    if explicit:
        return TripleChoice(explicit, "given explicitly")
    guess = guess_target(text)
    if guess.triple:
        return TripleChoice(guess.triple, f"from the file: {guess.evidence}")
    if setting:
        return TripleChoice(setting, f"from the target.triple setting ({guess.evidence})")
    raise TargetError(
        f"cannot tell which target this assembly is for ({guess.evidence}); "
        "set irlens.target.triple (CLI: --triple), e.g. x86_64-unknown-linux-gnu or "
        "aarch64-unknown-linux-gnu"
    )


def llc_target_names(triple: str) -> tuple[str, ...]:
    """The ``llc --version`` target names that could build ``triple`` (the arch's own name
    when unknown)."""
    arch = triple.split("-", 1)[0].lower()
    return _LLC_TARGETS.get(arch, (arch,))


def missing_target(triple: str, registered: list[str], llvm_version: str) -> str | None:
    """A message naming the target llc lacks for ``triple``, or None when it has one.

    An empty ``registered`` list (llc missing or silent) is not judged here: the tool
    gate reports a missing llc.
    """
    if not registered:
        return None
    names = llc_target_names(triple)
    if any(name in registered for name in names):
        return None
    return (
        f"the local LLVM {llvm_version} was built without the {names[0]} target, which "
        f"{triple} needs to check the lifted IR (llc --version lists: "
        f"{', '.join(registered)}); install an LLVM with that target or set irlens.llvm.binDir"
    )
