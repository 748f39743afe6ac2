"""The reader against 48 real Score documents and the official schema (both read
in place from `../shared/score/`).

Every corpus document loads without diagnostics; its raw form is valid against
`score-v1b1.json` and its normalised form (list forms upgraded, sources inlined) against
`score-v1b1.for-validation.json`, the schema the reference tools validate with. Two
upstream samples name a `file.txt` that upstream does not ship: for those the reader's
one diagnostic is asserted, and their normalised form is checked from a scratch copy
that has the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from shared_corpus import CORPUS, corpus_files

from orchc.compiler.score import ScoreWorkload, read_score
from orchc.grammar.diagnostics import render
from orchc.grammar.source import SourceMap

SAMPLES_WITHOUT_FILE = {
    "spec/samples/score-full.yaml",
    "score-go/schema/files/samples/score-full.yaml",
}


pytestmark = pytest.mark.corpus
DOCUMENTS = [p.relative_to(CORPUS).as_posix() for p in corpus_files()]


def _validator(schema_dir: Path, name: str) -> jsonschema.Draft202012Validator:
    schema = json.loads((schema_dir / name).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture(scope="module")
def corpus(shared_dir: Path) -> Path:
    return shared_dir / "score" / "corpus"


@pytest.fixture(scope="module")
def official(score_schema_dir: Path) -> jsonschema.Draft202012Validator:
    return _validator(score_schema_dir, "score-v1b1.json")


@pytest.fixture(scope="module")
def for_validation(score_schema_dir: Path) -> jsonschema.Draft202012Validator:
    return _validator(score_schema_dir, "score-v1b1.for-validation.json")


def _read(path: Path, root: Path) -> tuple[ScoreWorkload | None, str]:
    sources = SourceMap()
    workload, diagnostics = read_score(path, root, sources)
    return workload, render(diagnostics, sources)


def _errors(validator: jsonschema.Draft202012Validator, document: object) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(document)]


def test_the_corpus_is_all_there() -> None:
    assert len(DOCUMENTS) == 48


@pytest.mark.parametrize("name", DOCUMENTS)
def test_every_corpus_document_loads_without_diagnostics(corpus: Path, name: str) -> None:
    workload, rendered = _read(corpus / name, corpus)

    if name in SAMPLES_WITHOUT_FILE:
        assert rendered == (
            f'{name}:32:17: error: containers.container-one1.files["/my/file"].source: '
            f"cannot read '{name.rsplit('/', 1)[0]}/file.txt': No such file or directory\n"
            "          source: file.txt\n"
            "                  ^"
        )
    else:
        assert rendered == ""
        assert workload is not None
        assert workload.source == name


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_raw_document_is_valid_against_the_official_schema(
    corpus: Path, official: jsonschema.Draft202012Validator, name: str
) -> None:
    document = yaml.safe_load((corpus / name).read_text())

    assert _errors(official, document) == []


@pytest.mark.parametrize("name", DOCUMENTS)
def test_the_normalised_document_is_valid_against_the_validation_schema(
    corpus: Path, for_validation: jsonschema.Draft202012Validator, tmp_path: Path, name: str
) -> None:
    workload = _read_with_missing_file(corpus, name, tmp_path)

    assert _errors(for_validation, workload.spec) == []
    assert _no_list_forms(workload)


def _read_with_missing_file(corpus: Path, name: str, scratch: Path) -> ScoreWorkload:
    path = corpus / name
    if name in SAMPLES_WITHOUT_FILE:
        # A scratch copy beside a stand-in for the file upstream leaves out.
        (scratch / "file.txt").write_text("stand-in for the missing file.txt\n")
        path = scratch / "score.yaml"
        path.write_text((corpus / name).read_text())
    workload, rendered = _read(path, path.parent)
    assert rendered == ""
    assert workload is not None
    return workload


def _no_list_forms(workload: ScoreWorkload) -> bool:
    containers = workload.spec["containers"]
    assert isinstance(containers, dict)
    return all(
        not isinstance(container.get(key), list)
        for container in containers.values()
        if isinstance(container, dict)
        for key in ("files", "volumes")
    )


def test_the_list_forms_normalise_to_the_map_form(corpus: Path, tmp_path: Path) -> None:
    listed = _read_with_missing_file(
        corpus, "score-go/schema/files/samples/score-full.yaml", tmp_path
    )
    mapped = _read_with_missing_file(corpus, "spec/samples/score-full.yaml", tmp_path)

    assert listed.spec == mapped.spec


def test_the_deprecated_sample_upgrades_to_maps_keyed_by_target(corpus: Path) -> None:
    workload, _ = _read(corpus / "spec/samples/score-deprecated-files-and-volumes.yaml", corpus)

    assert workload is not None
    assert workload.spec["containers"] == {
        "main": {
            "image": "example-image:latest",
            "files": {"/mnt/some-path": {"content": "my content here"}},
            "volumes": {"/mnt/vol": {"source": "some-volume"}},
        }
    }


def test_file_sources_are_inlined_relative_to_the_score_file(corpus: Path) -> None:
    workload, _ = _read(corpus / "score-compose/examples/03-files/score.yaml", corpus)

    assert workload is not None
    assert workload.spec["containers"] == {
        "hello": {
            "image": "busybox",
            "command": ["/bin/sh"],
            "args": [
                "-c",
                "while true; do cat /fileA.txt; cat /fileB.txt; cat /fileC.bin; sleep 5; done",
            ],
            "files": {
                "/fileA.txt": {"content": "This is fileA.\n"},
                "/fileB.txt": {"content": "I am ${metadata.name}\n"},
                "/fileC.bin": {"binaryContent": "aGVsbG8gd29ybGQ="},
            },
        }
    }
