"""The one argument-error convention of custom requests and commands."""

from __future__ import annotations

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcInvalidParams

from lsp_server.features.arguments import (
    ArgumentError,
    no_arguments,
    optional_number,
    optional_position,
    optional_str,
)


def test_an_argument_error_is_an_invalid_params_response_with_its_message() -> None:
    error = ArgumentError("irlens.x: budgetSeconds must be a number").to_jsonrpc()
    assert isinstance(error, JsonRpcInvalidParams)
    response = error.to_response_error()
    assert response.code == -32602
    assert response.message == "irlens.x: budgetSeconds must be a number"


def test_optional_strings() -> None:
    assert optional_str(None, "m", "f") is None
    assert optional_str("", "m", "f") is None
    assert optional_str("crc32", "m", "f") == "crc32"
    with pytest.raises(ArgumentError, match=r"^m: function must be a string, got 3$"):
        optional_str(3, "m", "function")


def test_optional_numbers_within_bounds() -> None:
    assert optional_number(None, "m", "n", low=0, high=10) is None
    assert optional_number(2.5, "m", "n", low=0, high=10) == 2.5
    assert optional_number(10, "m", "n", low=0, high=10) == 10
    for bad, why in [
        (True, "must be a number"),
        ("1", "must be a number"),
        (11, "must be between 0 and 10"),
    ]:
        with pytest.raises(ArgumentError, match=f"m: n {why}"):
            optional_number(bad, "m", "n", low=0, high=10)


def test_optional_positions_name_the_field_at_fault() -> None:
    assert optional_position(None, "m", "position") is None
    assert optional_position({"line": 2, "character": 5}, "m", "position") == types.Position(
        line=2, character=5
    )
    with pytest.raises(ArgumentError, match="m: position must be a position"):
        optional_position([2, 5], "m", "position")
    with pytest.raises(ArgumentError, match=r"m: position\.line must be a non-negative integer"):
        optional_position({"line": -1, "character": 0}, "m", "position")
    with pytest.raises(ArgumentError, match=r"m: position\.character must be"):
        optional_position({"line": 1}, "m", "position")


def test_no_arguments_tolerates_a_null_or_empty_object_only() -> None:
    no_arguments([], "irlens.doctor")
    no_arguments([None], "irlens.doctor")
    no_arguments([{}], "irlens.doctor")
    with pytest.raises(ArgumentError, match=r"irlens\.doctor takes no arguments"):
        no_arguments(["file:///a.ll"], "irlens.doctor")
