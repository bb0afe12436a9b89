"""The daemon's decode path on a GPU, against the memory-bandwidth limit (issue 16).

    python bench/daemon_gpu.py            # one CUDA GPU, under 10 minutes
    python bench/daemon_gpu.py --tiny     # anywhere: a tiny model on the CPU, proves the script

A Llama with Code Llama 7B's shape (LLM Compiler 7B's) and random bfloat16 weights is
built in code (no download: decode speed does not depend on the weight values), then:

- the daemon's default path (``BatchRunner``: the slab KV cache, eager), what
  ``irlens daemon`` runs on CUDA without flags, at batch 1 and 16: tokens/s, decode
  tokens/s and time to first token;
- the daemon's ``--compile`` path (``SlotBatchRunner``: a fixed KV slot per row, batch
  buckets, the step compiled with ``mode="reduce-overhead"``, so CUDA graphs), the same;
- that fixed-shape step run eagerly, which separates what the shapes cost from what
  compiling gains;
- plain ``model.generate`` (eager, dynamic cache), and ``generate`` with transformers'
  static cache, which on CUDA it compiles with ``mode="reduce-overhead"`` itself.

Each path's greedy tokens for the first prompt are compared with the default path's
(random bf16 weights make near-ties, so kernels that round differently may part ways
late; the count of equal leading tokens is recorded, not asserted).

The fraction of the bandwidth limit at batch 1 is (bytes of weights read per token x
decode tokens/s) / the card's nominal bandwidth (a table by name, else the memory clock and bus
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
#: ... and no compiling path after this long: its first run compiles (a minute or two).
COMPILE_DEADLINE_S = 5 * 60
COMPILING = ("daemon_compile", "generate_static_compiled")
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
    torch: Any, runner: Any, batch: list[list[int]], new_tokens: int, clock: Clock
) -> dict[str, Any]:
    """A daemon runner: all prompts admitted together, decoded to the end."""
    from lsp_server.daemon.protocol import SamplingParams
    from lsp_server.daemon.sequence import Group

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
    return {
        "tokens_per_s": tokens / (end - start),
        "decode_tokens_per_s": (tokens - len(batch)) / (end - first),
        "ttft_ms": (first - start) * 1000,
        "tokens": groups[0].seqs[0].token_ids,
    }


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

    def go(tokens: int) -> tuple[float, Any]:
        start = clock.now()
        with torch.inference_mode():
            out = model.generate(
                input_ids=input_ids,
                attention_mask=mask,
                max_new_tokens=tokens,
                min_new_tokens=tokens,
                do_sample=False,
                pad_token_id=0,
                **extra,
            )
        return clock.now() - start, out

    first, _ = go(1)
    total, out = go(new_tokens)
    return {
        "tokens_per_s": len(batch) * new_tokens / total,
        "decode_tokens_per_s": len(batch) * (new_tokens - 1) / max(total - first, 1e-9),
        "ttft_ms": first * 1000,
        "tokens": out[0, width:].tolist(),
    }


def median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    ordered = sorted(runs, key=lambda r: r["tokens_per_s"])
    middle = {k: v for k, v in ordered[len(ordered) // 2].items() if k != "tokens"}
    return {**middle, "runs_tokens_per_s": [round(r["tokens_per_s"], 2) for r in runs]}


def leading_agreement(tokens: list[int], reference: list[int] | None) -> int | None:
    """How many leading tokens ``tokens`` shares with ``reference``."""
    if reference is None:
        return None
    same = 0
    for a, b in zip(tokens, reference, strict=False):
        if a != b:
            break
        same += 1
    return same


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
    from lsp_server.daemon.batch import BatchRunner
    from lsp_server.daemon.slots import SlotBatchRunner

    columns = args.prompt_tokens + args.new_tokens

    def slots(compile: bool) -> Any:
        return SlotBatchRunner(
            model, device=device, pad_id=0, slots=16, columns=columns, compile=compile
        )

    # Runners are made once per path, so a compiled one keeps its graphs across runs.
    factories: dict[str, Callable[[], Any]] = {
        "daemon": lambda: BatchRunner(model, device=device, pad_id=0),
        "daemon_compile": lambda: slots(True),
        "generate_static_compiled": lambda: "static",
        "generate": lambda: "dynamic",
        "daemon_fixed_eager": lambda: slots(False),
    }
    if args.tiny and not args.compile_daemon:
        # inductor on a CPU takes minutes per batch size; the tests cover this path.
        del factories["daemon_compile"]
    reference: dict[str, list[int]] = {}
    for name, factory in factories.items():
        result["paths"][name] = {}
        try:
            runner = factory()
        except Exception as exc:
            result["paths"][name] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
            continue

        def run(batch: list[list[int]], runner: Any = runner) -> dict[str, Any]:
            if isinstance(runner, str):
                return run_generate(
                    torch, model, device, batch, args.new_tokens, clock, static=runner == "static"
                )
            return run_daemon(torch, runner, batch, args.new_tokens, clock)

        for size, batch in batches.items():
            elapsed = time.perf_counter() - started
            if elapsed > DEADLINE_S or (name in COMPILING and elapsed > COMPILE_DEADLINE_S):
                result["skipped"].append(f"{name} batch {size}: out of time")
                continue
            try:
                warm = time.perf_counter()
                run(batch[:1] if size == "1" else batch)  # warm-up (and compile)
                warm_s = time.perf_counter() - warm
                runs = [run(batch) for _ in range(args.reps)]
            except Exception as exc:
                result["paths"][name][size] = {"error": f"{type(exc).__name__}: {exc}"[:500]}
                continue
            entry = median_of(runs)
            entry["warm_up_s"] = warm_s
            tokens = runs[0]["tokens"]
            reference.setdefault(size, tokens)
            entry["leading_tokens_equal_to_daemon"] = leading_agreement(tokens, reference[size])
            result["paths"][name][size] = entry
            if peak and size == "1":
                entry["bandwidth_fraction"] = weight_bytes * entry["decode_tokens_per_s"] / peak
    result["cpu_load_1min_end"] = os.getloadavg()[0]
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
        f"{result['cpu_load_1min']:.1f}, at the end {result.get('cpu_load_1min_end', 0):.1f}; "
        f"{result['seconds']:.0f} s in all.",
        "",
        "The daemon on CUDA runs the first row (the slab cache, eager) unless started with "
        "`--compile`, which runs the second (fixed slots, compiled; a request must then fit "
        f"one slot: here {result['prompt_tokens'] + result['new_tokens']} tokens).",
        "",
        "| path | batch 1 tokens/s | batch 1 decode tokens/s | batch 1 time to first token "
        "| fraction of the bandwidth limit at batch 1 (target >= 60%) | batch 16 tokens/s "
        "| batch 16 time to first token | warm-up (compile) at 1 / 16 "
        "| leading greedy tokens equal to the daemon's at 1 / 16 |",
        "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    labels = {
        "daemon": "daemon, default (BatchRunner: slab KV cache, eager)",
        "daemon_compile": "daemon --compile (SlotBatchRunner: fixed slots, "
        + ("torch.compile default mode on the CPU)" if tiny else "reduce-overhead: CUDA graphs)"),
        "daemon_fixed_eager": "daemon's fixed-slot step, eager (not compiled)",
        "generate": "transformers generate, dynamic cache, eager",
        "generate_static_compiled": "transformers generate, static cache"
        + (" (not compiled on the CPU)" if tiny else ", compiled (reduce-overhead)"),
    }
    for name, by_size in result["paths"].items():
        if "error" in by_size:
            lines.append(f"| {labels[name]} | failed: {by_size['error']} |" + " |" * 7)
            continue
        one, sixteen = by_size.get("1"), by_size.get("16")
        cells = []
        for run, fields in ((one, 4), (sixteen, 2)):
            if run is None:
                cells += ["not run"] * fields
            elif "error" in run:
                cells += [f"failed: {run['error'][:120]}"] + [""] * (fields - 1)
            elif fields == 4:
                fraction = run.get("bandwidth_fraction")
                cells += [
                    f"{run['tokens_per_s']:.1f}",
                    f"{run['decode_tokens_per_s']:.1f}",
                    f"{run['ttft_ms']:.0f} ms",
                    f"{fraction:.0%}" if fraction is not None else "unmeasured",
                ]
            else:
                cells += [f"{run['tokens_per_s']:.1f}", f"{run['ttft_ms']:.0f} ms"]
        ok = [r for r in (one, sixteen) if r is not None and "error" not in r]
        warm = " / ".join(f"{r['warm_up_s']:.1f} s" for r in ok)
        same = " / ".join(
            f"{r['leading_tokens_equal_to_daemon']}/{result['new_tokens']}" for r in ok
        )
        cells += [warm, same]
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
