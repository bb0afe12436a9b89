"""``python -m lsp_server.daemon``: the daemon without the rest of the CLI."""

from __future__ import annotations

import argparse

from lsp_server.daemon import options


def main(argv: list[str] | None = None) -> int:
    """Parse the daemon's options and run it."""
    parser = argparse.ArgumentParser(
        prog="python -m lsp_server.daemon",
        description="Serve a Llama-architecture model (LLM Compiler) over an "
        "OpenAI-compatible completions API.",
    )
    options.add_arguments(parser)
    return options.run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
