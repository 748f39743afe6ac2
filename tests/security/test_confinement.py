"""Files named by a Score file or a definition stay inside the project directory, are
regular files and are read with a bound; target output stays inside the project."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from e2e_helpers import Project

from orchc.compiler.confined import MAX_FILE_BYTES
from orchc.compiler.score import read_score
from orchc.grammar.diagnostics import Diagnostic, Diagnostics, render
from orchc.grammar.source import SourceMap

SCORE = """\
apiVersion: score.dev/v1b1
metadata:
  name: web
containers:
  main:
    image: nginx
    files:
      /etc/app.conf:
        source: {source}
"""


def _read(root: Path, source: str) -> list[str]:
    app = root / "svc"
    app.mkdir(exist_ok=True)
    score = app / "score.yaml"
    score.write_text(SCORE.format(source=source))
    sources = SourceMap()
    workload, diagnostics = read_score(score, root, sources)
    assert workload is None
    return [_line(d, sources) for d in diagnostics]


def _line(diagnostic: Diagnostic, sources: SourceMap) -> str:
    return render([diagnostic], sources).splitlines()[0]


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("/proc/self/environ", "the path must be relative, not absolute"),
        ("/etc/passwd", "the path must be relative, not absolute"),
        ("../../../../../../etc/passwd", "the path leads outside the project directory"),
        ("../../outside.txt", "the path leads outside the project directory"),
        ("link-out", "the path leads outside the project directory"),
        ("link-dev", "the path leads outside the project directory"),
        ('"a\\0b"', "the path contains a NUL byte"),
        ("fifo", "it is not a regular file (a device, FIFO or socket)"),
        ("big.txt", f"the file is larger than the limit of {MAX_FILE_BYTES} bytes"),
        (".", "Is a directory"),
    ],
)
def test_a_score_source_outside_the_project_or_not_a_file_is_refused(
    tmp_path: Path, source: str, why: str
) -> None:
    root = tmp_path / "project"
    (root / "svc").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("PG_ADMIN_PASSWORD=leaked\n")
    (root / "svc" / "link-out").symlink_to(tmp_path / "outside.txt")
    (root / "svc" / "link-dev").symlink_to("/dev/zero")
    os.mkfifo(root / "svc" / "fifo")
    (root / "svc" / "big.txt").write_bytes(b"x" * (MAX_FILE_BYTES + 1))
    lines = _read(root, source)
    assert len(lines) == 1
    assert lines[0].startswith("svc/score.yaml:9:17: error: containers.main.files")
    assert lines[0].endswith(why)
    assert "leaked" not in lines[0]


def test_a_score_source_inside_the_project_is_inlined(tmp_path: Path) -> None:
    root = tmp_path / "project"
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "app.conf").write_text("ok\n")
    (root / "svc").mkdir()
    score = root / "svc" / "score.yaml"
    score.write_text(SCORE.format(source="../shared/app.conf"))
    workload, diagnostics = read_score(score, root, SourceMap())
    assert diagnostics == []
    assert workload is not None
    files = workload.spec["containers"]["main"]["files"]  # type: ignore[index,call-overload]
    assert files["/etc/app.conf"]["content"] == "ok\n"


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("../../outside.txt", "leads outside the project directory"),
        ("link-out", "leads outside the project directory"),
        ("fifo", "it is not a regular file (a device, FIFO or socket)"),
        ("a\\u{0}b", "the path contains a NUL byte"),
    ],
)
def test_file_in_a_definition_is_confined(tmp_path: Path, path: str, why: str) -> None:
    from orchc.compiler.passes.build_ir import build_ir
    from orchc.compiler.passes.read_definitions import read_definitions

    root = tmp_path / "project"
    defs = root / "defs"
    defs.mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("secret\n")
    (defs / "link-out").symlink_to(tmp_path / "outside.txt")
    os.mkfifo(defs / "fifo")
    (defs / "main.orch").write_text(
        'definition "tt" {\n  type = "x"\n  driver = "static"\n  match {}\n'
        f'  inputs {{ t = file("{path}") }}\n}}\n'
    )
    diagnostics = Diagnostics()
    documents = read_definitions(defs, root, SourceMap(), diagnostics)
    build_ir(documents, root, diagnostics)
    messages = [d.message for d in diagnostics]
    assert len(messages) == 1
    assert why in messages[0]


def test_an_env_id_that_is_a_path_is_refused_and_nothing_is_written(
    project: Project, tmp_path: Path
) -> None:
    project.write(
        "score.yaml",
        "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\n",
    )
    result = project.run("apply", "--env", "../../x", "--auto-approve", expect=2)
    assert "invalid environment id '../../x'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x").exists()
    assert not (project.root.parent / "x").exists()
    newline = project.run("plan", "--env", "dev\n", expect=2)
    assert "invalid environment id 'dev\\n'" in newline.stderr


def test_a_target_path_outside_the_project_is_refused(project: Project, tmp_path: Path) -> None:
    project.write(
        "score.yaml",
        "apiVersion: score.dev/v1b1\nmetadata: {name: web}\ncontainers: {main: {image: nginx}}\n",
    )
    project.write(
        "definitions/t.orch",
        'definition "out" {\n  type = "target"\n  driver = "kubernetes-manifests"\n'
        '  match {}\n  inputs { path = "../escaped" }\n}\n'
        'environment "dev" { type = "development" }\n',
    )
    result = project.run("apply", "--env", "dev", "--auto-approve", expect=1)
    assert "the output path '../escaped' leads outside the project directory" in result.stderr
    assert not (tmp_path / "escaped").exists()


@pytest.mark.parametrize(
    ("workloads", "message"),
    [
        ('["/etc/*"]', "'workloads' entry '/etc/*' must be a pattern relative to the project"),
        ('["../*/score.yaml"]', "'workloads' entry '../*/score.yaml' must not leave the project"),
        ('["a\\u0000b"]', "'workloads' entry 'a\\x00b' contains a NUL byte"),
        ('["a\\nb"]', "'workloads' entry 'a\\nb' contains a control character"),
        ('["x**/score.yaml"]', "'workloads' entry 'x**/score.yaml' is not a pattern of files"),
        ('["a/b**"]', "'workloads' entry 'a/b**' is not a pattern of files"),
        ('["."]', "'workloads' entry '.' is not a pattern of files"),
    ],
)
def test_workload_patterns_are_checked(project: Project, workloads: str, message: str) -> None:
    project.write("orchc.toml", f'app = "shop"\nworkloads = {workloads}\n')
    result = project.run("plan", "--env", "dev", expect=1)
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_nul_byte_in_the_definitions_path_is_an_error(project: Project) -> None:
    project.write("orchc.toml", 'app = "shop"\ndefinitions = "a\\u0000b"\n')
    result = project.run("plan", "--env", "dev", expect=1)
    assert "'definitions' contains a NUL byte" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (
            '[environments.dev]\noverrides = { web = "over\\u0000rides/web.yaml" }',
            "'environments.dev.overrides' entry 'over\\x00rides/web.yaml' contains a NUL byte",
        ),
        (
            '[environments.dev]\noverrides = { web = "o/\\norchc: ok\\u0007.yaml" }',
            "'environments.dev.overrides' entry 'o/\\norchc: ok\\x07.yaml' contains a control"
            " character",
        ),
        (
            '[environments.dev]\noverrides = { web = "\\u001b[31mweb.yaml" }',
            "'environments.dev.overrides' entry '\\x1b[31mweb.yaml' contains a control character",
        ),
        (
            '[environments.dev]\noverrides = { "we\\tb" = "web.yaml" }',
            "'environments.dev.overrides' entry 'we\\tb' contains a control character",
        ),
        (
            '[environments."d\\u001bv"]\noverrides = { web = "/etc/web.yaml" }',
            "'environments.d\\x1bv.overrides' entry '/etc/web.yaml' must be a pattern relative",
        ),
    ],
)
def test_orchc_toml_overrides_are_shown_escaped(project: Project, table: str, message: str) -> None:
    # Every message about an overrides file names it: a control character in the path
    # is refused when orchc.toml is read, shown escaped, and never reaches stderr raw.
    project.write("orchc.toml", f'app = "shop"\n{table}\n')
    result = project.run("plan", "--env", "dev", expect=1)
    assert message in result.stderr
    assert result.stderr.endswith("\n")
    assert result.stderr[:-1].isprintable()  # one line, nothing raw
