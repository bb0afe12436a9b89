"""The memory phase of the stress bench: does a closed document leave anything behind?

``irlens serve`` is sent 1,000 documents one after another, each opened, asked for its
symbols, a hover on its first function and a definition, then closed (at most ten are open
at a time, as in an editor), with a FAKE model server answering the hovers' predictions. The documents are real IR and assembly, each made unique by a
seeded mutation so that no cache answers one document for another. The server's resident
memory is recorded after the first 100 and after all 1,000 (target: within 1.25x).
Run through ``python bench/stress_bench.py --memory``.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.stress.harness import Mutator, Session, rng_answer, seed_documents  # noqa: E402
from tests.support.openai_fake import FakeOpenAIServer  # noqa: E402

OPEN_AT_ONCE = 10


def _first_define(text: str) -> dict[str, int]:
    for number, line in enumerate(text.splitlines()):
        if line.startswith("define"):
            return {"line": number, "character": 2}
    return {"line": 0, "character": 0}


def _unique(rng: random.Random, mutator: Mutator, text: str, n: int) -> str:
    # Mostly intact documents (so the features do their full work), some mutated.
    if rng.random() < 0.3:
        text = mutator.mutate(text)
    return f"; stress document {n}\n{text}"


def measure(
    workdir: Path, *, documents: int = 1000, first: int = 100, seed: int = 0, progress: Any = None
) -> dict[str, Any]:
    """Run the phase in ``workdir``; the RSS after ``first`` and after ``documents``."""
    rng = random.Random(seed)
    mutator = Mutator(rng)
    seeds = [(kind, text) for kind, text in seed_documents() if len(text) < 200_000]
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    # A FAKE model server, as in the stress sessions, so that hovers ask for predictions.
    fake = FakeOpenAIServer(lambda prompt, body: rng_answer(prompt)).start()
    session = Session(tmpdir, workdir / "server.log")
    samples: list[tuple[int, float]] = []
    started = time.monotonic()
    unanswered = hovers = 0
    try:
        session.initialize({"model": {"url": fake.url, "timeoutSeconds": 5}})
        open_now: list[str] = []
        for n in range(1, documents + 1):
            kind, text = rng.choice(seeds)
            text = _unique(rng, mutator, text, n)
            ext, language = (".ll", "llvm") if kind == "ir" else (".s", "asm")
            uri = f"file:///stress/memory{n}{ext}"
            session.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
            )
            document = {"textDocument": {"uri": uri}}
            position = _first_define(text)
            for method, params in (
                ("textDocument/documentSymbol", document),
                ("textDocument/hover", {**document, "position": position}),
                ("textDocument/definition", {**document, "position": position}),
            ):
                answer = session.call(method, params, timeout=60)
                if answer is None:
                    unanswered += 1
                elif method == "textDocument/hover" and answer.get("result"):
                    hovers += 1
            open_now.append(uri)
            if len(open_now) > OPEN_AT_ONCE:
                old = open_now.pop(0)
                session.notify("textDocument/didClose", {"textDocument": {"uri": old}})
            if n in (first, documents):
                # Everything of the documents so far is closed and answered before measuring.
                for old in open_now:
                    session.notify("textDocument/didClose", {"textDocument": {"uri": old}})
                open_now.clear()
                session.call("textDocument/documentSymbol", document, timeout=60)
                samples.append((n, session.rss_mb()))
            if progress is not None and n % 100 == 0:
                progress(f"{n} documents, rss {session.rss_mb():.0f} MB")
    finally:
        exit_code = session.close()
        fake.stop()
    rss = dict(samples)
    leftovers = sorted(str(p.relative_to(tmpdir)) for p in tmpdir.rglob("*"))
    return {
        "documents": documents,
        "first": first,
        "rssFirstMb": rss.get(first),
        "rssLastMb": rss.get(documents),
        "ratio": (rss[documents] / rss[first]) if first in rss and documents in rss else None,
        "unanswered": unanswered,
        "hoversWithContent": hovers,
        "seconds": round(time.monotonic() - started, 1),
        "exitCode": exit_code,
        "leftoverFiles": leftovers,
    }
