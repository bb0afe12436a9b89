"""Typed settings: the one definition of every key the server, the CLI and the editors share.

Settings arrive as nested camelCase objects (``{"model": {"url": ...}}``) in
``initializationOptions`` and ``workspace/didChangeConfiguration``. Every field has a
default; an invalid value is reported and replaced by its default, never fatal.

The VS Code extension's ``contributes.configuration`` is generated from :func:`schema`
(``python -m lsp_server.config --vscode``) and a test fails when the two drift.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _setting(default: Any, description: str, **constraints: Any) -> Any:
    return field(default=default, metadata={"description": description, **constraints})


def camel(name: str) -> str:
    """``api_key`` -> ``apiKey``."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class ModelSettings:
    url: str = _setting(
        "",
        "Base URL of an OpenAI-compatible completions server, e.g. http://127.0.0.1:8787/v1 "
        "(irlens daemon, vLLM, TGI, llama.cpp). Empty means LLVM-only mode.",
    )
    name: str = _setting("", "Model id to ask for. Empty: the server's first model.")
    api_key: str = _setting("", "Bearer token for the model server.")
    timeout_seconds: float = _setting(
        120.0, "How long one model request may take.", minimum=1.0, maximum=3600.0
    )
    max_concurrent: int = _setting(
        4, "How many model requests the server keeps in flight.", minimum=1, maximum=64
    )


@dataclass(frozen=True)
class LlvmSettings:
    bin_dir: str = _setting(
        "",
        "Directory of the LLVM tools (opt, llc, ...). Empty: llvm-config --bindir, then PATH.",
    )
    tool_timeout_seconds: float = _setting(
        20.0, "Timeout of one LLVM tool run.", minimum=0.5, maximum=600.0
    )
    max_output_mb: int = _setting(
        256,
        "Largest file one LLVM tool run may write, in MiB (an object llvm-mc or llc makes); "
        "a larger one is reported as such. 0: no limit.",
        minimum=0,
        maximum=1048576,
    )
    max_memory_mb: int = _setting(
        2048,
        "Address space one LLVM tool run may use, in MiB; a run that needs more fails with "
        "a message. 0: no limit.",
        minimum=0,
        maximum=1048576,
    )


@dataclass(frozen=True)
class TargetSettings:
    triple: str = _setting(
        "", "Target triple for IR or assembly that names none. Empty: the host's."
    )


@dataclass(frozen=True)
class PreviewSettings:
    default_pipeline: str = _setting(
        "default<Oz>", "Pipeline previewed when hovering a function's define line."
    )
    time_budget_ms: int = _setting(
        400,
        "How long a hover may wait; a slower model prediction arrives later.",
        minimum=50,
        maximum=60000,
    )
    max_diff_lines: int = _setting(
        80, "Longest diff shown in a hover before it is cut.", minimum=10, maximum=5000
    )


@dataclass(frozen=True)
class SuggestSettings:
    budget_seconds: float = _setting(
        10.0, "Local search budget per request, in seconds.", minimum=0.0, maximum=3600.0
    )
    max_compilations: int = _setting(
        2000, "Local search budget per request, in compilations.", minimum=1, maximum=1000000
    )
    samples: int = _setting(
        4, "Sampled pass lists asked of the model beside the greedy one.", minimum=0, maximum=64
    )
    temperature: float = _setting(
        0.7, "Sampling temperature for the extra samples.", minimum=0.0, maximum=2.0
    )


@dataclass(frozen=True)
class DiagnosticsSettings:
    enabled: bool = _setting(True, "Report llvm-as and llvm-mc errors as diagnostics.")
    debounce_ms: int = _setting(
        250, "Wait after the last change before checking the file.", minimum=0, maximum=10000
    )


