"""The exception every LLVM operation raises when its tool fails."""

from __future__ import annotations

from lsp_server.llvm.runner import ToolResult


class ToolError(Exception):
    """An LLVM tool failed; ``str(err)`` is a message for the user, ``result`` the details."""

    def __init__(self, message: str, result: ToolResult | None = None) -> None:
        super().__init__(message)
        self.result = result

    @classmethod
    def from_result(cls, what: str, result: ToolResult) -> ToolError:
        return cls(f"{what}: {result.describe_failure()}", result)
