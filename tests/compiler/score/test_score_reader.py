"""`read_score` and `read_scores`: the workload they build, where its parts are, files
inlined from `source`, and the problems that are not about the document's schema."""

from __future__ import annotations

from pathlib import Path
from textwrap import dedent

import pytest
from pydantic import JsonValue

from orchc.compiler.score import ResourceRequest, ScoreWorkload, read_score, read_scores
from orchc.grammar.diagnostics import Diagnostic, render
from orchc.grammar.source import SourceMap, Span

WEB = """\
apiVersion: score.dev/v1b1
metadata:
  name: web
  team: payments
containers:
  main:
    image: nginx
    variables:
      DB_URL: postgres://${resources.db.host}/app
    files:
      /etc/app.conf:
        source: conf/app.conf
        mode: "0600"
resources:
  db:
    type: postgres
    params:
      size: small
      owner: ${metadata.team}
  cache:
    type: redis
    class: large
    id: shared-cache
    metadata:
      annotations:
        example.com/tier: hot
"""


def _write(root: Path, name: str, text: str | bytes) -> Path:
    path = root / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def _at(value: JsonValue, *keys: str) -> JsonValue:
    for key in keys:
        assert isinstance(value, dict)
        value = value[key]
    return value


def _read(root: Path, name: str = "web/score.yaml") -> tuple[ScoreWorkload | None, str, SourceMap]:
    sources = SourceMap()
    workload, diagnostics = read_score(root / name, root, sources)
    return workload, render(diagnostics, sources), sources


@pytest.fixture
def web(tmp_path: Path) -> ScoreWorkload:
    _write(tmp_path, "web/score.yaml", WEB)
    _write(tmp_path, "web/conf/app.conf", "listen 80\n")
    workload, rendered, _ = _read(tmp_path)
    assert rendered == ""
    assert workload is not None
    return workload


def test_the_workload_is_named_and_located(web: ScoreWorkload) -> None:
    assert (web.name, web.source, web.span) == (
        "web",
        "web/score.yaml",
        Span("web/score.yaml", 3, 9),
    )


def test_resource_requests_keep_what_score_says(web: ScoreWorkload) -> None:
    assert web.resources == (
        ResourceRequest(
            name="db",
            type="postgres",
            class_="default",
            id=None,
            params={"size": "small", "owner": "${metadata.team}"},
            metadata={},
            span=Span("web/score.yaml", 15, 3),
        ),
        ResourceRequest(
            name="cache",
            type="redis",
            class_="large",
            id="shared-cache",
            params={},
            metadata={"annotations": {"example.com/tier": "hot"}},
            span=Span("web/score.yaml", 20, 3),
        ),
    )
    assert web.locate(("resources", "db", "params", "owner")) == Span("web/score.yaml", 19, 14)


def test_the_spec_is_normalised_but_not_filled_in(web: ScoreWorkload) -> None:
    assert web.spec == {
        "apiVersion": "score.dev/v1b1",
        "metadata": {"name": "web", "team": "payments"},
        "containers": {
            "main": {
                "image": "nginx",
                "variables": {"DB_URL": "postgres://${resources.db.host}/app"},
                "files": {"/etc/app.conf": {"mode": "0600", "content": "listen 80\n"}},
            }
        },
        "resources": {
            "db": {"type": "postgres", "params": {"size": "small", "owner": "${metadata.team}"}},
            "cache": {
                "type": "redis",
                "class": "large",
                "id": "shared-cache",
                "metadata": {"annotations": {"example.com/tier": "hot"}},
            },
        },
    }


@pytest.mark.parametrize(
    ("path", "span"),
    [
        (("containers", "main", "image"), ("web/score.yaml", 7, 12)),
        (("containers", "main"), ("web/score.yaml", 6, 3)),
        (("resources", "cache"), ("web/score.yaml", 20, 3)),
        (("resources", "cache", "params", "size"), ("web/score.yaml", 20, 3)),
        (("containers", "main", "files", "/etc/app.conf", "content"), ("web/score.yaml", 12, 17)),
        (("nowhere",), ("web/score.yaml", 1, 1)),
    ],
)
def test_locate_finds_the_best_span(
    web: ScoreWorkload, path: tuple[str, ...], span: tuple[str, int, int]
) -> None:
    assert web.locate(path) == Span(*span)


def test_locate_text_points_inside_strings_and_included_files(web: ScoreWorkload) -> None:
    variable = ("containers", "main", "variables", "DB_URL")
    content = ("containers", "main", "files", "/etc/app.conf", "content")

    assert web.locate_text(variable, 11) == Span("web/score.yaml", 9, 26)
    assert web.locate_text(content, 7) == Span("web/conf/app.conf", 1, 8)


def test_placeholder_errors_in_an_included_file_point_into_that_file(tmp_path: Path) -> None:
    _write(tmp_path, "web/score.yaml", WEB)
    _write(tmp_path, "web/conf/app.conf", "listen 80\nserver_name ${metadata.host};\n")

    workload, rendered, _ = _read(tmp_path)

    assert workload is None
    assert rendered == dedent("""\
        web/conf/app.conf:2:13: error: placeholder '${metadata.host}': metadata has no key 'host'
          server_name ${metadata.host};
                      ^""")


def test_binary_sources_become_binary_content(tmp_path: Path) -> None:
    _write(tmp_path, "web/score.yaml", WEB)
    _write(tmp_path, "web/conf/app.conf", b"\xff\xfe\x00${not expanded}")

    workload, rendered, _ = _read(tmp_path)

    assert rendered == ""
    assert workload is not None
    assert _at(workload.spec, "containers", "main", "files") == {
        "/etc/app.conf": {"mode": "0600", "binaryContent": "//4AJHtub3QgZXhwYW5kZWR9"}
    }


