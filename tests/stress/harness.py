"""A seeded fuzz and soak harness for the language server, driven as a busy editor would.

It starts ``irlens serve`` as a subprocess with a private ``TMPDIR`` and its stderr in a log,
then throws documents at it (real and mutated IR, LLVM tests, assembly, random bytes, lone
surrogates, huge modules and lines, hostile assembler directives), edits with valid and invalid
ranges, requests at valid, out-of-range and ill-typed positions for every method the server
advertises, cancellation bursts, killed tool processes and a fake model server that goes away
and comes back. Meanwhile a probe asks for something trivial on a tiny document and times the
answer: that is the server's responsiveness while the rest is processed.

What counts as a failure (:meth:`Report.failures`): a traceback in the server's log, an
internal error (-32603) answered, a request unanswered after its timeout, a probe that waited
over its budget, files left in the server's TMPDIR, or the server dying. The quick subset runs
in the test command (``tests/stress/test_stress.py``); ``bench/stress_bench.py`` runs it long and
writes ``bench/results/stress.md``.

The same seed gives the same documents and the same sequence of requests, so a failure found
by a long run can be replayed.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"

INTERNAL_ERROR = -32603
#: Answers that are normal under fuzzing: a cancelled request, a changed document, bad params.
EXPECTED_ERRORS = {-32800, -32801, -32602, -32601, -32600}

TINY = "define i32 @probe(i32 %x) {\n  %y = add i32 %x, 1\n  ret i32 %y\n}\n"


# -- the client ------------------------------------------------------------------------------


@dataclass
class Pending:
    method: str
    sent: float
    timeout: float
    answered: float | None = None
    error: dict[str, Any] | None = None


class Session:
    """One ``irlens serve`` process and a JSON-RPC client speaking to it over stdio."""

    def __init__(self, tmpdir: Path, log_path: Path, *, encoding: str = "utf-16") -> None:
        env = dict(os.environ, TMPDIR=str(tmpdir), PYTHONUNBUFFERED="1")
        self.log_path = log_path
        self._log = log_path.open("wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "lsp_server", "serve", "--no-cache"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            env=env,
            cwd=ROOT,
        )
        self.encoding = encoding
        self.pending: dict[int, Pending] = {}
        self.notifications: Queue[dict[str, Any]] = Queue()
        self.capabilities: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._answers: dict[int, Queue[dict[str, Any]]] = {}
        # Every message goes out through one writer thread: the reader must never block on a
        # write (it answers the server's own requests), or a server blocked writing its
        # stdout and this client blocked writing the server's stdin wait for each other.
        self._outbox: Queue[bytes | None] = Queue()
        threading.Thread(target=self._write, daemon=True).start()
        threading.Thread(target=self._read, daemon=True).start()

    def _write(self) -> None:
        stdin = self.proc.stdin
        assert stdin is not None
        while True:
            data = self._outbox.get()
            if data is None:
                return
            try:
                stdin.write(data)
                stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                return

    # The reader answers the server's own requests the way a minimal editor would.
    def _read(self) -> None:
        stream = self.proc.stdout
        assert stream is not None
        while True:
            length = 0
            while True:
                line = stream.readline()
                if not line:
                    return
                if line in (b"\r\n", b"\n"):
                    break
                if line.lower().startswith(b"content-length:"):
                    length = int(line.split(b":")[1])
            message = json.loads(stream.read(length))
            if "method" in message and "id" in message:
                self._reply_to_server(message)  # queued for the writer: never blocks
            elif "method" in message:
                self.notifications.put(message)
            elif "id" in message:
                self._answered(message)

    def _reply_to_server(self, message: dict[str, Any]) -> None:
        result: Any = None
        if message["method"] == "workspace/applyEdit":
            result = {"applied": False, "failureReason": "stress client applies nothing"}
        elif message["method"] == "workspace/configuration":
            result = [None for _ in message.get("params", {}).get("items", [])]
        elif message["method"] == "window/showDocument":
            result = {"success": True}
        self._send({"id": message["id"], "result": result})

    def _answered(self, message: dict[str, Any]) -> None:
        with self._lock:
            pending = self.pending.get(message["id"])
            waiter = self._answers.pop(message["id"], None)
        if pending is not None:
            pending.answered = time.monotonic()
            pending.error = message.get("error")
        if waiter is not None:
            waiter.put(message)

    def _send(self, message: dict[str, Any]) -> None:
        # ensure_ascii keeps lone surrogates as \\udXXX escapes, as a JavaScript client sends them.
        data = json.dumps({"jsonrpc": "2.0", **message}, ensure_ascii=True).encode()
        self._outbox.put(b"Content-Length: %d\r\n\r\n" % len(data) + data)

    def request(self, method: str, params: Any, timeout: float = 30.0) -> int:
        with self._lock:
            self._next += 1
            rid = self._next
            self.pending[rid] = Pending(method, time.monotonic(), timeout)
        self._send({"id": rid, "method": method, "params": params})
        return rid

    def call(self, method: str, params: Any, timeout: float = 30.0) -> dict[str, Any] | None:
        """Send a request and wait for its answer (None: no answer within ``timeout``)."""
        waiter: Queue[dict[str, Any]] = Queue()
        with self._lock:
            self._next += 1
            rid = self._next
            self.pending[rid] = Pending(method, time.monotonic(), timeout)
            self._answers[rid] = waiter
        self._send({"id": rid, "method": method, "params": params})
        try:
            return waiter.get(timeout=timeout)
        except Empty:
            return None

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def cancel(self, rid: int) -> None:
        self.notify("$/cancelRequest", {"id": rid})

    def initialize(self, options: dict[str, Any]) -> None:
        capabilities = {
            "general": {"positionEncodings": [self.encoding]},
            "textDocument": {
                "hover": {"contentFormat": ["markdown", "plaintext"]},
                "codeAction": {
                    "resolveSupport": {"properties": ["edit"]},
                    "codeActionLiteralSupport": {
                        "codeActionKind": {"valueSet": ["", "refactor", "source"]}
                    },
                },
                "publishDiagnostics": {"versionSupport": True},
            },
            "workspace": {"workspaceEdit": {"documentChanges": True}},
            "window": {"workDoneProgress": True, "showDocument": {"support": True}},
        }
        answer = self.call(
            "initialize",
            {
                "processId": os.getpid(),
                "rootUri": None,
                "capabilities": capabilities,
                "initializationOptions": options,
            },
            timeout=60,
        )
        if answer is None or "result" not in answer:
            raise RuntimeError(f"initialize failed: {answer}")
        self.capabilities = answer["result"].get("capabilities", {})
        self.notify("initialized", {})

    def waiting(self) -> int:
        """Requests neither answered nor past their own timeout."""
        now = time.monotonic()
        with self._lock:
            return sum(
                1 for p in self.pending.values() if p.answered is None and now - p.sent < p.timeout
            )

    def wait_all(self, deadline: float, most: int = 0) -> None:
        """Wait until at most ``most`` requests are waiting (each answered or past its own
        timeout), or until ``deadline``."""
        while time.monotonic() < deadline:
            if self.waiting() <= most or self.proc.poll() is not None:
                return
            time.sleep(0.02)  # a poll of the client's own bookkeeping, not a wait on the server

    def children(self) -> list[int]:
        """The server's child processes (LLVM tools and spares)."""
        found = []
        for task in Path(f"/proc/{self.proc.pid}/task").glob("*"):
            try:
                found += [int(p) for p in (task / "children").read_text().split()]
            except OSError:
                continue
        return found

    def rss_mb(self) -> float:
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
        except OSError:
            pass
        return float("nan")

    def close(self) -> int | None:
        """Shut the server down as an editor does; the exit code (None if it had to be killed)."""
        if self.proc.poll() is None:
            self.call("shutdown", None, timeout=20)
            self.notify("exit", None)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                self._log.close()
                self._outbox.put(None)
                return None
        self._log.close()
        self._outbox.put(None)
        return self.proc.returncode


