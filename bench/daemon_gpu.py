"""The daemon's decode path on a GPU, against the memory-bandwidth limit (issue 16).

    python bench/daemon_gpu.py            # one CUDA GPU, under 10 minutes
    python bench/daemon_gpu.py --tiny     # anywhere: a tiny model on the CPU, proves the script

A Llama with Code Llama 7B's shape (LLM Compiler 7B's) and random bfloat16 weights is
built in code (no download: decode speed does not depend on the weight values), then:

- the daemon's batch runner (``BatchRunner``, what ``irlens daemon`` runs, without HTTP)
  at batch 1 and 16: tokens/s and time to first token;
- plain ``model.generate`` (eager, dynamic cache), the same;
- the compiled path: ``generate`` with transformers' static cache, which on CUDA it
  compiles with ``torch.compile(mode="reduce-overhead")`` (CUDA graphs);
- the daemon's runner with ``torch.compile`` over the forward (``--compile``), where it
  compiles (a failure is recorded as a result).

The fraction of the bandwidth limit at batch 1 is (bytes of weights read per token x
tokens/s) / the card's nominal bandwidth (a table by name, else the memory clock and bus
width torch reports). Target: at least 60%.

Writes bench/results/daemon-gpu.json and bench/results/daemon-gpu.md (``--tiny``:
daemon-gpu-tiny.*, so a CPU run never overwrites GPU figures).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

RESULTS = ROOT / "bench" / "results"
#: Stop starting new measurements after this long, so the script ends within 10 minutes.
DEADLINE_S = 8.5 * 60
#: Nominal memory bandwidth in bytes/s, by a substring of torch.cuda.get_device_name().
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
LLAMA_7B = {
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
    "tie_word_embeddings": False,
}
TINY = {
    **LLAMA_7B,
    "vocab_size": 512,
    "hidden_size": 64,
    "intermediate_size": 176,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 4,
    "max_position_embeddings": 2048,
}


def peak_bandwidth(torch: Any, device: Any) -> tuple[float | None, str]:
    """The card's nominal bandwidth and where the figure came from."""
    if device.type != "cuda":
        return None, "no GPU"
    name = torch.cuda.get_device_name(device)
    for key, value in PEAK_BANDWIDTH:
        if key in name:
            return value, f"table ({key})"
    props = torch.cuda.get_device_properties(device)
    clock_khz = getattr(props, "memory_clock_rate", 0)
    bus_bits = getattr(props, "memory_bus_width", 0)
    if clock_khz and bus_bits:
        # Double data rate: two transfers per clock.
        return 2 * clock_khz * 1e3 * bus_bits / 8, "memory clock x bus width"
    return None, "unknown card"


def build_model(torch: Any, config: dict[str, Any], device: Any, dtype: Any) -> Any:
    """A ``LlamaForCausalLM`` with random weights, built directly on ``device``."""
    from transformers import LlamaConfig, LlamaForCausalLM  # noqa: TID251

    llama = LlamaConfig(**config)
    llama._attn_implementation = "sdpa"
    previous = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = LlamaForCausalLM(llama)
    finally:
        torch.set_default_dtype(previous)
    return model.eval()


def prompts(count: int, length: int, vocab: int, seed: int = 0) -> list[list[int]]:
    """``count`` prompts of ``length`` random token ids (ids, not text: no tokenizer needed)."""
    import random

    rng = random.Random(seed)
    return [[1] + [rng.randrange(3, vocab) for _ in range(length - 1)] for _ in range(count)]


class Clock:
    """Wall time with the device synchronised, so GPU work is counted when it is done."""

    def __init__(self, torch: Any, device: Any) -> None:
        self._torch, self._cuda = torch, device.type == "cuda"

    def now(self) -> float:
        if self._cuda:
            self._torch.cuda.synchronize()
        return time.perf_counter()


