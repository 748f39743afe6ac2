"""`orchc types [TYPE]` (SPEC §11): every type with its contract and the definitions
that serve it, as a table, as one type's detail, and as JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from orchc.cli import main

DEFINITIONS = """\
resource_type "llm-model" {
  description = "a hosted language model"
  outputs     = ["model", "url"]
  secrets     = ["api-key"]
}

definition "llm-dev" {
  type   = "llm-model"
  driver = "static"
  match { env_type = "development" }
  inputs { model = "tiny", url = "http://llm.test" }
  secrets { api-key = "k" }
}

definition "pg-dev" {
  type   = "postgres"
  driver = "static"
  match { env_type = "development" }
  inputs { host = "db" }
}
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "orchc.toml").write_text('app = "shop"\n', encoding="utf-8")
    (tmp_path / "definitions").mkdir()
    (tmp_path / "definitions" / "platform.orch").write_text(DEFINITIONS, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run(*args: str, code: int = 0) -> Result:
    result = CliRunner().invoke(main, ["types", *args], catch_exceptions=False)
    assert result.exit_code == code, result.output
    return result


def test_the_table_lists_user_and_shipped_types(project: Path) -> None:
    lines = run().stdout.splitlines()
    assert lines[0].split() == ["TYPE", "OUTPUTS", "SECRETS", "DEFINITIONS"]
    rows = {line.split()[0]: line for line in lines[1:]}
    assert "model, url" in rows["llm-model"] and rows["llm-model"].endswith("llm-dev")
    assert rows["postgres"].endswith("pg-dev, default-postgres (default)")
    assert "password, url" in rows["postgres"]
    assert "(no contract)" in rows["environment"]


def test_one_type_is_detailed(project: Path) -> None:
    assert run("llm-model").stdout == (
        "type: llm-model\n"
        "description: a hosted language model\n"
        "contract: definitions/platform.orch:1:1\n"
        "outputs: model, url\n"
        "secrets: api-key\n"
        "definitions:\n"
        '  llm-dev: driver static, definitions/platform.orch:7:1, match { env_type = "development" }\n'
        "    returns: api-key, model, url\n"
    )


def test_the_detail_names_what_a_definition_misses_from_the_contract(project: Path) -> None:
    lines = run("postgres").stdout.splitlines()
    assert lines[lines.index(next(x for x in lines if x.startswith("  pg-dev"))) + 1] == (
        "    returns: host (missing from the contract: "
        "port, name, database, username, password, url)"
    )
    assert lines[-2:] == [
        "  default-postgres (default): driver template, orchc:defaults/postgres.orch:18:1, "
        "match {}",
        "    returns: database, host, name, password, port, url, username",
    ]


def test_json_has_the_contract_and_the_definitions(project: Path) -> None:
    found = json.loads(run("postgres", "--format", "json").stdout)
    (entry,) = found["types"]
    assert entry["contract"]["outputs"] == ["host", "port", "name", "database", "username"]
    assert entry["contract"]["secrets"] == ["password", "url"]
    assert entry["contract"]["default"] is True
    assert [d["id"] for d in entry["definitions"]] == ["pg-dev", "default-postgres"]
    assert entry["definitions"][0]["returns"] == ["host"]


def test_an_unknown_type_is_one_error_line(project: Path) -> None:
    result = CliRunner().invoke(main, ["types", "nope"])
    assert result.exit_code == 1
    assert result.output.startswith("orchc: error: no contract or definition for type 'nope'")