# -- documents -------------------------------------------------------------------------------


def seed_documents() -> list[tuple[str, str]]:
    """Real inputs to mutate: (kind, text) for corpus IR, LLVM tests and assembly."""
    found: list[tuple[str, str]] = []
    for path in sorted((DATA / "corpus" / "ir").glob("*.ll")):
        found.append(("ir", path.read_text()))
    for path in sorted((DATA / "llvm-tests").rglob("*.ll")):
        found.append(("ir", path.read_text(errors="replace")))
    for path in sorted((DATA / "corpus" / "asm").rglob("*.s")):
        found.append(("asm", path.read_text()))
    return found


HOSTILE_ASM = [
    ".text\n.fill 1073741824, 1, 0\n",
    ".data\n.fill 17179869184, 1, 0\n",
    '.data\n.incbin "/dev/zero"\n',
    '.data\n.incbin "/etc/passwd"\n',
    ".text\n.rept 100000000\nnop\n.endr\n",
    ".text\nf:\n" + "  jmp f\n" * 5000,
]


class Mutator:
    """Seeded ways to turn a real document into a hostile one."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def mutate(self, text: str) -> str:
        rng = self.rng
        lines = text.splitlines(keepends=True) or [""]
        how = rng.randrange(9)
        if how == 0:  # truncate anywhere, even inside a token
            return text[: rng.randrange(len(text) + 1)]
        if how == 1:
            del lines[rng.randrange(len(lines))]
        elif how == 2:
            i, j = rng.randrange(len(lines)), rng.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif how == 3:  # a lone surrogate, as a client that split a pair sends it
            i = rng.randrange(len(lines))
            k = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:k] + rng.choice(["\ud83d", "\udc00", "\udfff"]) + lines[i][k:]
        elif how == 4:
            i = rng.randrange(len(lines))
            lines.insert(i, rng.choice(["%", "@", "}", "{", "label %", "!", "#", "$"]) + "\n")
        elif how == 5:  # a token replaced by junk
            i = rng.randrange(len(lines))
            words = lines[i].split(" ")
            words[rng.randrange(len(words))] = rng.choice(["%999", "@nope", "i13", "ptr", "\x00"])
            lines[i] = " ".join(words)
        elif how == 6:
            lines += lines[: rng.randrange(len(lines) + 1)]  # duplicated definitions
        elif how == 7:
            return "".join(lines) + "".join(chr(rng.randrange(1, 0x3000)) for _ in range(200))
        else:
            return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4000))).decode(
                "latin-1"
            )
        return "".join(lines)

    def huge_module(self, megabytes: float) -> str:
        function = (
            "define i32 @f{n}(i32 %a, i32 %b) {{\nentry:\n  %s = add i32 %a, %b\n"
            "  %c = icmp sgt i32 %s, {n}\n  br i1 %c, label %yes, label %no\n"
            "yes:\n  ret i32 %s\nno:\n  ret i32 %a\n}}\n\n"
        )
        parts, size, n = [], 0, 0
        while size < megabytes * 1_000_000:
            chunk = function.format(n=n)
            parts.append(chunk)
            size += len(chunk)
            n += 1
        return "".join(parts)

    def long_line(self, megabytes: float) -> str:
        return "; " + "x" * int(megabytes * 1_000_000) + "\n" + TINY


# -- the run ---------------------------------------------------------------------------------


@dataclass
class Report:
    seed: int
    documents: int = 0
    requests: int = 0
    answered: int = 0
    edits: int = 0
    cancels: int = 0
    tools_killed: int = 0
    model_restarts: int = 0
    internal_errors: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    tracebacks: int = 0
    first_traceback: str = ""
    probes: list[float] = field(default_factory=list)
    rss_mb: list[float] = field(default_factory=list)
    leftover_files: list[str] = field(default_factory=list)
    exit_code: int | None = 0
    seconds: float = 0.0

    def probe_percentile(self, q: float) -> float:
        if not self.probes:
            return float("nan")
        ordered = sorted(self.probes)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def failures(self, probe_budget: float) -> list[str]:
        found = []
        if self.tracebacks:
            found.append(
                f"{self.tracebacks} tracebacks in the server log; first:\n{self.first_traceback}"
            )
        if self.internal_errors:
            found.append(f"{len(self.internal_errors)} internal errors: {self.internal_errors[:5]}")
        if self.unanswered:
            found.append(f"{len(self.unanswered)} unanswered: {self.unanswered[:5]}")
        slow = [p for p in self.probes if p > probe_budget]
        if slow:
            found.append(f"{len(slow)} probes over {probe_budget} s (max {max(slow):.2f} s)")
        if self.leftover_files:
            found.append(f"files left in TMPDIR: {self.leftover_files[:10]}")
        if self.exit_code != 0:
            found.append(f"the server exited with {self.exit_code}")
        return found

    def to_json(self) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "documents": self.documents,
            "requests": self.requests,
            "answered": self.answered,
            "edits": self.edits,
            "cancels": self.cancels,
            "toolsKilled": self.tools_killed,
            "modelRestarts": self.model_restarts,
            "internalErrors": len(self.internal_errors),
            "unanswered": len(self.unanswered),
            "tracebacks": self.tracebacks,
            "probeP50": self.probe_percentile(0.5),
            "probeP99": self.probe_percentile(0.99),
            "probeMax": max(self.probes, default=float("nan")),
            "probes": len(self.probes),
            "rssFirstMb": self.rss_mb[0] if self.rss_mb else None,
            "rssLastMb": self.rss_mb[-1] if self.rss_mb else None,
            "rssMaxMb": max(self.rss_mb, default=None),
            "leftoverFiles": len(self.leftover_files),
            "exitCode": self.exit_code,
            "seconds": round(self.seconds, 1),
        }


@dataclass
class Plan:
    """How hard to push: the quick subset and the long run differ only here."""

    seed: int = 0
    documents: int = 40
    seconds: float = 60.0
    huge_megabytes: float = 3.0
    long_line_megabytes: float = 0.3
    encoding: str = "utf-16"
    probe_every: float = 0.5
    kill_tools: bool = True
    model: bool = True
    request_timeout: float = 60.0
    #: An editor has a bounded number of requests out at once; past this many the harness
    #: waits for answers before it opens the next document (without it, the client only
    #: fills its own outgoing queue faster than any server reads it).
    max_in_flight: int = 32
    settings: dict[str, Any] = field(
        default_factory=lambda: {
            "suggest": {"budgetSeconds": 0.5, "maxCompilations": 20},
            "preview": {"timeBudgetMs": 200},
            "diagnostics": {"debounceMs": 50},
        }
    )


def _position(rng: random.Random, text: str) -> dict[str, Any]:
    lines = text.split("\n")
    how = rng.randrange(10)
    if how == 0:
        return {"line": len(lines) + rng.randrange(1, 1000), "character": 0}
    if how == 1:
        return {"line": rng.randrange(len(lines)), "character": 10_000 + rng.randrange(1000)}
    line = rng.randrange(len(lines))
    return {"line": line, "character": rng.randrange(len(lines[line]) + 1)}


def _ill_typed(rng: random.Random) -> Any:
    return rng.choice(
        [
            {"line": -1, "character": 0},
            {"line": "x", "character": 0},
            {"line": 0},
            None,
            [],
            {"line": 1.5, "character": 2**40},
        ]
    )


def _range(rng: random.Random, text: str, valid: bool) -> dict[str, Any]:
    a, b = _position(rng, text), _position(rng, text)
    if not valid:
        return {"start": {"line": a["line"] + 5, "character": 0}, "end": a}
    if (a["line"], a["character"]) > (b["line"], b["character"]):
        a, b = b, a
    return {"start": a, "end": b}


def _requests(session: Session) -> list[str]:
    """The request methods the server advertises (the fuzz covers what the server offers)."""
    caps = session.capabilities
    offered = {
        "hoverProvider": "textDocument/hover",
        "definitionProvider": "textDocument/definition",
        "referencesProvider": "textDocument/references",
        "documentHighlightProvider": "textDocument/documentHighlight",
        "documentSymbolProvider": "textDocument/documentSymbol",
        "codeActionProvider": "textDocument/codeAction",
        "foldingRangeProvider": "textDocument/foldingRange",
        "selectionRangeProvider": "textDocument/selectionRange",
        "completionProvider": "textDocument/completion",
        "renameProvider": "textDocument/rename",
        "semanticTokensProvider": "textDocument/semanticTokens/full",
        "inlayHintProvider": "textDocument/inlayHint",
    }
    return [method for key, method in offered.items() if caps.get(key)] + ["irlens/pipelineSteps"]


def _params(rng: random.Random, method: str, uri: str, text: str) -> Any:
    doc = {"uri": uri}
    if rng.random() < 0.05:
        return {"textDocument": doc, "position": _ill_typed(rng)}
    position = _position(rng, text)
    if method in ("textDocument/documentSymbol", "textDocument/foldingRange"):
        return {"textDocument": doc}
    if method == "textDocument/semanticTokens/full":
        return {"textDocument": doc}
    if method == "textDocument/codeAction":
        return {
            "textDocument": doc,
            "range": _range(rng, text, True),
            "context": {"diagnostics": []},
        }
    if method == "textDocument/inlayHint":
        return {"textDocument": doc, "range": _range(rng, text, True)}
    if method == "textDocument/selectionRange":
        return {"textDocument": doc, "positions": [position]}
    if method == "textDocument/references":
        return {"textDocument": doc, "position": position, "context": {"includeDeclaration": True}}
    if method == "textDocument/rename":
        return {
            "textDocument": doc,
            "position": position,
            "newName": rng.choice(["x", "1bad", "y"]),
        }
    if method == "irlens/pipelineSteps":
        return rng.choice(
            [
                {"textDocument": doc, "position": position},
                {"uri": uri, "pipeline": rng.choice(["instcombine", "nope", "default<O2>"])},
                {"uri": uri, "position": _ill_typed(rng)},
                {"textDocument": {"uri": 5}},
            ]
        )
    return {"textDocument": doc, "position": position}


def _edit(rng: random.Random, text: str) -> tuple[dict[str, Any], str]:
    """An incremental change (sometimes with an invalid range), and the client's new text."""
    if rng.random() < 0.2:
        new = text[: rng.randrange(len(text) + 1)]
        return {"text": new}, new
    valid = rng.random() > 0.1
    change = {
        "range": _range(rng, text, valid),
        "text": rng.choice(["", "x", "\n", "%1", "\ud83d", "}\n"]),
    }
    # The client keeps its own copy only for whole-document resends; incremental edits are the
    # server's to apply, and the next whole-document edit resynchronises both sides.
    return change, text


