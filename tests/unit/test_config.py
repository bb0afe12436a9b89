"""Settings: one definition, camelCase on the wire, invalid values fall back with a message."""

from __future__ import annotations

from lsp_server import config


def test_defaults_match_the_design() -> None:
    settings = config.Settings()
    assert settings.model.url == ""
    assert settings.preview.default_pipeline == "default<Oz>"
    assert settings.preview.time_budget_ms == 400
    assert settings.suggest.budget_seconds == 10


def test_nested_camel_case_keys_are_read() -> None:
    settings, problems = config.from_dict(
        {
            "model": {"url": "http://127.0.0.1:8787/v1", "apiKey": "k"},
            "preview": {"timeBudgetMs": 250},
        }
    )
    assert problems == []
    assert settings.model.url == "http://127.0.0.1:8787/v1"
    assert settings.model.api_key == "k"
    assert settings.preview.time_budget_ms == 250


def test_vscode_section_wrapper_is_accepted() -> None:
    settings, _ = config.from_dict({"irlens": {"llvm": {"binDir": "/opt/llvm/bin"}}})
    assert settings.llvm.bin_dir == "/opt/llvm/bin"


def test_invalid_values_get_a_message_and_the_default() -> None:
    settings, problems = config.from_dict(
        {
            "preview": {"timeBudgetMs": "fast", "maxDiffLines": 3},
            "suggest": {"temperature": True},
            "model": {"nmae": "x"},
            "colour": {},
        }
    )
    assert settings.preview.time_budget_ms == 400
    assert settings.preview.max_diff_lines == 80
    assert settings.suggest.temperature == 0.7
    text = "\n".join(problems)
    assert "preview.timeBudgetMs" in text and "expected a number" in text
    assert "below the minimum" in text
    assert "unknown irlens setting 'model.nmae'" in text
    assert "unknown irlens setting 'colour'" in text
    assert len(problems) == 5


def test_not_an_object_keeps_the_defaults() -> None:
    settings, problems = config.from_dict(["not", "an", "object"])
    assert settings == config.Settings()
    assert problems and "must be an object" in problems[0]


def test_round_trip_through_the_wire_form() -> None:
    settings, _ = config.from_dict({"target": {"triple": "aarch64-unknown-linux-gnu"}})
    again, problems = config.from_dict(config.to_dict(settings))
    assert problems == []
    assert again == settings


def test_schema_covers_every_leaf_with_a_description() -> None:
    specs = config.schema()
    keys = {s.key for s in specs}
    assert {
        "model.url",
        "model.name",
        "model.apiKey",
        "llvm.binDir",
        "target.triple",
        "preview.defaultPipeline",
        "preview.timeBudgetMs",
        "suggest.budgetSeconds",
    } <= keys
    assert all(s.description for s in specs)
    vscode = config.vscode_configuration()["properties"]
    assert set(vscode) >= {f"irlens.{k}" for k in keys}


def test_readme_configuration_section_is_generated_from_the_settings() -> None:
    from tests.support.data import ROOT

    readme = (ROOT / "README.md").read_text()
    section = readme.split("<!-- settings:begin -->\n", 1)[1].split("<!-- settings:end -->", 1)[0]
    assert section == config.markdown(), "run: python -m lsp_server.config --markdown"
