"""Model daemon throughput and latency (issue 3's targets).

    python bench/daemon_bench.py [--new-tokens 128] [--reps 5] [--skip-gpu]

CPU part (runs anywhere): a small random Llama (hidden 256, 4 layers) written to disk and
served by ``python -m lsp_server.daemon`` in a subprocess. Tokens per second and time to
first token for 1, 4 and 16 concurrent streaming requests over HTTP, against plain
``model.generate`` on the same checkpoint in this process. Targets: the daemon's time
for one request at most 1.15x that of ``generate``; throughput with 16 concurrent
requests at least 3x that of one.

GPU part (only where CUDA is present): a Llama with Code Llama 7B's shape and random
weights in bfloat16 (speed does not depend on the weight values), served in-process:
tokens per second at 1 and 16 concurrent requests, and the fraction of the memory
bandwidth limit at batch 1 (weight bytes x tokens per second / the GPU's peak bandwidth).
Target: at least 60%.

Writes bench/results/daemon.json and bench/results/daemon.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lsp_server.daemon.settings import DaemonSettings  # noqa: E402
from lsp_server.daemon.tiny import TinyShape, build_tiny_checkpoint  # noqa: E402

RESULTS = ROOT / "bench" / "results"
CORPUS = ROOT / "tests" / "data" / "corpus"
PROMPT_TOKENS = 96
#: One torch thread on each side: on a shared 2-core machine, two OpenMP threads spend
#: most of their time waiting for each other, which would measure the neighbours' load.
CPU_THREADS = 1
CPU_SHAPE = TinyShape(
    hidden_size=256,
    intermediate_size=688,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=4,
    vocab_size=2048,
    max_position_embeddings=4096,
)
#: Peak memory bandwidth in bytes/s, by a substring of torch.cuda.get_device_name().
PEAK_BANDWIDTH = [
    ("H200", 4.8e12),
    ("H100 PCIe", 2.0e12),
    ("H100 NVL", 3.9e12),
    ("H100", 3.35e12),
    ("A100-SXM4-80GB", 2.039e12),
    ("A100 80GB PCIe", 1.935e12),
    ("A100", 1.555e12),
    ("L40S", 0.864e12),
    ("RTX 4090", 1.008e12),
    ("A10G", 0.6e12),
    ("L4", 0.3e12),
]
CODE_LLAMA_7B = {
    "vocab_size": 32016,
    "hidden_size": 4096,
    "intermediate_size": 11008,
    "num_hidden_layers": 32,
    "num_attention_heads": 32,
    "num_key_value_heads": 32,
    "max_position_embeddings": 16384,
    "rope_parameters": {"rope_type": "default", "rope_theta": 1_000_000.0},
    "rms_norm_eps": 1e-5,
    "bos_token_id": 1,
    "eos_token_id": 2,
}


# -- prompts -----------------------------------------------------------------------


def corpus_texts(limit: int = 64) -> list[str]:
    return [p.read_text() for p in sorted((CORPUS / "ir").glob("*.ll"))[:limit]]


def make_prompts(tokenizer: Any, count: int) -> list[str]:
    """``count`` different IR prompts of about ``PROMPT_TOKENS`` tokens each."""
    prompts = []
    for text in corpus_texts(limit=count * 2):
        ids = tokenizer(text, add_special_tokens=False)["input_ids"]
        if len(ids) >= PROMPT_TOKENS:
            prompts.append(tokenizer.decode(ids[:PROMPT_TOKENS]))
        if len(prompts) == count:
            return prompts
    while len(prompts) < count:
        prompts.append(prompts[len(prompts) % max(1, len(prompts))])
    return prompts


# -- plain transformers ------------------------------------------------------------


def generate_baseline(
    loaded: Any, prompts: list[str], new_tokens: int, reps: int
) -> dict[str, float]:
    """``model.generate`` (greedy, EOS suppressed) on a left-padded batch of ``prompts``."""
    import torch

    tokenizer = loaded.tokenizer
    tokenizer.padding_side = "left"
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    batch = tokenizer(prompts, return_tensors="pt", padding=True).to(loaded.device)

    def run(tokens: int) -> float:
        if loaded.device.type == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        with torch.inference_mode():
            loaded.model.generate(
                **batch,
                max_new_tokens=tokens,
                min_new_tokens=tokens,
                do_sample=False,
                pad_token_id=tokenizer.pad_token_id,
            )
        if loaded.device.type == "cuda":
            torch.cuda.synchronize()
        return time.perf_counter() - start

    run(4)  # warm-up: first calls allocate and pick kernels
    totals = [run(new_tokens) for _ in range(reps)]
    firsts = [run(1) for _ in range(reps)]
    total = statistics.median(totals)
    return {
        "seconds": total,
        "tokens_per_s": len(prompts) * new_tokens / total,
        "ttft_ms": statistics.median(firsts) * 1000,
    }


# -- the daemon over HTTP ----------------------------------------------------------


async def _one_request(
    client: httpx.AsyncClient, url: str, name: str, prompt: str, new_tokens: int
) -> tuple[float, float, int]:
    body = {
        "model": name,
        "prompt": prompt,
        "max_tokens": new_tokens,
        "temperature": 0,
        "ignore_eos": True,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    start = time.perf_counter()
    first = None
    tokens = 0
    async with client.stream("POST", f"{url}/v1/completions", json=body) as response:
        response.raise_for_status()
        async for line in response.aiter_lines():
            if not line.startswith("data: {"):
                continue
            chunk = json.loads(line[6:])
            if first is None and chunk["choices"]:
                first = time.perf_counter()
            if chunk.get("usage"):
                tokens = chunk["usage"]["completion_tokens"]
    end = time.perf_counter()
    return (first or end) - start, end - start, tokens


async def http_load(
    url: str, name: str, prompts: list[str], new_tokens: int, concurrency: int
) -> dict[str, float]:
    """``concurrency`` streaming requests at once; aggregate tokens/s and time to first token."""
    async with httpx.AsyncClient(timeout=600, limits=httpx.Limits(max_connections=64)) as client:
        await _one_request(client, url, name, prompts[0], 4)  # warm-up
        start = time.perf_counter()
        results = await asyncio.gather(
            *(
                _one_request(client, url, name, prompts[i % len(prompts)], new_tokens)
                for i in range(concurrency)
            )
        )
        wall = time.perf_counter() - start
    tokens = sum(r[2] for r in results)
    return {
        "seconds": wall,
        "tokens_per_s": tokens / wall,
        "ttft_ms_median": statistics.median(r[0] for r in results) * 1000,
        "ttft_ms_max": max(r[0] for r in results) * 1000,
        "tokens": tokens,
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_subprocess_daemon(checkpoint: Path, *extra: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "lsp_server.daemon",
            "--model",
            str(checkpoint),
            "--device",
            "cpu",
            "--port",
            str(port),
            "--max-batch-size",
            "16",
            "--log-level",
            "warning",
            "--threads",
            str(CPU_THREADS),
            *extra,
        ],
        cwd=ROOT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the daemon exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the daemon did not become healthy in 300 s")


class ThreadDaemon:
    """A daemon around an already built model, serving from a thread (the GPU part)."""

    def __init__(self, loaded: Any, settings: DaemonSettings) -> None:
        from lsp_server.daemon.server import start_daemon

        self._ready = threading.Event()
        self._box: dict[str, Any] = {}

        async def main() -> None:
            stop = asyncio.Event()
            daemon = await start_daemon(loaded, settings)
            self._box.update(loop=asyncio.get_running_loop(), stop=stop, daemon=daemon)
            self._ready.set()
            await stop.wait()
            await daemon.close()

        self._thread = threading.Thread(target=lambda: asyncio.run(main()), daemon=True)
        self._thread.start()
        self._ready.wait(120)
        self.url = f"http://127.0.0.1:{self._box['daemon'].port}"

    def stop(self) -> None:
        self._box["loop"].call_soon_threadsafe(self._box["stop"].set)
        self._thread.join(60)


# -- the two parts -----------------------------------------------------------------


def median_run(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the median throughput (the machine is shared and noisy)."""
    ordered = sorted(runs, key=lambda r: r["tokens_per_s"])
    return ordered[len(ordered) // 2]


def cpu_part(new_tokens: int, reps: int) -> dict[str, Any]:
    from lsp_server.daemon.loader import load_model

    with tempfile.TemporaryDirectory(prefix="irlens-bench-") as tmp:
        checkpoint = build_tiny_checkpoint(Path(tmp), shape=CPU_SHAPE, texts=corpus_texts())
        loaded = load_model(str(checkpoint), device="cpu", threads=CPU_THREADS)
        prompts = make_prompts(loaded.tokenizer, 16)
        name = str(checkpoint)
        result: dict[str, Any] = {"shape": CPU_SHAPE.__dict__, "new_tokens": new_tokens}
        levels = ("1", "4", "16")
        runs: dict[str, dict[str, list[dict[str, float]]]] = {
            "generate": {c: [] for c in levels},
            "daemon": {c: [] for c in levels},
        }
        proc, url = start_subprocess_daemon(checkpoint)
        try:
            # generate and the daemon take turns, in alternating order, so both see the
            # same neighbours' load; one request is short and noisy, so it runs 3x as often.
            for rep in range(reps):
                for c in levels:
                    for turn in range(3 if c == "1" else 1):
                        measure = {
                            "generate": lambda c=c: generate_baseline(
                                loaded, prompts[: int(c)], new_tokens, 1
                            ),
                            "daemon": lambda c=c: asyncio.run(
                                http_load(url, name, prompts, new_tokens, int(c))
                            ),
                        }
                        order = ["generate", "daemon"]
                        if (rep + turn) % 2:
                            order.reverse()
                        for mode in order:
                            runs[mode][c].append(measure[mode]())
        finally:
            proc.terminate()
            proc.wait(30)
        for mode in ("generate", "daemon"):
            result[mode] = {c: median_run(runs[mode][c]) for c in levels}
        result["overhead_at_1_runs"] = [
            g["tokens_per_s"] / d["tokens_per_s"]
            for g, d in zip(runs["generate"]["1"], runs["daemon"]["1"], strict=True)
        ]
        proc, url = start_subprocess_daemon(checkpoint, "--prompt-lookup")
        try:
            lookup = [
                asyncio.run(http_load(url, name, prompts, new_tokens, 1)) for _ in range(reps)
            ]
            metrics = httpx.get(f"{url}/metrics").text
        finally:
            proc.terminate()
            proc.wait(30)
        result["daemon_prompt_lookup"] = {
            "1": median_run(lookup),
            "metrics": {
                line.split()[0]: float(line.split()[1])
                for line in metrics.splitlines()
                if line.startswith("irlens_daemon_draft")
            },
        }
        return result


def build_random_model(config_kwargs: dict[str, Any], device: str) -> Any:
    """A ``LlamaForCausalLM`` with random bfloat16 weights, built on ``device``."""
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    config = LlamaConfig(**config_kwargs)
    config._attn_implementation = "sdpa"
    torch.set_default_dtype(torch.bfloat16)
    try:
        try:
            # Initialising 7B parameters is much faster on the GPU than on the CPU.
            with torch.device(device):
                model = LlamaForCausalLM(config)
        except Exception:
            model = LlamaForCausalLM(config).to(device)
    finally:
        torch.set_default_dtype(torch.float32)
    return model.eval()


def serve_and_measure(
    loaded: Any, settings: DaemonSettings, prompts: list[str], new_tokens: int, reps: int
) -> dict[str, Any]:
    """Serve ``loaded`` in-process and measure 1 and 16 concurrent requests."""
    daemon = ThreadDaemon(loaded, settings)
    try:
        return {
            str(c): median_run(
                [
                    asyncio.run(http_load(daemon.url, settings.model_name, prompts, new_tokens, c))
                    for _ in range(reps)
                ]
            )
            for c in (1, 16)
        }
    finally:
        daemon.stop()


def big_model_part(
    device_name: str, config_kwargs: dict[str, Any], new_tokens: int, reps: int
) -> dict[str, Any]:
    """Random-weight model of ``config_kwargs`` on ``device_name``, served in-process."""
    import torch
    from transformers import AutoTokenizer

    from lsp_server.daemon.loader import KV_MEMORY_FRACTION, LoadedModel, kv_bytes_per_token

    device = torch.device(device_name)
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = next((bw for key, bw in PEAK_BANDWIDTH if key in name), None)
    with tempfile.TemporaryDirectory(prefix="irlens-bench-tok-") as tmp:
        # Only the tokenizer is used; ids it does not know decode to nothing.
        build_tiny_checkpoint(Path(tmp), texts=corpus_texts(8))
        tokenizer = AutoTokenizer.from_pretrained(tmp)
    model = build_random_model(config_kwargs, device_name)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    budget = None
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        budget = int(free * KV_MEMORY_FRACTION) // kv_bytes_per_token(model.config, torch.bfloat16)
    loaded = LoadedModel(
        model=model,
        tokenizer=tokenizer,
        device=device,
        dtype=torch.bfloat16,
        context_limit=int(config_kwargs["max_position_embeddings"]),
        eos_ids=frozenset({int(config_kwargs["eos_token_id"])}),
        pad_id=0,
        kv_budget_tokens=budget,
    )
    prompts = make_prompts(tokenizer, 16)
    result: dict[str, Any] = {
        "device": name,
        "peak_bandwidth_bytes_per_s": peak,
        "weight_bytes": weight_bytes,
        "new_tokens": new_tokens,
        "generate": {"1": generate_baseline(loaded, prompts[:1], new_tokens, reps)},
    }
    settings = DaemonSettings(model="code-llama-7b-shape", port=0, max_batch_size=16)
    result["daemon"] = serve_and_measure(loaded, settings, prompts, new_tokens, reps)
    if device.type == "cuda":
        # The same with --compile (fixed slots, CUDA graphs); compiling may fail on some
        # setups, which is a result too. Slots sized for these prompts, as generate's
        # static cache would be.
        try:
            compiled = DaemonSettings(
                model="code-llama-7b-shape",
                port=0,
                max_batch_size=16,
                compile=True,
                slot_tokens=4 * PROMPT_TOKENS + new_tokens,
            )
            result["daemon_compile"] = serve_and_measure(
                loaded, compiled, prompts, new_tokens, reps
            )
        except Exception as exc:
            result["daemon_compile_error"] = f"{type(exc).__name__}: {exc}"[:500]
    if peak:
        tps = result["daemon"]["1"]["tokens_per_s"]
        result["bandwidth_fraction_batch1"] = weight_bytes * tps / peak
        result["bandwidth_fraction_batch1_generate"] = (
            weight_bytes * result["generate"]["1"]["tokens_per_s"] / peak
        )
        if "daemon_compile" in result:
            result["bandwidth_fraction_batch1_compile"] = (
                weight_bytes * result["daemon_compile"]["1"]["tokens_per_s"] / peak
            )
    return result


def gpu_part(new_tokens: int, reps: int) -> dict[str, Any] | None:
    """The 7B-shaped measurement, or None without CUDA."""
    import torch

    if not torch.cuda.is_available():
        return None
    return big_model_part("cuda", CODE_LLAMA_7B, new_tokens, reps)


# -- report ------------------------------------------------------------------------


def _load(values: Any) -> str:
    return "unknown" if not values else "/".join(f"{v:.1f}" for v in values)


def markdown(results: dict[str, Any], command: str) -> str:
    cpu = results["cpu"]
    gen, dae = cpu["generate"], cpu["daemon"]
    overhead = statistics.median(cpu["overhead_at_1_runs"])
    scaling = dae["16"]["tokens_per_s"] / dae["1"]["tokens_per_s"]
    shape = cpu["shape"]
    lines = [
        "# Model daemon benchmark",
        "",
        f"`{command}`",
        "",
        f"Machine: {results['machine']['cpus']} CPUs, {results['machine']['platform']}, "
        f"torch {results['machine']['torch']}, transformers {results['machine']['transformers']}. "
        "The machine is shared with other work, so generate and the daemon take turns and "
        "each figure is the median of the runs. Load average (1, 5, 15 min) at the start "
        + _load(results["machine"].get("load_average_start"))
        + ", at the end "
        + _load(results["machine"].get("load_average_end"))
        + f" on {results['machine']['cpus']} CPUs: compare figures only within this table.",
        "",
        f"## CPU: random Llama, hidden {shape['hidden_size']}, {shape['num_hidden_layers']} layers, "
        f"vocabulary {shape['vocab_size']}, float32, {CPU_THREADS} torch thread; "
        f"{PROMPT_TOKENS}-token prompts, "
        f"{cpu['new_tokens']} new tokens each (greedy, EOS ignored)",
        "",
        "| concurrent requests | model.generate (one batch) tokens/s | daemon over HTTP tokens/s | "
        "daemon time to first token, median (max) | generate time to first token |",
        "| --- | --- | --- | --- | --- |",
    ]
    for c in ("1", "4", "16"):
        lines.append(
            f"| {c} | {gen[c]['tokens_per_s']:.0f} | {dae[c]['tokens_per_s']:.0f} | "
            f"{dae[c]['ttft_ms_median']:.0f} ms ({dae[c]['ttft_ms_max']:.0f} ms) | "
            f"{gen[c]['ttft_ms']:.0f} ms |"
        )
    lookup = cpu["daemon_prompt_lookup"]
    drafted = lookup["metrics"].get("irlens_daemon_draft_tokens_total", 0.0)
    accepted = lookup["metrics"].get("irlens_daemon_draft_accepted_tokens_total", 0.0)
    lines += [
        "",
        "| target | result | goal | met |",
        "| --- | --- | --- | --- |",
        "| overhead at 1 request (generate tokens/s / daemon tokens/s, median of paired runs: "
        + ", ".join(f"{r:.2f}" for r in sorted(cpu["overhead_at_1_runs"]))
        + f") | {overhead:.2f}x | "
        f"<= 1.15x | {'yes' if overhead <= 1.15 else 'no'} |",
        f"| throughput at 16 concurrent / at 1 | {scaling:.1f}x | >= 3x | "
        f"{'yes' if scaling >= 3 else 'no'} |",
        "",
        f"Prompt-lookup decoding (`--prompt-lookup`), 1 request: "
        f"{lookup['1']['tokens_per_s']:.0f} tokens/s; {accepted:.0f} of {drafted:.0f} drafted "
        "tokens accepted. A random model's output says little about this: LLM Compiler's "
        "answers copy long spans of their input, a random model's do not.",
        "",
    ]
    gpu = results.get("gpu")
    if gpu is None:
        lines.append("## GPU\n\nNot measured: no CUDA device on the machine that ran this.")
    else:
        frac = gpu.get("bandwidth_fraction_batch1")
        lines += [
            f"## GPU: {gpu['device']}, Code Llama 7B shape, random weights, bfloat16",
            "",
            "| measure | result |",
            "| --- | --- |",
            f"| model.generate, 1 request | {gpu['generate']['1']['tokens_per_s']:.1f} tokens/s |",
            f"| daemon, 1 request | {gpu['daemon']['1']['tokens_per_s']:.1f} tokens/s |",
            f"| daemon, 16 concurrent | {gpu['daemon']['16']['tokens_per_s']:.1f} tokens/s |",
            f"| weight bytes | {gpu['weight_bytes'] / 1e9:.2f} GB |",
            "| fraction of the bandwidth limit at batch 1 (target >= 60%) | "
            + (f"{frac:.0%}" if frac is not None else "unknown GPU: no peak bandwidth in the table")
            + " |",
        ]
        if "daemon_compile" in gpu:
            compiled = gpu["daemon_compile"]
            lines += [
                f"| daemon --compile, 1 request | {compiled['1']['tokens_per_s']:.1f} tokens/s |",
                f"| daemon --compile, 16 concurrent | {compiled['16']['tokens_per_s']:.1f} tokens/s |",
            ]
            if gpu.get("bandwidth_fraction_batch1_compile") is not None:
                lines.append(
                    "| fraction of the bandwidth limit at batch 1, --compile | "
                    f"{gpu['bandwidth_fraction_batch1_compile']:.0%} |"
                )
        if "daemon_compile_error" in gpu:
            lines.append(f"| daemon --compile | failed: {gpu['daemon_compile_error']} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--skip-gpu", action="store_true")
    args = parser.parse_args()
    import torch
    import transformers

    results: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "load_average_start": os.getloadavg(),
        },
        "cpu": cpu_part(args.new_tokens, args.reps),
        "gpu": None if args.skip_gpu else gpu_part(args.new_tokens, args.reps),
    }
    results["machine"]["load_average_end"] = os.getloadavg()
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "daemon.json").write_text(json.dumps(results, indent=2) + "\n")
    command = "python bench/daemon_bench.py " + " ".join(sys.argv[1:])
    (RESULTS / "daemon.md").write_text(markdown(results, command.strip()))
    print((RESULTS / "daemon.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
