"""The search space: pass sequences as flat lists of steps, and the moves between them.

A candidate is a tuple of :class:`Step`, each a pass (with its parameters) and the level it
runs at. :func:`render` groups consecutive steps into the adaptors opt needs
(``function(...)``, ``cgscc(...)``, ``loop(...)``, ``loop-mssa(...)``); :func:`flatten` turns
any pipeline string, such as the one ``opt -passes='default<Oz>' -print-pipeline-passes``
prints, back into steps. Flattening drops the pass-manager structure (``devirt<4>``
repetition, the CGSCC walk), which for the one-function modules the search usually sees
changes little; the opaque macro ``default<Oz>`` stays available as one step.

Everything here is pure and seeded: moves take a ``random.Random``.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lsp_server.syntax.pipeline import PipelineNode, parse_pipeline

MODULE = "module"
CGSCC = "cgscc"
FUNCTION = "function"
LOOP = "loop"
LOOP_MSSA = "loop-mssa"

OZ = "default<Oz>"

# Adaptor names and the level their children run at.
_ADAPTORS = {
    "module": MODULE,
    "cgscc": CGSCC,
    "function": FUNCTION,
    "loop": LOOP,
    "loop-mssa": LOOP_MSSA,
}
# Adaptors that only repeat their children; flattening keeps the children once.
_TRANSPARENT = frozenset({"devirt", "repeat"})
# Pipeline elements that change nothing a size search cares about (analyses, printing,
# instrumentation hooks, coroutine and OpenMP lowering of code that has neither).
_DROPPED = frozenset(
    {
        "require",
        "invalidate",
        "verify",
        "print",
        "annotation2metadata",
        "annotation-remarks",
        "ee-instrument",
        "coro-early",
        "coro-split",
        "coro-elide",
        "coro-cleanup",
        "openmp-opt",
        "transform-warning",
        "cg-profile",
        "recompute-globalsaa",
        "inject-tli-mappings",
        "no-op-module",
        "no-op-function",
    }
)


@dataclass(frozen=True, order=True)
class Step:
    """One pass in a candidate: ``text`` as opt spells it, and the level it runs at."""

    text: str
    level: str

    @property
    def name(self) -> str:
        """The pass name without parameters."""
        return self.text.split("<", 1)[0]


Candidate = tuple[Step, ...]


def _m(text: str) -> Step:
    return Step(text, MODULE)


def _c(text: str) -> Step:
    return Step(text, CGSCC)


def _f(text: str) -> Step:
    return Step(text, FUNCTION)


def _l(text: str) -> Step:
    return Step(text, LOOP)


def _lm(text: str) -> Step:
    return Step(text, LOOP_MSSA)


# instcombine's fixpoint check turns a harmless "one more round would change something" into a
# fatal error, which would waste a compilation; the Oz pipeline switches it off too.
INSTCOMBINE = "instcombine<no-verify-fixpoint>"
SIMPLIFYCFG_OZ = (
    "simplifycfg<bonus-inst-threshold=1;no-forward-switch-cond;switch-range-to-icmp;"
    "no-switch-to-lookup;keep-loops;hoist-common-insts;sink-common-insts;speculate-blocks;"
    "simplify-cond-branch>"
)

#: Passes that change code size, weighted by how often they are worth trying. The weights
#: are set by hand from the pipelines that improved corpus functions in tuning runs of
#: bench/suggest_bench.py: promotion, combining, CFG merging and redundancy removal first.
VOCABULARY: tuple[tuple[Step, float], ...] = (
    (_f(INSTCOMBINE), 6.0),
    (_f("simplifycfg"), 4.0),
    (_f(SIMPLIFYCFG_OZ), 4.0),
    (_f("simplifycfg<hoist-common-insts;sink-common-insts>"), 3.0),
    (_f("simplifycfg<switch-to-lookup>"), 1.0),
    (_f("simplifycfg<no-keep-loops;hoist-common-insts;sink-common-insts>"), 2.0),
    (_f("sroa<modify-cfg>"), 3.0),
    (_f("sroa<preserve-cfg>"), 1.0),
    (_f("mem2reg"), 2.0),
    (_f("early-cse<memssa>"), 3.0),
    (_f("early-cse"), 1.0),
    (_f("gvn"), 3.0),
    (_f("gvn<no-pre>"), 1.0),
    (_f("newgvn"), 2.0),
    (_f("gvn-hoist"), 2.0),
    (_f("gvn-sink"), 3.0),
    (_f("sccp"), 2.0),
    (_f("bdce"), 1.5),
    (_f("adce"), 1.5),
    (_f("dce"), 1.0),
    (_f("dse"), 2.0),
    (_f("memcpyopt"), 1.5),
    (_f("jump-threading"), 2.0),
    (_f("correlated-propagation"), 2.0),
    (_f("constraint-elimination"), 1.0),
    (_f("reassociate"), 2.0),
    (_f("aggressive-instcombine"), 1.0),
    (_f("instsimplify"), 1.0),
    (_f("tailcallelim"), 1.0),
    (_f("mldst-motion<no-split-footer-bb>"), 1.0),
    (_f("sink"), 1.0),
    (_f("div-rem-pairs"), 1.0),
    (_f("mergeicmps"), 0.5),
    (_f("float2int"), 0.5),
    (_f("loop-simplify"), 1.0),
    (_f("lcssa"), 0.5),
    (_f("loop-sink"), 0.5),
    (_f("reg2mem"), 0.5),
    (_f("nary-reassociate"), 0.5),
    (_f("flatten-cfg"), 0.5),
    (_f("consthoist"), 0.5),
    (_f("lower-constant-intrinsics"), 0.3),
    (_f("loop-unroll<O2>"), 0.3),
    (_l("loop-deletion"), 2.0),
    (_l("loop-idiom"), 1.5),
    (_l("indvars"), 1.5),
    (_l("loop-instsimplify"), 1.0),
    (_l("loop-simplifycfg"), 1.0),
    (_l("loop-rotate<no-header-duplication;no-prepare-for-lto>"), 0.5),
    (_l("loop-unroll-full"), 0.2),
    (_lm("licm<allowspeculation>"), 1.5),
    (_lm("licm<no-allowspeculation>"), 1.0),
    (_lm("simple-loop-unswitch<no-nontrivial;trivial>"), 0.5),
    (_c("inline"), 1.0),
    (_c("function-attrs"), 1.5),
    (_c("argpromotion"), 0.5),
    (_m("ipsccp"), 1.5),
    (_m("globalopt"), 1.5),
    (_m("globaldce"), 1.0),
    (_m("deadargelim"), 1.0),
    (_m("mergefunc"), 1.0),
    (_m("constmerge"), 0.5),
    (_m("rpo-function-attrs"), 0.5),
    (_m("called-value-propagation"), 0.3),
    (_m("iroutliner"), 0.5),
    (_m(OZ), 1.0),
)


def vocabulary(known: Iterable[str] | None = None) -> tuple[list[Step], list[float]]:
    """The vocabulary's steps and weights, keeping only passes ``known`` names (if given)."""
    names = None if known is None else set(known)
    steps: list[Step] = []
    weights: list[float] = []
    for step, weight in VOCABULARY:
        if names is None or step.name in names or step.text == OZ:
            steps.append(step)
            weights.append(weight)
    return steps, weights