def run_daemon(
    torch: Any, model: Any, device: Any, batch: list[list[int]], new_tokens: int, clock: Clock
) -> dict[str, float]:
    """The daemon's ``BatchRunner``: all prompts admitted together, decoded to the end."""
    from lsp_server.daemon.batch import BatchRunner
    from lsp_server.daemon.protocol import SamplingParams
    from lsp_server.daemon.sequence import Group

    runner = BatchRunner(model, device=device, pad_id=0)
    params = SamplingParams(max_tokens=new_tokens, temperature=0, ignore_eos=True)
    groups = [
        Group(
            key=i,
            prompt_ids=ids,
            params=params,
            first_index=0,
            n=1,
            decode=lambda ids: "",
            eos_ids=frozenset(),
        )
        for i, ids in enumerate(batch)
    ]
    start = clock.now()
    runner.step(groups, set())
    first = clock.now()
    while runner.num_rows:
        runner.step([], set())
    end = clock.now()
    tokens = sum(len(g.seqs[0].token_ids) for g in groups)
    return {"tokens_per_s": tokens / (end - start), "ttft_ms": (first - start) * 1000}


def run_generate(
    torch: Any,
    model: Any,
    device: Any,
    batch: list[list[int]],
    new_tokens: int,
    clock: Clock,
    *,
    static: bool,
) -> dict[str, float]:
    """``model.generate``: greedy, EOS ignored; ``static`` uses the (compiled) static cache."""
    width = max(len(ids) for ids in batch)
    input_ids = torch.zeros((len(batch), width), dtype=torch.long)
    mask = torch.zeros((len(batch), width), dtype=torch.long)
    for i, ids in enumerate(batch):
        input_ids[i, width - len(ids) :] = torch.tensor(ids)
        mask[i, width - len(ids) :] = 1
    input_ids, mask = input_ids.to(device), mask.to(device)
    extra: dict[str, Any] = {"cache_implementation": "static"} if static else {}

    def go(tokens: int) -> float:
        start = clock.now()
        with torch.inference_mode():
            model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                max_new_tokens=tokens,
                min_new_tokens=tokens,
                do_sample=False,
                pad_token_id=0,
                **extra,
            )
        return clock.now() - start

    first = go(1)
    total = go(new_tokens)
    return {"tokens_per_s": len(batch) * new_tokens / total, "ttft_ms": first * 1000}