def test_a_source_that_is_not_a_file_is_reported_at_the_source(tmp_path: Path) -> None:
    _write(tmp_path, "web/score.yaml", WEB)
    (tmp_path / "web/conf/app.conf").mkdir(parents=True)

    _, rendered, _ = _read(tmp_path)

    assert rendered == dedent("""\
        web/score.yaml:12:17: error: containers.main.files["/etc/app.conf"].source: cannot read 'web/conf/app.conf': Is a directory
                  source: conf/app.conf
                          ^""")


def test_a_missing_score_file_is_an_error_without_a_place(tmp_path: Path) -> None:
    _, rendered, _ = _read(tmp_path, "absent.yaml")

    assert rendered == "orchc: error: absent.yaml: cannot read: No such file or directory"


def test_a_score_file_that_is_not_utf8_is_located(tmp_path: Path) -> None:
    _write(tmp_path, "bad.yaml", b"apiVersion: score.dev/v1b1\nmetadata:\n  name: caf\xe9\n")

    _, rendered, _ = _read(tmp_path, "bad.yaml")

    assert rendered == "bad.yaml:3:12: error: a Score file must be UTF-8 text"


def test_an_empty_score_file(tmp_path: Path) -> None:
    _write(tmp_path, "empty.yaml", "# nothing yet\n")

    _, rendered, _ = _read(tmp_path, "empty.yaml")

    assert rendered == dedent("""\
        empty.yaml:1:1: error: a Score file must be a mapping of apiVersion, metadata, containers, ...; got an empty document
          # nothing yet
          ^""")


def test_values_are_never_echoed_in_type_errors(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "leak.yaml",
        "apiVersion: score.dev/v1b1\nmetadata: {name: leak}\ncontainers:\n  main:\n"
        "    image: nginx\n    variables:\n      PASSWORD: {value: hunter2}\n"
        "    command: [hunter3]\n    args: hunter4\n",
    )
    sources = SourceMap()

    _, diagnostics = read_score(tmp_path / "leak.yaml", tmp_path, sources)

    messages = " ".join(d.message for d in diagnostics)
    assert len(diagnostics) == 2
    assert "hunter" not in messages


def _named(root: Path, path: str, name: str) -> Path:
    text = f"apiVersion: score.dev/v1b1\nmetadata:\n  name: {name}\ncontainers:\n  main:\n    image: x\n"
    return _write(root, path, text)


def test_read_scores_reports_a_duplicate_name_at_the_second_file(tmp_path: Path) -> None:
    paths = [
        _named(tmp_path, "a.yaml", "web"),
        _named(tmp_path, "b.yaml", "api"),
        _named(tmp_path, "c.yaml", "web"),
    ]
    sources = SourceMap()

    workloads, diagnostics = read_scores(paths, tmp_path, sources)

    assert [w.source for w in workloads] == ["a.yaml", "b.yaml"]
    assert render(diagnostics, sources) == dedent("""\
        c.yaml:3:9: error: workload name 'web' is already used by a.yaml:3:9
            name: web
                  ^""")


def test_read_scores_reads_a_file_listed_twice_once(tmp_path: Path) -> None:
    path = _named(tmp_path, "a.yaml", "web")

    workloads, diagnostics = read_scores([path, tmp_path / "." / "a.yaml"], tmp_path, SourceMap())

    assert [w.name for w in workloads] == ["web"]
    assert diagnostics == []


def test_read_scores_collects_every_file_s_diagnostics(tmp_path: Path) -> None:
    good = _named(tmp_path, "good.yaml", "web")
    bad = _named(tmp_path, "bad.yaml", "Bad")
    worse = _write(tmp_path, "worse.yaml", "[")

    workloads, diagnostics = read_scores([bad, good, worse], tmp_path, SourceMap())

    assert [w.name for w in workloads] == ["web"]
    assert [(d.span.path if d.span else None) for d in diagnostics] == ["bad.yaml", "worse.yaml"]
    assert all(isinstance(d, Diagnostic) and d.is_error for d in diagnostics)


def test_locate_works_after_the_tree_is_released_with_merge_keys(tmp_path: Path) -> None:
    _write(
        tmp_path,
        "merge.yaml",
        "apiVersion: score.dev/v1b1\nmetadata: {name: merge}\n"
        "x-common: &common\n  LOG: debug\n"
        "containers:\n  main:\n    image: x\n    variables:\n      <<: *common\n      ENV: dev\n",
    )
    # `x-common` is not a Score key: the document is invalid, which shows the merge too.
    _, rendered, _ = _read(tmp_path, "merge.yaml")
    assert rendered.splitlines()[0].startswith(
        "merge.yaml:3:1: error: unknown top-level key 'x-common'"
    )

    _write(
        tmp_path,
        "merge.yaml",
        "apiVersion: score.dev/v1b1\nmetadata: {name: merge, common: &common {LOG: debug}}\n"
        "containers:\n  main:\n    image: x\n    variables:\n      <<: *common\n      ENV: dev\n",
    )
    workload, rendered, _ = _read(tmp_path, "merge.yaml")

    assert rendered == ""
    assert workload is not None
    variables = ("containers", "main", "variables")
    assert _at(workload.spec, *variables) == {"LOG": "debug", "ENV": "dev"}
    assert workload.locate((*variables, "LOG")) == Span("merge.yaml", 2, 47)
    assert workload.locate((*variables, "ENV")) == Span("merge.yaml", 8, 12)