@dataclass(frozen=True)
class LimitsSettings:
    """Size budgets per feature: a larger document gets a clear message, not a stall."""

    symbols_megabytes: float = _setting(
        64.0, "Largest document outlined (document symbols), in MB.", minimum=0.0, maximum=4096.0
    )
    max_symbols: int = _setting(
        20000,
        "Most symbols one outline answers; a larger module's outline is cut, and says so.",
        minimum=100,
        maximum=10000000,
    )
    diagnostics_megabytes: float = _setting(
        64.0, "Largest document checked by llvm-as or llvm-mc, in MB.", minimum=0.0, maximum=4096.0
    )
    preview_megabytes: float = _setting(
        8.0,
        "Largest document previewed (hover, pipeline steps), in MB.",
        minimum=0.0,
        maximum=4096.0,
    )
    suggest_megabytes: float = _setting(
        8.0, "Largest document searched for pass suggestions, in MB.", minimum=0.0, maximum=4096.0
    )
    lift_megabytes: float = _setting(
        4.0, "Largest assembly file lifted to IR, in MB.", minimum=0.0, maximum=4096.0
    )
    index_megabytes: float = _setting(
        16.0,
        "Largest document given the module index (navigation, rename, completion, semantic "
        "tokens, built-in checks), in MB.",
        minimum=0.0,
        maximum=4096.0,
    )
    line_kilobytes: float = _setting(
        256.0,
        "Longest line a hover or definition reads, in KB (a longer one answers nothing).",
        minimum=1.0,
        maximum=1048576.0,
    )
    document_megabytes: float = _setting(
        64.0,
        "Largest file read from disk for a request on a document the editor never opened, in MB.",
        minimum=0.0,
        maximum=4096.0,
    )


@dataclass(frozen=True)
class Settings:
    model: ModelSettings = field(default_factory=ModelSettings)
    llvm: LlvmSettings = field(default_factory=LlvmSettings)
    target: TargetSettings = field(default_factory=TargetSettings)
    preview: PreviewSettings = field(default_factory=PreviewSettings)
    suggest: SuggestSettings = field(default_factory=SuggestSettings)
    diagnostics: DiagnosticsSettings = field(default_factory=DiagnosticsSettings)
    limits: LimitsSettings = field(default_factory=LimitsSettings)


@dataclass(frozen=True)
class SettingSpec:
    """One leaf setting, as the editors show it."""

    key: str  # dotted camelCase, e.g. "model.apiKey"
    type: str  # "string" | "integer" | "number" | "boolean"
    default: Any
    description: str
    minimum: float | None = None
    maximum: float | None = None


_JSON_TYPES = {str: "string", int: "integer", float: "number", bool: "boolean"}


def _leaf_type(f: dataclasses.Field[Any]) -> type:
    # Field annotations are strings under ``from __future__ import annotations``.
    return {"str": str, "int": int, "float": float, "bool": bool}[str(f.type)]


def _sections() -> list[tuple[str, type]]:
    return [(f.name, f.default_factory) for f in dataclasses.fields(Settings)]  # type: ignore[misc]


def schema() -> list[SettingSpec]:
    """Every leaf setting with its type, default and description."""
    specs = []
    for section, cls in _sections():
        for f in dataclasses.fields(cls):
            specs.append(
                SettingSpec(
                    key=f"{section}.{camel(f.name)}",
                    type=_JSON_TYPES[_leaf_type(f)],
                    default=f.default,
                    description=f.metadata["description"],
                    minimum=f.metadata.get("minimum"),
                    maximum=f.metadata.get("maximum"),
                )
            )
    return specs


