"""What every CLI command shares: settings from flags, services, JSON output."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from lsp_server import config
from lsp_server.services import Services, build_services


def add_common_flags(parser: argparse.ArgumentParser) -> None:
    """The flags that mirror the editor settings (same meaning, same defaults)."""
    group = parser.add_argument_group("settings (the same as the editor settings)")
    group.add_argument("--model-url", default=None, help="model.url: OpenAI-compatible base URL")
    group.add_argument("--model-name", default=None, help="model.name: model id to ask for")
    group.add_argument("--api-key", default=None, help="model.apiKey: bearer token")
    group.add_argument("--llvm-bin-dir", default=None, help="llvm.binDir: where the LLVM tools are")
    group.add_argument("--triple", default=None, help="target.triple for input that names none")
    group.add_argument("--json", action="store_true", help="print JSON for scripts")


def settings_from_args(args: argparse.Namespace) -> config.Settings:
    data: dict[str, dict[str, Any]] = {"model": {}, "llvm": {}, "target": {}}
    if getattr(args, "model_url", None):
        data["model"]["url"] = args.model_url
    if getattr(args, "model_name", None):
        data["model"]["name"] = args.model_name
    if getattr(args, "api_key", None):
        data["model"]["apiKey"] = args.api_key
    if getattr(args, "llvm_bin_dir", None):
        data["llvm"]["binDir"] = args.llvm_bin_dir
    if getattr(args, "triple", None):
        data["target"]["triple"] = args.triple
    settings, problems = config.from_dict(data)
    for problem in problems:
        sys.stderr.write(f"irlens: {problem}\n")
    return settings


def services_from_args(args: argparse.Namespace, *, with_cache: bool = True) -> Services:
    return build_services(settings_from_args(args), with_cache=with_cache)


def print_json(value: Any) -> None:
    sys.stdout.write(json.dumps(value, indent=2, default=str) + "\n")
