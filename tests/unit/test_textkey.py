"""One text hash and one encoding for any str, lone surrogates included."""

from __future__ import annotations

import pytest

from lsp_server.config import Settings
from lsp_server.llvm.toolchain import Toolchain
from lsp_server.preview.engine import PreviewState, hover_preview
from lsp_server.services import Services
from lsp_server.textkey import text_bytes, text_key

# What json.loads makes of '"a\\ud800b"': valid JSON, but not encodable with str.encode().
LONE = "a\ud800b"


def test_a_lone_surrogate_hashes_and_encodes() -> None:
    with pytest.raises(UnicodeEncodeError):
        LONE.encode()
    assert text_key(LONE) == text_key("a\ud800b")
    assert text_key(LONE) != text_key("ab") != text_key("a\udc00b")
    assert len(text_key(LONE)) == 64
    assert text_bytes(LONE).decode("utf-8", "surrogatepass") == LONE


def test_ordinary_text_is_plain_utf8() -> None:
    for text in ("", "define void @f()", "é ✓ 🙂"):
        assert text_bytes(text) == text.encode()


async def test_a_hover_on_text_with_a_lone_surrogate_does_not_raise() -> None:
    # No LLVM tools: the preview says what is missing, after hashing the text for its memo.
    text = "; RUN: opt -passes=instcombine -S %s\n; \ud800\ndefine void @f() {\n  ret void\n}\n"
    services = Services(settings=Settings(), toolchain=Toolchain())
    found = await hover_preview(text, 0, text.index("instcombine") + 1, services, PreviewState())
    assert found is not None and "cannot preview" in found.markdown
