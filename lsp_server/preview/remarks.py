"""A pass's optimization remarks: what it did, did not do and why, from opt itself.

opt writes remarks as YAML with ``-pass-remarks-output`` (``--- !Missed`` documents with
``Pass``, ``Name``, ``Function``, ``DebugLoc`` and ``Args``); they are parsed with PyYAML,
never by hand. A remark's message is its ``Args`` joined in order, as opt prints it
("'f' not inlined into 'g' because too costly to inline (cost=45, threshold=0)").

With ``-pass-remarks=.*`` (and ``-missed``, ``-analysis``) opt also prints one line per remark
to stderr as it emits it, which is how :mod:`lsp_server.preview.steps` tells which pass of a
pipeline gave which remark (:data:`REMARK_LINE`).
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass
from typing import Any

from lsp_server.llvm import opt
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.warm import WarmTools
from lsp_server.services import Services

log = logging.getLogger(__name__)

#: The file opt writes remarks to, in its private directory.
REMARKS_FILE = "remarks.yaml"
#: The options that make opt print every remark to stderr as it emits it.
PRINT_REMARKS = ("-pass-remarks=.*", "-pass-remarks-missed=.*", "-pass-remarks-analysis=.*")
#: A remark as opt prints it on stderr ("remark: <unknown>:0:0: ..." or with a location).
REMARK_LINE = re.compile(r"^(?:remark: (?:<unknown>|\S+):\d+:\d+: |\S+:\d+:\d+: remark: )")
#: The most remarks shown in a hover.
MAX_SHOWN = 8

#: Why there are no remarks where PyYAML is missing (the VS Code bundle has none).
NO_PYYAML = "reading opt's remarks needs PyYAML in the server's Python (pip install pyyaml)"

_KINDS = {"Passed": "passed", "Missed": "missed", "Failure": "failure"}


@dataclass(frozen=True)
class Remark:
    """One remark: ``kind`` is passed, missed, analysis or failure."""

    kind: str
    pass_name: str
    name: str
    function: str
    message: str
    location: str | None = None  # "file:line:column" when the IR carries debug locations

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "pass": self.pass_name,
            "name": self.name,
            "function": self.function,
            "message": self.message,
            "location": self.location,
        }


def _tagged(loader: Any, suffix: str, node: Any) -> dict[str, Any]:
    import yaml

    if not isinstance(node, yaml.MappingNode):
        return {}
    data = {str(k): v for k, v in loader.construct_mapping(node, deep=True).items()}
    data["__kind"] = _KINDS.get(suffix, "analysis" if suffix.startswith("Analysis") else suffix)
    return data


@functools.cache
def _remark_loader() -> Any:
    """A safe loader that also reads opt's !Passed, !Missed, !Analysis... tags, or None.

    PyYAML is imported here, on the first remarks, not with the preview: the VS Code
    extension's bundled server carries pure-Python wheels only, and PyYAML has none, so there
    the remarks are left out (and said to be) unless the interpreter has PyYAML itself.
    The loader is made with type(): PyYAML has no type stubs here, and a class statement
    cannot subclass an untyped base.
    """
    try:
        import yaml
    except ImportError:
        log.warning("irlens: pass remarks need PyYAML (pip install pyyaml); they are left out")
        return None
    loader: Any = type("_RemarkLoader", (yaml.SafeLoader,), {})
    yaml.add_multi_constructor("!", _tagged, Loader=loader)
    return loader


def _location(value: Any) -> str | None:
    if not isinstance(value, dict) or "File" not in value:
        return None
    return f"{value['File']}:{value.get('Line', 0)}:{value.get('Column', 0)}"


def _message(args: Any) -> str:
    parts: list[str] = []
    for arg in args if isinstance(args, list) else []:
        if not isinstance(arg, dict):
            continue
        for key, value in arg.items():
            if key != "DebugLoc":
                parts.append(str(value))
                break
    return "".join(parts)


def parse_remarks(text: str) -> list[Remark]:
    """The remarks in opt's YAML remarks output; unreadable YAML gives none."""
    loader = _remark_loader()
    if loader is None:
        return []
    import yaml

    try:
        documents = list(yaml.load_all(text, Loader=loader))
    except yaml.YAMLError:
        return []
    remarks = []
    for doc in documents:
        if not isinstance(doc, dict) or "__kind" not in doc:
            continue
        remarks.append(
            Remark(
                kind=str(doc["__kind"]),
                pass_name=str(doc.get("Pass", "")),
                name=str(doc.get("Name", "")),
                function=str(doc.get("Function", "")),
                message=_message(doc.get("Args")),
                location=_location(doc.get("DebugLoc")),
            )
        )
    return remarks


async def pass_remarks(
    services: Services,
    module: str,
    passes: str,
    args: tuple[str, ...],
    warm: WarmTools | None = None,
) -> list[Remark] | str:
    """The remarks ``passes`` makes on ``module`` (with a RUN line's ``args``), or why not.

    The YAML goes to stdout (``-pass-remarks-output=-``, with ``-disable-output``), so a
    spare opt started ahead (``warm``, the server's) can run it."""
    if _remark_loader() is None:
        return NO_PYYAML
    toolchain = services.toolchain
    options = opt.pipeline_args(passes, output="none", extra=[*args, "-pass-remarks-output=-"])
    if warm is not None:
        result = await warm.opt(toolchain, options, module)
    else:
        result = await run_tool(
            [toolchain.path("opt"), *options], stdin=module, timeout=toolchain.timeout
        )
    if not result.ok:
        return result.describe_failure()
    return parse_remarks(result.out)


def render_remarks(remarks: list[Remark], function: str | None) -> str:
    """The hover's remarks paragraph: the function's remarks, else the module's (a RUN
    line's hover is about a pipeline more than about the function nearest it)."""
    shown = [r for r in remarks if function is None or r.function == function]
    if not shown and remarks:
        shown, function = remarks, None
    if not shown:
        where = f" for `@{function}`" if function else ""
        return f"**Remarks**{where}: none."
    counts = {kind: sum(1 for r in shown if r.kind == kind) for kind in ("passed", "missed")}
    other = len(shown) - counts["passed"] - counts["missed"]
    summary = f"{counts['passed']} passed, {counts['missed']} missed, {other} analysis"
    where = f" for `@{function}`" if function else " in the module"
    lines = [f"**Remarks**{where} ({summary}):"]
    for remark in shown[:MAX_SHOWN]:
        at = f" · {remark.location}" if remark.location else ""
        text = remark.message.replace("`", "'")
        lines.append(f"- {remark.kind} ({remark.pass_name}): {text}{at}")
    if len(shown) > MAX_SHOWN:
        lines.append(f"- … {len(shown) - MAX_SHOWN} more in the side panel")
    return "\n".join(lines)
