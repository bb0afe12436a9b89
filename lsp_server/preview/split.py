"""One opt run for both sides of a preview, where the cut allows it.

A preview compares the module after the passes before the hovered one with the module
after it. Where the cut between them falls between module or function passes, one opt
run gives both: the pipeline up to the cut, opt's ``print`` pass (which writes the module
to stderr exactly as ``-S`` writes it to stdout), then the hovered pass. That saves a
process start, which costs more than the passes themselves on a small machine. The
tests check that both sides equal what the two truncated pipelines give on their own.
"""

from __future__ import annotations

from lsp_server.preview.target import Target
from lsp_server.syntax.pipeline import PipelineNode, parse_pipeline, truncate

# Adaptors a pipeline may be cut across without changing what the passes do: a function
# pass sees only its function, so running the functions through the first half and then
# through the second gives the module the whole adaptor gives.
_SPLITTABLE = frozenset({"module", "function"})
# Names opt parses itself at module level (adaptors and the default pipelines), which
# --print-passes does not list as module passes.
_MODULE_LEVEL = frozenset(
    {"module", "cgscc", "function", "repeat", "default", "thinlto-pre-link", "thinlto"}
    | {"lto-pre-link", "lto"}
)
# Passes whose own output goes to stderr, where the combined run prints the "before".
_PRINTING = ("print", "debugify", "check-debugify", "dot-", "view-", "verify")


def _top_level(node: PipelineNode, kinds: dict[str, frozenset[str]]) -> str | None:
    """The level opt parses a pipeline starting with ``node`` at (PassBuilder's order)."""
    name = node.name
    if name in ("require", "invalidate"):
        analysis = node.params or ""
        if analysis in kinds.get("module-analyses", frozenset()):
            return "module"
        if analysis in kinds.get("function-analyses", frozenset()):
            return "function"
        return None
    if name in _MODULE_LEVEL or name in kinds.get("module", ()):
        return "module"
    if name in kinds.get("cgscc", ()) or name == "devirt":
        return "cgscc"
    if name in kinds.get("function", ()) or name in ("loop", "loop-mssa"):
        return "function"
    return None


def _path_to_leaf(
    nodes: tuple[PipelineNode, ...], index: int
) -> tuple[list[PipelineNode], PipelineNode] | None:
    """The adaptors around leaf ``index`` (outermost first) and the leaf."""
    count = 0

    def walk(
        level: tuple[PipelineNode, ...], above: list[PipelineNode]
    ) -> tuple[list[PipelineNode], PipelineNode] | None:
        nonlocal count
        for node in level:
            if node.children:
                found = walk(node.children, [*above, node])
                if found is not None:
                    return found
            else:
                if count == index:
                    return above, node
                count += 1
        return None

    return walk(nodes, [])


def combined_pipeline(target: Target, kinds: dict[str, frozenset[str]]) -> str | None:
    """One pipeline that gives both sides of ``target``: the "before" passes, then opt's
    ``print`` pass (the module to stderr), then the previewed pass; or None when the cut
    would cross an adaptor other than ``module``/``function`` (CGSCC, loop and repeat
    adaptors interleave their passes, so cutting them changes the result)."""
    if target.pass_text.startswith(_PRINTING):
        return None
    if not target.before:
        # Nothing runs before: the cut is at the very start, whatever the adaptors.
        after, error = parse_pipeline(target.after)
        level = _top_level(after[0], kinds) if after and error is None else None
        if level is None:
            return None
        return "print," + (target.after if level == "module" else f"{level}({target.after})")
    if target.kind != "pass":
        return None
    nodes, error = parse_pipeline(target.pipeline)
    if error is not None or not nodes:
        return None
    level = _top_level(nodes[0], kinds)
    if level == "function":
        nodes = (PipelineNode("function", None, nodes, 0, 0),)
    elif level != "module":
        return None
    found = _path_to_leaf(nodes, target.leaf_index)
    if found is None:
        return None
    above, leaf = found
    if any(node.name not in _SPLITTABLE for node in above):
        return None
    rest = leaf.text
    for node in reversed(above):
        rest = f"{node.text}({rest})"
    before = truncate(nodes, target.leaf_index, inclusive=False)
    return ",".join(part for part in (before, "print", rest) if part)