def median_of(runs: list[dict[str, float]]) -> dict[str, float]:
    ordered = sorted(runs, key=lambda r: r["tokens_per_s"])
    middle = ordered[len(ordered) // 2]
    return {**middle, "runs_tokens_per_s": [round(r["tokens_per_s"], 2) for r in runs]}


def measure(args: argparse.Namespace) -> dict[str, Any]:
    import torch  # noqa: TID251
    import transformers  # noqa: TID251

    started = time.perf_counter()
    device = torch.device("cpu" if args.tiny else "cuda")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise SystemExit("no CUDA device: run with --tiny to check the script on the CPU")
    dtype = torch.float32 if args.tiny else torch.bfloat16
    config = TINY if args.tiny else LLAMA_7B
    if args.tiny:
        torch.set_num_threads(1)
    peak, peak_source = peak_bandwidth(torch, device)
    model = build_model(torch, config, device, dtype)
    weight_bytes = sum(p.numel() * p.element_size() for p in model.parameters())
    clock = Clock(torch, device)
    batches = {
        str(b): prompts(b, args.prompt_tokens, int(config["vocab_size"]), seed=b) for b in (1, 16)
    }
    result: dict[str, Any] = {
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "tiny": args.tiny,
        "dtype": str(dtype).removeprefix("torch."),
        "config": config,
        "weight_bytes": weight_bytes,
        "peak_bandwidth_bytes_per_s": peak,
        "peak_bandwidth_source": peak_source,
        "prompt_tokens": args.prompt_tokens,
        "new_tokens": args.new_tokens,
        "torch": torch.__version__,
        "transformers": transformers.__version__,
        "cpu_load_1min": os.getloadavg()[0],
        "paths": {},
        "skipped": [],
    }
    paths: dict[str, Callable[[list[list[int]]], dict[str, float]]] = {
        "daemon": lambda b: run_daemon(torch, model, device, b, args.new_tokens, clock),
        "generate": lambda b: run_generate(
            torch, model, device, b, args.new_tokens, clock, static=False
        ),
        "generate_static_compiled": lambda b: run_generate(
            torch, model, device, b, args.new_tokens, clock, static=True
        ),
    }
    if not args.tiny or args.compile_daemon:
        paths["daemon_compile"] = paths["daemon"]
    for name, run in paths.items():
        if name == "daemon_compile":
            try:
                model.forward = torch.compile(model.forward, dynamic=True)
            except Exception as exc:
                result["paths"][name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
                continue
        result["paths"][name] = {}
        for size, batch in batches.items():
            if time.perf_counter() - started > DEADLINE_S:
                result["skipped"].append(f"{name} batch {size}: out of time")
                continue
            try:
                run(batch[:1] if size == "1" else batch)  # warm-up (and compile)
                runs = [run(batch) for _ in range(args.reps)]
            except Exception as exc:
                result["paths"][name][size] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
                continue
            result["paths"][name][size] = median_of(runs)
            if peak and size == "1":
                tps = result["paths"][name][size]["tokens_per_s"]
                result["paths"][name][size]["bandwidth_fraction"] = weight_bytes * tps / peak
    result["seconds"] = time.perf_counter() - started
    return result


def markdown(result: dict[str, Any], command: str) -> str:
    tiny = result["tiny"]
    lines = [
        "# Model daemon on a GPU: decode speed against the bandwidth limit",
        "",
        f"`{command}`",
        "",
    ]
    if tiny:
        lines += [
            "**The GPU figures are unmeasured.** This run used `--tiny`: a tiny random Llama "
            "in float32 on the CPU, one torch thread, to prove the script runs end to end. "
            "Its numbers say nothing about a GPU.",
            "",
        ]
    lines += [
        f"Device: {result['device']}; {result['dtype']}; weights "
        f"{result['weight_bytes'] / 1e9:.3f} GB; nominal bandwidth "
        + (
            f"{result['peak_bandwidth_bytes_per_s'] / 1e12:.2f} TB/s "
            f"({result['peak_bandwidth_source']})"
            if result["peak_bandwidth_bytes_per_s"]
            else f"unknown ({result['peak_bandwidth_source']})"
        )
        + f"; {result['prompt_tokens']}-token prompts, {result['new_tokens']} new tokens "
        f"(greedy, EOS ignored); torch {result['torch']}, transformers "
        f"{result['transformers']}; 1-minute load average at the start "
        f"{result['cpu_load_1min']:.1f}; {result['seconds']:.0f} s in all.",
        "",
        "| path | batch 1 tokens/s | batch 1 time to first token | fraction of the bandwidth "
        "limit at batch 1 (target >= 60%) | batch 16 tokens/s | batch 16 time to first token |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    labels = {
        "daemon": "daemon (BatchRunner, eager)",
        "daemon_compile": "daemon with torch.compile (--compile)",
        "generate": "transformers generate, dynamic cache, eager",
        "generate_static_compiled": "transformers generate, static cache"
        + (" (not compiled on the CPU)" if tiny else ", compiled (reduce-overhead)"),
    }
    for name, by_size in result["paths"].items():
        if "error" in by_size:
            lines.append(f"| {labels[name]} | failed: {by_size['error']} | | | | |")
            continue
        cells = []
        for size in ("1", "16"):
            run = by_size.get(size)
            if run is None:
                cells += ["not run", "not run"] + ([""] if size == "1" else [])
            elif "error" in run:
                cells += [f"failed: {run['error'][:120]}", ""] + ([""] if size == "1" else [])
            else:
                cells += [f"{run['tokens_per_s']:.1f}", f"{run['ttft_ms']:.0f} ms"]
                if size == "1":
                    fraction = run.get("bandwidth_fraction")
                    cells.append(f"{fraction:.0%}" if fraction is not None else "unmeasured")
        lines.append(f"| {labels[name]} | " + " | ".join(cells) + " |")
    if result["skipped"]:
        lines += ["", "Skipped to stay under 10 minutes: " + "; ".join(result["skipped"])]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tiny", action="store_true", help="a tiny model on the CPU")
    parser.add_argument("--new-tokens", type=int, default=128)
    parser.add_argument("--prompt-tokens", type=int, default=512)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument(
        "--compile-daemon",
        action="store_true",
        help="with --tiny, also time the daemon under torch.compile (minutes on a CPU)",
    )
    args = parser.parse_args()
    result = measure(args)
    stem = "daemon-gpu-tiny" if args.tiny else "daemon-gpu"
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{stem}.json").write_text(json.dumps(result, indent=2) + "\n")
    command = ("python bench/daemon_gpu.py " + " ".join(sys.argv[1:])).strip()
    (RESULTS / f"{stem}.md").write_text(markdown(result, command))
    print((RESULTS / f"{stem}.md").read_text())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