def _coerce(value: Any, kind: type, f: dataclasses.Field[Any]) -> Any:
    """Return the value as ``kind`` or raise ValueError saying why."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        raise ValueError(f"expected true or false, got {value!r}")
    if kind is str:
        if isinstance(value, str):
            return value
        raise ValueError(f"expected a string, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"expected a number, got {value!r}")
    if kind is int:
        if isinstance(value, float) and not value.is_integer():
            raise ValueError(f"expected a whole number, got {value!r}")
        value = int(value)
    else:
        value = float(value)
    low, high = f.metadata.get("minimum"), f.metadata.get("maximum")
    if low is not None and value < low:
        raise ValueError(f"{value} is below the minimum {low}")
    if high is not None and value > high:
        raise ValueError(f"{value} is above the maximum {high}")
    return value


def from_dict(data: Any, base: Settings | None = None) -> tuple[Settings, list[str]]:
    """Build settings from a nested camelCase mapping.

    Missing keys keep ``base``'s value (the defaults when ``base`` is None). Returns the
    settings and one message per invalid or unknown key; an invalid value keeps the default.
    Accepts ``{"irlens": {...}}`` too, as VS Code sends its section.
    """
    base = base or Settings()
    problems: list[str] = []
    if data is None:
        return base, problems
    if not isinstance(data, Mapping):
        return base, [f"irlens settings must be an object, got {type(data).__name__}"]
    if isinstance(data.get("irlens"), Mapping):
        data = data["irlens"]
    sections: dict[str, Any] = {}
    for section, cls in _sections():
        current = getattr(base, section)
        raw = data.get(section)
        if raw is None:
            sections[section] = current
            continue
        if not isinstance(raw, Mapping):
            problems.append(f"irlens setting '{section}' must be an object; using defaults")
            sections[section] = current
            continue
        fields = {camel(f.name): f for f in dataclasses.fields(cls)}
        values = {}
        for key, value in raw.items():
            f = fields.get(key)
            if f is None:
                problems.append(f"unknown irlens setting '{section}.{key}' ignored")
                continue
            try:
                values[f.name] = _coerce(value, _leaf_type(f), f)
            except ValueError as err:
                problems.append(
                    f"invalid irlens setting '{section}.{key}': {err}; using {f.default!r}"
                )
                values[f.name] = f.default
        sections[section] = dataclasses.replace(current, **values)
    for key in data:
        if key not in sections:
            problems.append(f"unknown irlens setting '{key}' ignored")
    return Settings(**sections), problems


def to_dict(settings: Settings) -> dict[str, dict[str, Any]]:
    """The nested camelCase form, as the editors send it."""
    return {
        section: {camel(k): v for k, v in dataclasses.asdict(getattr(settings, section)).items()}
        for section, _ in _sections()
    }


def vscode_configuration() -> dict[str, Any]:
    """The ``contributes.configuration`` block of the VS Code extension's package.json."""
    properties: dict[str, Any] = {}
    for spec in schema():
        prop: dict[str, Any] = {
            "type": spec.type,
            "default": spec.default,
            "markdownDescription": spec.description,
        }
        if spec.minimum is not None:
            prop["minimum"] = spec.minimum
        if spec.maximum is not None:
            prop["maximum"] = spec.maximum
        properties[f"irlens.{spec.key}"] = prop
    properties["irlens.server.command"] = {
        "type": "array",
        "items": {"type": "string"},
        "default": [],
        "markdownDescription": "Command that starts the language server, e.g. "
        '`["/path/to/.venv/bin/irlens", "serve"]`. Empty: `irlens serve` from '
        "`irlens.server.python`'s environment, then PATH.",
    }
    properties["irlens.server.python"] = {
        "type": "string",
        "default": "",
        "markdownDescription": "Python interpreter with irlens installed "
        "(runs `python -m lsp_server serve`).",
    }
    properties["irlens.trace.server"] = {
        "type": "string",
        "enum": ["off", "messages", "verbose"],
        "default": "off",
        "markdownDescription": "Trace the LSP traffic in the irlens output channel.",
    }
    return {"title": "irlens", "properties": properties}


def markdown() -> str:
    """The README's configuration section: one heading per key."""
    out = []
    for spec in schema():
        out.append(f"### `{spec.key}`\n")
        bounds = ""
        if spec.minimum is not None or spec.maximum is not None:
            bounds = f", from {spec.minimum} to {spec.maximum}"
        out.append(
            f"{spec.description} ({spec.type}, default `{json.dumps(spec.default)}`{bounds})\n"
        )
    return "\n".join(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--vscode"]:
        sys.stdout.write(json.dumps(vscode_configuration(), indent=2) + "\n")
    elif sys.argv[1:] == ["--markdown"]:
        sys.stdout.write(markdown())
    else:
        sys.stdout.write(json.dumps(to_dict(Settings()), indent=2) + "\n")
