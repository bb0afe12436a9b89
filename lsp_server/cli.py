"""The ``irlens`` command: serve, doctor, daemon, demo, and the features' commands."""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import os
import sys
import warnings
from collections.abc import Sequence

from lsp_server import __version__
from lsp_server.commands import command_modules
from lsp_server.commands.common import add_common_flags, print_json, services_from_args


def _parse_tcp(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {value!r}") from err


def _serve_arguments(serve: argparse.ArgumentParser) -> None:
    serve.add_argument("--tcp", type=_parse_tcp, metavar="HOST:PORT", help="listen on TCP")
    serve.add_argument("--log-file", help="also write the server log to this file")
    serve.add_argument(
        "--no-cache", action="store_true", help="do not use the on-disk result cache"
    )


def _serve_only_parser() -> argparse.ArgumentParser:
    """``irlens serve`` alone: editors start the server often, and the full parser imports
    every feature's command module (the server imports its handlers anyway, once)."""
    parser = argparse.ArgumentParser(prog="irlens serve")
    _serve_arguments(parser)
    parser.add_argument(
        "--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR"
    )
    parser.set_defaults(command="serve")
    return parser


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="irlens",
        description="Language server and tools for LLVM IR and assembly, "
        "backed by LLM Compiler models and verified against your local LLVM. "
        "Built with LLM Compiler.",
    )
    parser.add_argument("--version", action="version", version=f"irlens {__version__}")
    parser.add_argument(
        "--log-level", default="WARNING", help="DEBUG, INFO, WARNING (default) or ERROR"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the language server (stdio by default)")
    _serve_arguments(serve)

    doctor = sub.add_parser("doctor", help="show the LLVM tools and model backend irlens found")
    add_common_flags(doctor)

    demo = sub.add_parser(
        "demo", help="show irlens at work on a bundled example (no model or GPU needed)"
    )
    add_common_flags(demo)

    from lsp_server.daemon import options as daemon_options

    daemon = sub.add_parser(
        "daemon",
        help="serve a model over the OpenAI-compatible API (needs the 'model' extra)",
        description=getattr(daemon_options, "DESCRIPTION", None),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    daemon_options.add_arguments(daemon)

    for module in command_modules():
        module.add_parser(sub, add_common_flags)
    return parser


#: The server's GIL switch interval (see :func:`_serve`).
SWITCH_INTERVAL_S = 0.001


def _watch_children_with_pidfds() -> None:
    """Before Python 3.12, asyncio starts a thread per child process to wait for it; the
    server starts LLVM tools by the hundred, and those thread starts ran on the event loop.
    A pidfd (Linux 5.3+) is watched by the loop itself, as 3.12 does by default."""
    if sys.version_info >= (3, 12) or not hasattr(os, "pidfd_open"):
        return
    try:
        os.close(os.pidfd_open(os.getpid()))
    except OSError:
        return  # a kernel without pidfds: keep asyncio's threads
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        asyncio.set_child_watcher(asyncio.PidfdChildWatcher())


def _serve(args: argparse.Namespace) -> int:
    from lsp_server.server import create_server

    if args.log_file:
        handler = logging.FileHandler(args.log_file)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logging.getLogger().addHandler(handler)
    from lsp_server.llvm import scratch

    # Tools' directories a killed server left behind go now; this server's go on SIGTERM.
    scratch.sweep_stale()
    scratch.install_sigterm_cleanup()
    # Indexing, outlines and tokens run in worker threads; the event loop waits for the GIL
    # at most this long when one is busy (CPython's default is 5 ms, which made every
    # trivial request behind a big document's work take tens of handoffs of 5 ms).
    sys.setswitchinterval(SWITCH_INTERVAL_S)
    _watch_children_with_pidfds()
    server = create_server(with_cache=not args.no_cache)
    if args.tcp:
        server.start_tcp(*args.tcp)
    else:
        server.start_io()
    return 0


def _doctor(args: argparse.Namespace) -> int:
    from lsp_server.doctor import collect

    services = services_from_args(args, with_cache=False)
    report = asyncio.run(collect(services))
    if args.json:
        print_json(report.to_json())
    else:
        print(report.to_text())
    return 0 if report.ok else 1


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:
        args = _serve_only_parser().parse_args(argv[1:])
    else:
        parser = build_parser()
        args = parser.parse_args(argv)
    # Logs go to stderr: stdout is the LSP channel under `serve`.
    logging.basicConfig(
        level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
        stream=sys.stderr,
        format="%(levelname)s %(name)s: %(message)s",
    )
    if args.command is None:
        parser.print_help()
        return 2
    if args.command == "serve":
        return _serve(args)
    if args.command == "doctor":
        return _doctor(args)
    if args.command == "demo":
        from lsp_server.demo import run_demo

        return run_demo(args)
    if args.command == "daemon":
        from lsp_server.daemon import options as daemon_options

        return daemon_options.run(args)
    module = importlib.import_module(f"lsp_server.commands.{args.command}")
    result: int = module.run(args)
    return result


if __name__ == "__main__":
    sys.exit(main())
