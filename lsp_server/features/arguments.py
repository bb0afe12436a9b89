"""One convention for the arguments of irlens' custom requests and commands.

A parser raises :class:`ArgumentError` with a message that names the method and the field at
fault; the handler turns it into a JSON-RPC ``InvalidParams`` (-32602) response with
:meth:`ArgumentError.to_jsonrpc`, so every client shows the same kind of error for every
request, and the server shows nothing twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams


class ArgumentError(ValueError):
    """The arguments of a request or command are not usable; ``str(err)`` says why."""

    def to_jsonrpc(self) -> JsonRpcInvalidParams:
        """The error response the handler raises (pygls answers the request with it)."""
        return JsonRpcInvalidParams(str(self))


def optional_str(value: Any, method: str, field: str) -> str | None:
    """A string field that may be absent (or empty, which means absent)."""
    if value is None or isinstance(value, str):
        return value or None
    raise ArgumentError(f"{method}: {field} must be a string, got {value!r}")


def optional_number(
    value: Any, method: str, field: str, *, low: float, high: float
) -> float | None:
    """A number field between ``low`` and ``high`` that may be absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ArgumentError(f"{method}: {field} must be a number")
    if not low <= value <= high:
        raise ArgumentError(f"{method}: {field} must be between {low:g} and {high:g}")
    return value


def optional_position(value: Any, method: str, field: str) -> types.Position | None:
    """An LSP ``Position`` that may be absent."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise ArgumentError(f"{method}: {field} must be a position {{line, character}}")
    numbers = []
    for key in ("line", "character"):
        number = value.get(key)
        if isinstance(number, bool) or not isinstance(number, int) or number < 0:
            raise ArgumentError(f"{method}: {field}.{key} must be a non-negative integer")
        numbers.append(number)
    return types.Position(line=numbers[0], character=numbers[1])


def no_arguments(args: Sequence[Any], method: str) -> None:
    """A command that takes nothing (a client may still send one null or empty object)."""
    if all(arg is None or arg == {} for arg in args):
        return
    raise ArgumentError(f"{method} takes no arguments, got {list(args)!r}")
