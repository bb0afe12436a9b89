"""The local opt's command-line options, from its own ``--help-list-hidden``.

A RUN line such as ``opt -passes=speculative-execution -spec-exec-max-speculation-cost 4 -S``
passes an option's value as the next word. Which options do that is opt's to say, not a
fixed table's: ``--help-list-hidden`` lists every option with its value kind, e.g.::

      --spec-exec-max-speculation-cost=<uint>   - Speculative execution is not applied ...
      -o <filename>                             - Override output filename
      --verify-dom-info                         - Verify dominator info (time consuming)
      -p                                        - Alias for -passes

An option written ``=<kind>`` or `` <kind>`` requires a value, which may be the next word;
one written ``[=<kind>]`` takes a value only after ``=``; one with no kind is a flag. An
alias takes what its target takes. The table is read once per toolchain (``Services``
keeps it) and parsed here without IO.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from lsp_server.llvm.errors import ToolError
from lsp_server.llvm.runner import run_tool
from lsp_server.llvm.toolchain import Toolchain

_LINE = re.compile(
    r"^  (?P<dashes>--?)(?P<name>[A-Za-z0-9][^\s=\[<]*)"
    r"(?P<value>=<[^>]*>|\[=<[^>]*>\]| <[^>]*>)?\s+- ?(?P<help>.*)$"
)
_ALIAS = re.compile(r"^Alias for --?(?P<target>\S+)")

#: The value kinds, as :attr:`OptOptions.kinds` holds them.
FLAG = "flag"
REQUIRED = "required"
OPTIONAL = "optional"


@dataclass(frozen=True)
class OptOptions:
    """Every option the local opt knows, by name (without dashes), with its value kind:
    :data:`FLAG`, :data:`REQUIRED` (the value may be the next word) or :data:`OPTIONAL`
    (only ``-name=value``). ``value_names`` holds what the help calls the value
    (``uint``, ``string``, ``filename``)."""

    kinds: Mapping[str, str]
    value_names: Mapping[str, str]

    def knows(self, name: str) -> bool:
        """Whether ``name`` (no dashes, no ``=value``) is one of opt's options."""
        return name in self.kinds

    def takes_next_word(self, name: str) -> bool:
        """Whether ``-name`` written without ``=`` takes the next word as its value."""
        return self.kinds.get(name) == REQUIRED

    def value_name(self, name: str) -> str:
        """What the help calls ``name``'s value ("uint", "string"), or ""."""
        return self.value_names.get(name, "")


def parse_help(text: str) -> OptOptions:
    """The options in ``opt --help-list-hidden`` output (see the module docstring)."""
    kinds: dict[str, str] = {}
    value_names: dict[str, str] = {}
    aliases: dict[str, str] = {}
    for line in text.splitlines():
        match = _LINE.match(line)
        if match is None:
            continue
        name, value = match["name"], match["value"]
        alias = _ALIAS.match(match["help"].strip())
        if value is None and alias is not None:
            aliases[name] = alias["target"]
            continue
        if value is None:
            kinds[name] = FLAG
            continue
        # An enum option whose value is optional is listed twice: bare, then with =<value>.
        optional = value.startswith("[") or kinds.get(name) in (FLAG, OPTIONAL)
        kinds[name] = OPTIONAL if optional else REQUIRED
        value_names[name] = value.strip(" =[]<>")
    for alias_name, target in aliases.items():
        kinds.setdefault(alias_name, kinds.get(target, FLAG))
        if target in value_names:
            value_names.setdefault(alias_name, value_names[target])
    return OptOptions(kinds, value_names)


async def load_opt_options(toolchain: Toolchain) -> OptOptions:
    """The local opt's options (one ``opt --help-list-hidden`` run)."""
    result = await run_tool(
        [toolchain.path("opt"), "--help-list-hidden"], timeout=toolchain.timeout
    )
    # opt prints the help to stdout; an empty table would drop every option's value.
    if not result.ok or "OPTIONS:" not in result.out:
        raise ToolError.from_result("opt --help-list-hidden failed", result)
    return parse_help(result.out)