# --- rendering ---------------------------------------------------------------------------


def render(steps: Sequence[Step]) -> str:
    """The pipeline string for ``steps``: consecutive steps share one adaptor."""
    out: list[str] = []
    functions: list[str] = []
    loops: list[str] = []
    loop_kind = ""
    cgscc: list[str] = []

    def close_loops() -> None:
        nonlocal loop_kind
        if loops:
            functions.append(f"{loop_kind}({','.join(loops)})")
            loops.clear()
        loop_kind = ""

    def close_functions() -> None:
        close_loops()
        if functions:
            out.append(f"function({','.join(functions)})")
            functions.clear()

    def close_cgscc() -> None:
        if cgscc:
            out.append(f"cgscc({','.join(cgscc)})")
            cgscc.clear()

    for step in steps:
        if step.level in (LOOP, LOOP_MSSA):
            close_cgscc()
            if loop_kind and loop_kind != step.level:
                close_loops()
            loop_kind = step.level
            loops.append(step.text)
        elif step.level == FUNCTION:
            close_cgscc()
            close_loops()
            functions.append(step.text)
        elif step.level == CGSCC:
            close_functions()
            cgscc.append(step.text)
        else:
            close_functions()
            close_cgscc()
            out.append(step.text)
    close_functions()
    close_cgscc()
    return ",".join(out)


# --- flattening --------------------------------------------------------------------------


def _flatten_nodes(nodes: Sequence[PipelineNode], level: str, into: list[Step]) -> None:
    for node in nodes:
        if node.name in _DROPPED:
            continue
        if node.children:
            inner = _ADAPTORS.get(node.name)
            if inner is None and node.name not in _TRANSPARENT:
                # An adaptor we do not model (e.g. a pass manager of a kind we skip): keep
                # its children at the level they were in.
                inner = level
            _flatten_nodes(node.children, inner or level, into)
            continue
        into.append(Step(node.text, level))