def _read_traceback(log_path: Path) -> tuple[int, str]:
    text = log_path.read_text(errors="replace") if log_path.exists() else ""
    count = text.count("Traceback (most recent call last)")
    if not count:
        return 0, ""
    start = text.index("Traceback (most recent call last)")
    return count, text[start : start + 3000]


def _kinds_of_documents(
    rng: random.Random, plan: Plan, seeds: list[tuple[str, str]]
) -> Iterator[tuple[str, str]]:
    mutator = Mutator(rng)
    yield "ir", mutator.huge_module(plan.huge_megabytes)
    yield "ir", mutator.long_line(plan.long_line_megabytes)
    while True:
        how = rng.random()
        if how < 0.08:
            yield "asm", rng.choice(HOSTILE_ASM)
        elif how < 0.15:
            yield rng.choice(["ir", "asm"]), mutator.mutate("")
        else:
            kind, text = rng.choice(seeds)
            yield kind, text if rng.random() < 0.3 else mutator.mutate(text)


def run(plan: Plan, workdir: Path, on_progress: Callable[[str], None] | None = None) -> Report:
    """Run one stress session as ``plan`` says; everything it writes stays under ``workdir``."""
    rng = random.Random(plan.seed)
    report = Report(seed=plan.seed)
    tmpdir = workdir / "tmp"
    tmpdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "server.log"
    fake = None
    settings = json.loads(json.dumps(plan.settings))
    if plan.model:
        from tests.support.openai_fake import FakeOpenAIServer

        fake = FakeOpenAIServer(lambda prompt, body: rng_answer(prompt)).start()
        settings["model"] = {"url": fake.url, "timeoutSeconds": 5}
    # The port of the model server while it is killed (None while it runs).
    down: int | None = None
    started = time.monotonic()
    session = Session(tmpdir, log_path, encoding=plan.encoding)
    try:
        session.initialize(settings)
        methods = _requests(session)
        probe_uri = "file:///stress/probe.ll"
        session.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": probe_uri, "languageId": "llvm", "version": 1, "text": TINY}},
        )
        stop = threading.Event()
        probe = threading.Thread(target=_probe, args=(session, probe_uri, plan, report, stop))
        probe.start()
        seeds = seed_documents()
        documents = _kinds_of_documents(rng, plan, seeds)
        open_now: list[tuple[str, str, int]] = []
        n = 0
        deadline = started + plan.seconds
        while n < plan.documents and time.monotonic() < deadline and session.proc.poll() is None:
            session.wait_all(
                min(deadline, time.monotonic() + plan.request_timeout), plan.max_in_flight
            )
            kind, text = next(documents)
            n += 1
            ext = ".ll" if kind == "ir" else ".s"
            uri = f"file:///stress/doc{n}{ext}"
            language = "llvm" if kind == "ir" else "asm"
            session.notify(
                "textDocument/didOpen",
                {"textDocument": {"uri": uri, "languageId": language, "version": 1, "text": text}},
            )
            report.documents += 1
            version = 1
            for _ in range(rng.randrange(3, 12)):
                what = rng.random()
                if what < 0.25:
                    version += 1
                    change, text = _edit(rng, text)
                    if "range" not in change:
                        text = change["text"]
                    session.notify(
                        "textDocument/didChange",
                        {
                            "textDocument": {"uri": uri, "version": version},
                            "contentChanges": [change],
                        },
                    )
                    report.edits += 1
                    continue
                method = rng.choice(methods)
                rid = session.request(method, _params(rng, method, uri, text), plan.request_timeout)
                report.requests += 1
                if what < 0.35:
                    session.cancel(rid)
                    report.cancels += 1
            if rng.random() < 0.15:
                command = rng.choice(["irlens.suggestPasses", "irlens.liftToIR"])
                arguments = rng.choice(
                    [[uri], [{"uri": uri}], [5], [], [{"uri": uri, "budgetSeconds": "x"}]]
                )
                session.request(
                    "workspace/executeCommand",
                    {"command": command, "arguments": arguments},
                    plan.request_timeout,
                )
                report.requests += 1
            if rng.random() < 0.05:  # a request on a document that was never opened
                session.request(
                    "textDocument/hover",
                    {
                        "textDocument": {"uri": f"file:///stress/never{n}.ll"},
                        "position": {"line": 0, "character": 0},
                    },
                    plan.request_timeout,
                )
                report.requests += 1
            if plan.kill_tools and rng.random() < 0.1:
                for pid in session.children()[:1]:
                    try:
                        os.kill(pid, signal.SIGKILL)
                        report.tools_killed += 1
                    except OSError:
                        pass
            if fake is not None and rng.random() < 0.05:
                # The model server killed, then a new one started on the same port.
                if down is None:
                    down = fake.port
                    fake.stop()
                else:
                    from tests.support.openai_fake import FakeOpenAIServer

                    fake = FakeOpenAIServer(lambda prompt, body: rng_answer(prompt), port=down)
                    fake.start()
                    down = None
                report.model_restarts += 1
            elif fake is not None and down is None and rng.random() < 0.05:
                fake.fail_next(503, times=rng.randrange(1, 4))
            open_now.append((uri, text, version))
            if len(open_now) > 30:
                old, _, _ = open_now.pop(0)
                session.notify("textDocument/didClose", {"textDocument": {"uri": old}})
            if n % 20 == 0:
                report.rss_mb.append(session.rss_mb())
                if on_progress:
                    on_progress(
                        f"{n} documents, {report.requests} requests, rss {report.rss_mb[-1]:.0f} MB"
                    )
        for uri, _, _ in open_now:
            session.notify("textDocument/didClose", {"textDocument": {"uri": uri}})
        session.wait_all(time.monotonic() + plan.request_timeout)
        report.rss_mb.append(session.rss_mb())
        stop.set()
        probe.join()
    finally:
        report.exit_code = session.close()
        if fake is not None:
            fake.stop()
    report.seconds = time.monotonic() - started
    now = time.monotonic()
    for rid, pending in sorted(session.pending.items()):
        if pending.answered is not None:
            report.answered += 1
            if pending.error and pending.error.get("code") == INTERNAL_ERROR:
                report.internal_errors.append(
                    f"{pending.method}: {pending.error.get('message', '')[:200]}"
                )
        elif pending.method != "shutdown":
            report.unanswered.append(
                f"#{rid} {pending.method} (sent {now - pending.sent:.0f} s ago)"
            )
    report.tracebacks, report.first_traceback = _read_traceback(log_path)
    report.leftover_files = sorted(str(p.relative_to(tmpdir)) for p in tmpdir.rglob("*"))
    return report


def rng_answer(prompt: str) -> str:
    """The FAKE model's answer: sometimes plausible, sometimes garbage, never a real model."""
    if "Disassemble" in prompt:
        return "<code>define i32 @f() {\n  ret i32 0\n}\n</code>"
    if "object file size" in prompt:
        return "opt -p 'module(default<Oz>),bogus-pass'"
    return (
        "The LLVM-IR will have instruction count 1 and binary sise 9 bytes:\n\n<code>garbage</code>"
    )


def _probe(session: Session, uri: str, plan: Plan, report: Report, stop: threading.Event) -> None:
    """Time a trivial request on a tiny document while the rest is being processed."""
    params = {"textDocument": {"uri": uri}}
    while not stop.wait(plan.probe_every):
        if session.proc.poll() is not None:
            return
        started = time.monotonic()
        answer = session.call("textDocument/documentSymbol", params, timeout=plan.request_timeout)
        if answer is not None:
            report.probes.append(time.monotonic() - started)


def run_in_tempdir(plan: Plan) -> Report:
    with tempfile.TemporaryDirectory(prefix="irlens-stress-") as workdir:
        return run(plan, Path(workdir))
