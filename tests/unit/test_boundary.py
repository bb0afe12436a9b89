"""The document boundary's pure parts: lone surrogates become U+FFFD without moving any
position, and the fast outline is ``parse_module``'s outline for every text."""

from __future__ import annotations

import random

import pytest

from lsp_server.features.documents import MAX_SPOTS, REPLACEMENT, clean_text, too_large
from lsp_server.features.positions import Lines
from lsp_server.syntax import ir
from lsp_server.syntax.outline import outline
from tests.stress.harness import Mutator, seed_documents

SURROGATES = ["\ud83d", "\udc00", "\udfff", "\ud800"]


def _utf16_units(text: str) -> int:
    # A lone surrogate is one UTF-16 code unit, as the client counted it.
    return len(text.encode("utf-16-le", errors="surrogatepass")) // 2


def _random_text(rng: random.Random) -> str:
    pieces = []
    for _ in range(rng.randrange(1, 40)):
        pieces.append(
            rng.choice(["a", "é", "😀", "\n", "\r\n", "\r", "  ", "%x = add i32 1, 2", *SURROGATES])
        )
    return "".join(pieces)


def test_lone_surrogates_become_replacement_characters_at_their_spots() -> None:
    text = "; a \ud83d b\r\nx\udc00\ny\n\udfff"
    cleaned, spots = clean_text(text)
    assert cleaned == text.replace("\ud83d", REPLACEMENT).replace("\udc00", REPLACEMENT).replace(
        "\udfff", REPLACEMENT
    )
    assert spots == ((0, 4), (1, 1), (3, 0))
    assert clean_text("no surrogate here") == ("no surrogate here", ())


@pytest.mark.parametrize("seed", range(200))
def test_replacing_keeps_every_position_in_every_encoding(seed: int) -> None:
    rng = random.Random(seed)
    text = _random_text(rng)
    cleaned, spots = clean_text(text)
    assert len(cleaned) == len(text)
    assert cleaned.encode("utf-8")  # encodable everywhere now
    lines = Lines(cleaned, "utf-16")
    for line, index in spots[:MAX_SPOTS]:
        assert lines.line(line)[index] == REPLACEMENT
    raw_lines, clean_lines = Lines(text).lines, Lines(cleaned).lines
    assert len(raw_lines) == len(clean_lines)
    for raw, clean in zip(raw_lines, clean_lines, strict=True):
        for cut in range(len(raw) + 1):
            assert _utf16_units(raw[:cut]) == _utf16_units(clean[:cut])
            raw8 = raw[:cut].encode("utf-8", errors="surrogatepass")
            assert len(raw8) == len(clean[:cut].encode("utf-8"))


def test_too_large_names_the_feature_the_size_and_the_setting() -> None:
    assert too_large("x" * 1000, "the preview", 1.0, "previewMegabytes") is None
    message = too_large("x" * 2_500_000, "the preview", 1.0, "previewMegabytes")
    assert message is not None
    assert "too large for the preview (2.5 MB; limit 1 MB" in message
    assert "irlens.limits.previewMegabytes" in message


def _documents() -> list[str]:
    rng = random.Random(18)
    mutator = Mutator(rng)
    texts = [text for kind, text in seed_documents() if kind == "ir"]
    texts += [mutator.mutate(text) for text in texts for _ in range(3)]
    texts += [mutator.huge_module(0.05), mutator.long_line(0.01)]
    texts += ["define i32 @f() {\r\n  ret i32 0\r\n}\r\n", "", "}", "define", "@g = global"]
    return texts


def test_the_fast_outline_is_parse_modules_outline() -> None:
    texts = _documents()
    assert len(texts) > 100
    for text in texts:
        module = ir.parse_module(text)
        assert outline(text) == (module.functions, module.globals), text[:300]


def test_a_capped_outline_holds_the_first_entities_in_file_order() -> None:
    def ordered(found: tuple[tuple[ir.IrFunction, ...], tuple[ir.IrGlobal, ...]]) -> list:
        rows = [*found[0], *found[1]]
        return sorted(rows, key=lambda e: (e.span.start.line, e.span.start.col))

    checked = 0
    for text in _documents():
        full = ordered(outline(text))
        for limit in (1, 2, 5, len(full)):
            capped = ordered(outline(text, limit))
            assert capped[:limit] == full[:limit], text[:300]
            checked += len(full) > limit
    assert checked > 50  # documents that the cap really cut
    huge = Mutator(random.Random(3)).huge_module(2.0)
    capped = outline(huge, 100)
    assert 100 <= len(capped[0]) + len(capped[1]) < 200  # the scan stopped early