def flatten(pipeline: str, *, kinds: dict[str, str] | None = None) -> Candidate:
    """The steps of a pipeline string, adaptors removed.

    A top-level element's level comes from ``kinds`` (pass name -> level, from the local
    opt's registry) when given; otherwise it is taken as a module pass, which opt's parser
    wraps as needed for function passes, so the rendered result still means the same.
    """
    nodes, _error = parse_pipeline(pipeline)
    steps: list[Step] = []
    _flatten_nodes(nodes, MODULE, steps)
    if kinds:
        steps = [
            Step(s.text, _with_memoryssa(s.name, kinds.get(s.name, s.level)))
            if s.level == MODULE
            else s
            for s in steps
        ]
    return tuple(steps)


# Loop passes that only run in a loop adaptor that keeps MemorySSA.
_NEEDS_MEMORYSSA = frozenset({"licm", "lnicm", "simple-loop-unswitch"})


def _with_memoryssa(name: str, level: str) -> str:
    return LOOP_MSSA if level == LOOP and name in _NEEDS_MEMORYSSA else level


def level_of(kind: str) -> str | None:
    """The step level for a registry kind ("function", "loop", "cgscc", ...), or None."""
    lowered = kind.lower()
    if lowered.startswith("module"):
        return MODULE
    if lowered.startswith("cgscc"):
        return CGSCC
    if lowered.startswith("function"):
        return FUNCTION
    if lowered.startswith("loop"):
        return LOOP
    return None


# --- moves -------------------------------------------------------------------------------


@dataclass
class Moves:
    """Random edits of a candidate, drawing new passes from a weighted vocabulary."""

    steps: list[Step]
    weights: list[float]
    max_length: int = 160

    def pick(self, rng: random.Random) -> Step:
        return rng.choices(self.steps, self.weights)[0]

    def random_sequence(self, rng: random.Random, low: int = 4, high: int = 24) -> Candidate:
        return tuple(self.pick(rng) for _ in range(rng.randint(low, high)))

    def insert(self, rng: random.Random, cand: Candidate) -> Candidate:
        at = rng.randint(0, len(cand))
        return (*cand[:at], self.pick(rng), *cand[at:])

    def delete(self, rng: random.Random, cand: Candidate) -> Candidate:
        if len(cand) <= 1:
            return self.insert(rng, cand)
        at = rng.randrange(len(cand))
        return cand[:at] + cand[at + 1 :]

    def delete_run(self, rng: random.Random, cand: Candidate) -> Candidate:
        if len(cand) <= 2:
            return self.delete(rng, cand)
        width = rng.randint(2, min(8, len(cand) - 1))
        at = rng.randint(0, len(cand) - width)
        return cand[:at] + cand[at + width :]

    def replace(self, rng: random.Random, cand: Candidate) -> Candidate:
        if not cand:
            return self.insert(rng, cand)
        at = rng.randrange(len(cand))
        return (*cand[:at], self.pick(rng), *cand[at + 1 :])

    def swap(self, rng: random.Random, cand: Candidate) -> Candidate:
        if len(cand) < 2:
            return self.insert(rng, cand)
        at = rng.randrange(len(cand) - 1)
        return (*cand[:at], cand[at + 1], cand[at], *cand[at + 2 :])

    def move(self, rng: random.Random, cand: Candidate) -> Candidate:
        if len(cand) < 2:
            return self.insert(rng, cand)
        src = rng.randrange(len(cand))
        step = cand[src]
        rest = cand[:src] + cand[src + 1 :]
        dst = rng.randint(0, len(rest))
        return (*rest[:dst], step, *rest[dst:])

    def duplicate(self, rng: random.Random, cand: Candidate) -> Candidate:
        if not cand:
            return self.insert(rng, cand)
        at = rng.randrange(len(cand))
        return (*cand[: at + 1], cand[at], *cand[at + 1 :])

    def append_cleanup(self, rng: random.Random, cand: Candidate) -> Candidate:
        """A few cleanup passes at the end, where -Oz's last simplifications leave work."""
        tail = tuple(self.pick(rng) for _ in range(rng.randint(1, 3)))
        return cand + tail

    def mutate(self, rng: random.Random, cand: Candidate, edits: int = 1) -> Candidate:
        ops = (
            (self.insert, 3.0),
            (self.delete, 3.0),
            (self.delete_run, 1.0),
            (self.replace, 2.0),
            (self.swap, 1.0),
            (self.move, 1.0),
            (self.duplicate, 0.5),
            (self.append_cleanup, 1.0),
        )
        funcs = [op for op, _ in ops]
        weights = [w for _, w in ops]
        out = cand
        for _ in range(edits):
            out = rng.choices(funcs, weights)[0](rng, out)
        if len(out) > self.max_length:
            out = out[: self.max_length]
        return out if out else (self.pick(rng),)
