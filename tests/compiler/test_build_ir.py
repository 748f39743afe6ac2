"""The build_ir pass: syntax -> IR, and every semantic rule of SPEC §2 with its exact
message and location."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchc.compiler import ir
from orchc.compiler.passes.build_ir import build_ir
from orchc.compiler.passes.read_definitions import read_definitions
from orchc.grammar.diagnostics import Diagnostic, Diagnostics, render
from orchc.grammar.parse import parse_document
from orchc.grammar.source import SourceMap, Span

HEAD = 'definition "db" {\n  type = "postgres"\n  driver = "static"\n  match {}\n'


def built(text: str, root: Path = Path("/nonexistent")) -> tuple[ir.Program, list[str]]:
    document, problems = parse_document("d.orch", text)
    assert problems == []
    diagnostics = Diagnostics()
    program = build_ir([document], root, diagnostics)
    return program, [_line(d) for d in diagnostics]


def _line(diagnostic: Diagnostic) -> str:
    notes = "".join(f" | {note}" for note in diagnostic.notes)
    return f"{diagnostic.span}: {diagnostic.severity.value}: {diagnostic.message}{notes}"


RULES = [
    # -- the top level --------------------------------------------------------------------
    (
        "x = 1",
        "d.orch:1:1: error: attribute 'x' outside any block: a .orch file holds only "
        "environment, definition and resource_type blocks",
    ),
    (
        'definiton "aa" {}',
        "d.orch:1:1: error: unknown block 'definiton' in a .orch file; did you mean 'definition'?",
    ),
    (
        'variable "aa" {}',
        "d.orch:1:1: error: unknown block 'variable' in a .orch file; "
        "the blocks are environment, definition, resource_type",
    ),
    (
        "definition {}",
        "d.orch:1:1: error: 'definition' needs a label: "
        'definition "<id>" { type = "...", driver = "..." }',
    ),
    (
        'environment "a" "b" {}',
        "d.orch:1:17: error: 'environment' takes one label: "
        'environment "<id>" { type = "<environment type>" }',
    ),
    (
        'definition "Pg_Dev" {}',
        "d.orch:1:12: error: invalid definition id 'Pg_Dev': use 2 or more lowercase letters, "
        "digits and '-', starting and ending with a letter or digit",
    ),
    (
        'environment "e" { type = "t" }',
        "d.orch:1:13: error: invalid environment id 'e': use 2 or more lowercase letters, "
        "digits and '-', starting and ending with a letter or digit",
    ),
    (
        'environment "-dev" { type = "t" }',
        "d.orch:1:13: error: invalid environment id '-dev': use 2 or more lowercase letters, "
        "digits and '-', starting and ending with a letter or digit",
    ),
    # -- environments ---------------------------------------------------------------------
    (
        'environment "dev" {}',
        "d.orch:1:1: error: environment 'dev' has no 'type': add type = \"development\"",
    ),
    ('environment "dev" { type = "" }', "d.orch:1:28: error: 'type' must not be empty"),
    (
        'environment "dev" { type = 1 }',
        "d.orch:1:28: error: 'type' must be a string, found the number 1",
    ),
    (
        'environment "dev" { type = "t", type = "u" }',
        "d.orch:1:33: error: duplicate attribute 'type' in environment 'dev' "
        "| note: the first is at d.orch:1:21",
    ),
    (
        'environment "dev" { type = "t", kind = "x" }',
        "d.orch:1:33: error: unknown attribute 'kind' in environment 'dev'; "
        "the only attribute is 'type'",
    ),
    (
        'environment "dev" {\n  type = "t"\n  match {}\n}',
        "d.orch:3:3: error: unknown block 'match' in environment 'dev'; it can hold no blocks",
    ),
    # -- definitions ----------------------------------------------------------------------
    (
        'definition "db" {\n  driver = "static"\n  match {}\n}',
        "d.orch:1:1: error: definition 'db' has no 'type': add type = \"<resource type>\"",
    ),
    (
        'definition "db" {\n  type = "pg"\n  match {}\n}',
        "d.orch:1:1: error: definition 'db' has no 'driver': add driver = \"<driver name>\"",
    ),
    (
        'definition "db" {\n  type = "pg.large"\n  driver = "static"\n  match {}\n}',
        "d.orch:2:10: error: invalid resource type 'pg.large': use letters, digits, '-' and '_', "
        "starting and ending with a letter or digit",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = ""\n  match {}\n}',
        "d.orch:3:12: error: 'driver' must not be empty",
    ),
    (
        'definition "db" {\n  type = "pg"\n  drivr = "static"\n  match {}\n}',
        "d.orch:1:1: error: definition 'db' has no 'driver': add driver = \"<driver name>\"\n"
        "d.orch:3:3: error: unknown attribute 'drivr' in definition 'db'; did you mean 'driver'?",
    ),
    (
        HEAD + "  description = 5\n}",
        "d.orch:5:17: error: 'description' must be a string, found the number 5",
    ),
    (
        HEAD + "  inptus {}\n}",
        "d.orch:5:3: error: unknown block 'inptus' in definition 'db'; did you mean 'inputs'?",
    ),
    (
        HEAD + "  inputs = { a = 1 }\n}",
        "d.orch:5:3: error: 'inputs' is a block, not an attribute: write inputs { ... }",
    ),
    (
        HEAD + "  type {}\n}",
        "d.orch:5:3: error: 'type' is an attribute, not a block: write type = ...",
    ),
    (
        HEAD + "  secrets {}\n  secrets {}\n}",
        "d.orch:6:3: error: duplicate 'secrets' block in definition 'db': there can be only one "
        "| note: the first is at d.orch:5:3",
    ),
    (
        HEAD + '  type = "x"\n}',
        "d.orch:5:3: error: duplicate attribute 'type' in definition 'db' "
        "| note: the first is at d.orch:2:3",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n}',
        "d.orch:1:1: warning: definition 'db' has no match block and will never be selected "
        "| note: add 'match {}' to select it for every resource of its type",
    ),
    (
        'definition "db" {\n  type = env("T")\n  driver = file("d")\n  match {}\n}',
        "d.orch:2:10: error: env() can only be used in inputs, secrets and provision params, "
        "not in definition 'db'\n"
        "d.orch:3:12: error: file() can only be used in inputs, secrets and provision params, "
        "not in definition 'db'",
    ),
    # -- match ----------------------------------------------------------------------------
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n'
        '  match { env = "a", env = "b" }\n}',
        "d.orch:4:22: error: duplicate key 'env' in the match block "
        "| note: the first is at d.orch:4:11",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n  match { evn = "a" }\n}',
        "d.orch:4:11: error: unknown key 'evn' in the match block; did you mean 'env'?",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n  match { zone = "a" }\n}',
        "d.orch:4:11: error: unknown key 'zone' in the match block; "
        "the keys are app, env, env_type, res_id, class",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n  match { app = 1 }\n}',
        "d.orch:4:17: error: 'app' must be a string, found the number 1",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n  match { app = env("A") }\n}',
        "d.orch:4:17: error: env() can only be used in inputs, secrets and provision params, "
        "not in a match block",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n  match "dev" {}\n}',
        "d.orch:4:9: error: 'match' takes no label: match { env_type = \"development\" }",
    ),
    (
        'definition "db" {\n  type = "pg"\n  driver = "static"\n  match { x {} }\n}',
        "d.orch:4:11: error: unknown block 'x' in the match block; it can hold no blocks",
    ),
    # -- inputs, secrets and their values -------------------------------------------------
    (
        HEAD + '  secrets "x" {}\n}',
        "d.orch:5:11: error: 'secrets' takes no label: secrets { name = value }",
    ),
    (
        HEAD + "  inputs {\n    a = 1\n    a = 2\n  }\n}",
        "d.orch:7:5: error: duplicate key 'a' in 'inputs' | note: the first is at d.orch:6:5",
    ),
    (
        HEAD + "  inputs {\n    labels { a = 1 }\n  }\n}",
        "d.orch:6:5: error: 'labels { ... }' is a block; inside 'inputs', write labels = { ... }",
    ),
    (
        HEAD + "  inputs { m = [{ k = 1, k = 2 }] }\n}",
        "d.orch:5:26: error: duplicate key 'k' in the map | note: the first is at d.orch:5:19",
    ),
    (
        HEAD + '  secrets { p = env("A", "B") }\n}',
        'd.orch:5:17: error: env() takes one argument, found 2: write env("NAME")',
    ),
    (
        HEAD + "  secrets { p = env(1) }\n}",
        'd.orch:5:21: error: env() takes a string, found the number 1: write env("NAME")',
    ),
    (
        HEAD + '  secrets { p = env("PG-PASSWORD") }\n}',
        "d.orch:5:21: error: invalid environment variable name 'PG-PASSWORD': use letters, "
        "digits and '_', not starting with a digit",
    ),
    (
        HEAD + "  inputs { t = file() }\n}",
        'd.orch:5:16: error: file() takes one argument, found 0: write file("relative/path")',
    ),
    (
        HEAD + '  inputs { t = file("/etc/hosts") }\n}',
        'd.orch:5:21: error: file("/etc/hosts"): the path must be relative, not absolute; '
        "give a path relative to the .orch file",
    ),
    (
        HEAD + '  inputs { t = file("") }\n}',
        'd.orch:5:21: error: file(""): the path is empty; give a path relative to the .orch file',
    ),
    (
        HEAD + '  inputs { t = fle("x") }\n}',
        "d.orch:5:16: error: unknown function 'fle()'; did you mean 'file()'?",
    ),
    (
        HEAD + '  inputs { t = lookup("x") }\n}',
        "d.orch:5:16: error: unknown function 'lookup()'; the functions are env() and file()",
    ),
    # -- provision ------------------------------------------------------------------------
    (
        HEAD + "  provision {}\n}",
        "d.orch:5:3: error: 'provision' needs a label: "
        'provision "<type>" { is_dependent = true }',
    ),
    (
        HEAD + '  provision "dns" { is_dependent = 1 }\n}',
        "d.orch:5:36: error: 'is_dependent' must be true or false, found the number 1",
    ),
    (
        HEAD + '  provision "dns" { match_dependents = "yes" }\n}',
        "d.orch:5:40: error: 'match_dependents' must be true or false, found the string \"yes\"",
    ),
    (
        HEAD + '  provision "dns" { params = [1] }\n}',
        "d.orch:5:30: error: 'params' must be a map, as in params = { size = 10 }, found a list",
    ),
    (
        HEAD + '  provision "dns" { params { a = 1 } }\n}',
        "d.orch:5:21: error: 'params' is an attribute, not a block: write params = ...",
    ),
    (
        HEAD + '  provision "dns" { depends = true }\n}',
        "d.orch:5:21: error: unknown attribute 'depends' in provision 'dns'; "
        "did you mean 'is_dependent'?",
    ),
    (
        HEAD + '  provision "dns" { after = true }\n}',
        "d.orch:5:21: error: unknown attribute 'after' in provision 'dns'; "
        "the attributes are is_dependent, match_dependents, params",
    ),
    # -- policy ---------------------------------------------------------------------------
    (
        HEAD + '  policy { timeout = "2 minutes" }\n}',
        "d.orch:5:22: error: invalid duration '2 minutes' for 'timeout': write a number and a "
        'unit, as in "30s", "2m" or "1h30m"',
    ),
    (
        HEAD + '  policy { timeout = "30" }\n}',
        "d.orch:5:22: error: invalid duration '30' for 'timeout': write a number and a "
        'unit, as in "30s", "2m" or "1h30m"',
    ),
    (
        HEAD + "  policy { timeout = 30 }\n}",
        'd.orch:5:22: error: \'timeout\' must be a duration such as "30s", "2m" or "1h30m", '
        "found the number 30",
    ),
    (
        HEAD + '  policy { timeout = "0h0m" }\n}',
        "d.orch:5:22: error: 'timeout' must be longer than 0s",
    ),
    (
        HEAD + "  policy { retries = -1 }\n}",
        "d.orch:5:22: error: 'retries' must be at least 0, found -1",
    ),
    (
        HEAD + "  policy { retries = 1.5 }\n}",
        "d.orch:5:22: error: 'retries' must be a whole number (at least 0), found the number 1.5",
    ),
    (
        HEAD + "  policy { max_parallel = 0 }\n}",
        "d.orch:5:27: error: 'max_parallel' must be at least 1, found 0",
    ),
    (
        HEAD + '  policy { prevent_destroy = "yes" }\n}',
        "d.orch:5:30: error: 'prevent_destroy' must be true or false, found the string \"yes\"",
    ),
    (
        HEAD + '  policy { timout = "3s" }\n}',
        "d.orch:5:12: error: unknown attribute 'timout' in the policy block; "
        "did you mean 'timeout'?",
    ),
    (
        HEAD + "  policy {}\n  policy {}\n}",
        "d.orch:6:3: error: duplicate 'policy' block in definition 'db': there can be only one "
        "| note: the first is at d.orch:5:3",
    ),
]


@pytest.mark.parametrize(("text", "expected"), RULES)
def test_semantic_rules(text: str, expected: str) -> None:
    _, found = built(text)
    assert "\n".join(found) == expected


def test_duplicate_ids_across_files_name_both_places() -> None:
    first, _ = parse_document("a/one.orch", 'environment "dev" { type = "development" }\n')
    second, _ = parse_document(
        "b/two.orch",
        '\nenvironment "dev" { type = "x" }\ndefinition "dev" {\n  type = "t"\n'
        '  driver = "d"\n  match {}\n}\ndefinition "dev" {}\n',
    )
    diagnostics = Diagnostics()
    program = build_ir([first, second], Path("."), diagnostics)
    assert [_line(d) for d in diagnostics] == [
        "b/two.orch:2:13: error: duplicate environment id 'dev': ids must be unique "
        "| note: the first 'dev' is at a/one.orch:1:13",
        "b/two.orch:8:12: error: duplicate definition id 'dev': ids must be unique "
        "| note: the first 'dev' is at b/two.orch:3:12",
    ]
    # Environments and definitions have separate id spaces; the first of each is kept.
    assert [e.type for e in program.environments] == ["development"]
    assert [d.id for d in program.definitions] == ["dev"]


def test_a_full_diagnostic_quotes_the_line() -> None:
    text = HEAD + '  policy { timeout = "soon" }\n}\n'
    document, _ = parse_document("defs/db.orch", text)
    diagnostics = Diagnostics()
    build_ir([document], Path("."), diagnostics)
    sources = SourceMap()
    from orchc.grammar.source import SourceFile

    sources.add(SourceFile("defs/db.orch", text))
    assert render(diagnostics, sources) == (
        "defs/db.orch:5:22: error: invalid duration 'soon' for 'timeout': write a number and "
        'a unit, as in "30s", "2m" or "1h30m"\n'
        '    policy { timeout = "soon" }\n'
        "                       ^"
    )


def test_every_error_of_a_definition_is_reported_even_without_type_or_driver() -> None:
    _, found = built('definition "db" {\n  match { zone = "x" }\n  policy { retries = -1 }\n}')
    assert found == [
        "d.orch:1:1: error: definition 'db' has no 'driver': add driver = \"<driver name>\"",
        "d.orch:1:1: error: definition 'db' has no 'type': add type = \"<resource type>\"",
        "d.orch:2:11: error: unknown key 'zone' in the match block; "
        "the keys are app, env, env_type, res_id, class",
        "d.orch:3:22: error: 'retries' must be at least 0, found -1",
    ]


# -- what valid definitions become ---------------------------------------------------------

SPEC_EXAMPLE = """\
environment "dev"     { type = "development" }
environment "staging" { type = "staging" }

definition "pg-dev" {
  type        = "postgres"
  driver      = "postgres"
  description = "a database on the shared dev server"

  match { env_type = "development" }
  match { app = "checkout", env = "staging" }
  match { env_type = "development", class = "large" }

  inputs {
    host     = "127.0.0.1"
    port     = 5432
    database = "${context.app.id}_${context.env.id}"
    tags     = ["team-a", "pii"]
    labels   = { owner = "payments", "cost-center" = "42" }
  }
  secrets {
    admin_password = env("PG_ADMIN_PASSWORD")
  }
  provision "dns" { is_dependent = false, match_dependents = true }
  policy { timeout = "2m", retries = 2, max_parallel = 4, prevent_destroy = true }
}

definition "local-manifests" {
  type   = "target"
  driver = "kubernetes-manifests"
  match {}
  inputs { path = "deploy/${context.env.id}" }
}
"""


def _plain(value: ir.Value | None) -> object:
    """An IR value as plain Python, for readable expectations."""
    if value is None or isinstance(value, ir.Scalar):
        return value.value if value else None
    if isinstance(value, ir.ListValue):
        return [_plain(item) for item in value.items]
    if isinstance(value, ir.MapValue):
        return {entry.key: _plain(entry.value) for entry in value.entries}
    if isinstance(value, ir.EnvRef):
        return ("env", value.name)
    return ("file", value.path, value.content)


def test_the_spec_example_builds_its_program() -> None:
    program, found = built(SPEC_EXAMPLE)
    assert found == []
    assert [(e.id, e.type, e.span) for e in program.environments] == [
        ("dev", "development", Span("d.orch", 1, 1)),
        ("staging", "staging", Span("d.orch", 2, 1)),
    ]
    pg, manifests = program.definitions
    assert (pg.id, pg.type, pg.driver, pg.description, pg.tier) == (
        "pg-dev",
        "postgres",
        "postgres",
        "a database on the shared dev server",
        ir.Tier.USER,
    )
    assert pg.span == Span("d.orch", 4, 1)
    assert [m.as_dict() for m in pg.matches] == [
        {"env_type": "development"},
        {"app": "checkout", "env": "staging"},
        {"env_type": "development", "class": "large"},
    ]
    assert pg.matches[1].criteria[1].span == Span("d.orch", 10, 29)
    assert _plain(pg.inputs) == {
        "host": "127.0.0.1",
        "port": 5432,
        "database": "${context.app.id}_${context.env.id}",
        "tags": ["team-a", "pii"],
        "labels": {"owner": "payments", "cost-center": "42"},
    }
    assert _plain(pg.secrets) == {"admin_password": ("env", "PG_ADMIN_PASSWORD")}
    assert pg.secrets is not None and pg.secrets.entries[0].value.span == Span("d.orch", 21, 22)
    assert pg.provisions == (
        ir.Provision(Span("d.orch", 23, 3), "dns", is_dependent=False, match_dependents=True),
    )
    assert pg.policy == ir.Policy(Span("d.orch", 24, 3), 120.0, 2, 4, True)
    assert (manifests.id, manifests.type, [m.as_dict() for m in manifests.matches]) == (
        "local-manifests",
        "target",
        [{}],
    )
    assert program.definitions_of("postgres") == (pg,)


def test_values_keep_their_types_and_spans() -> None:
    program, found = built(
        HEAD + "  inputs {\n    n = null\n    f = 1.5\n    b = true\n"
        '    m = """\n      x\n    """\n  }\n'
        '  provision "dns.large#shared.main" { params = { zone = "z", ttl = 60 } }\n}'
    )
    assert found == []
    definition = program.definitions[0]
    assert _plain(definition.inputs) == {"n": None, "f": 1.5, "b": True, "m": "x\n"}
    assert definition.inputs is not None
    assert [e.value.span for e in definition.inputs.entries] == [
        Span("d.orch", 6, 9),
        Span("d.orch", 7, 9),
        Span("d.orch", 8, 9),
        Span("d.orch", 9, 9),
    ]
    provision = definition.provisions[0]
    assert provision.ref == "dns.large#shared.main"
    assert _plain(provision.params) == {"zone": "z", "ttl": 60}
    assert (provision.is_dependent, provision.match_dependents) == (False, False)


def test_policy_defaults() -> None:
    program, _ = built(HEAD + '  policy { timeout = "1h30m" }\n}')
    assert program.definitions[0].policy == ir.Policy(Span("d.orch", 5, 3), 5400.0, 0, None, False)


def test_definitions_take_the_tier_given() -> None:
    document, _ = parse_document("defaults/t.orch", HEAD + "}")
    program = build_ir([document], Path("."), Diagnostics(), tier=ir.Tier.DEFAULT)
    assert program.definitions[0].tier is ir.Tier.DEFAULT


def test_file_reads_relative_to_the_orch_file(tmp_path: Path) -> None:
    (tmp_path / "defs" / "tpl").mkdir(parents=True)
    (tmp_path / "defs" / "tpl" / "init.yaml.j2").write_text("a: {{ x }}\r\nb: é\n", "utf-8")
    (tmp_path / "shared.txt").write_text("outside the definitions\n", "utf-8")
    (tmp_path / "defs" / "main.orch").write_text(
        HEAD + '  inputs {\n    init = file("tpl/init.yaml.j2")\n    up = file("../shared.txt")\n'
        "  }\n}\n",
        "utf-8",
    )
    diagnostics = Diagnostics()
    documents = read_definitions(tmp_path / "defs", tmp_path, SourceMap(), diagnostics)
    program = build_ir(documents, tmp_path, diagnostics)
    assert list(diagnostics) == []
    inputs = program.definitions[0].inputs
    assert _plain(inputs) == {
        "init": ("file", "tpl/init.yaml.j2", "a: {{ x }}\r\nb: é\n"),
        "up": ("file", "../shared.txt", "outside the definitions\n"),
    }
    assert inputs is not None and inputs.entries[0].value.span == Span("defs/main.orch", 6, 12)


def test_file_problems_are_located_at_the_path(tmp_path: Path) -> None:
    (tmp_path / "defs" / "dir").mkdir(parents=True)
    (tmp_path / "defs" / "bin.dat").write_bytes(b"\xff\xfe\x00")
    (tmp_path / "defs" / "main.orch").write_text(
        HEAD + '  inputs {\n    a = file("missing.j2")\n    b = file("dir")\n'
        '    c = file("bin.dat")\n  }\n}\n',
        "utf-8",
    )
    diagnostics = Diagnostics()
    documents = read_definitions(tmp_path / "defs", tmp_path, SourceMap(), diagnostics)
    build_ir(documents, tmp_path, diagnostics)
    assert [_line(d) for d in diagnostics] == [
        'defs/main.orch:6:14: error: file("missing.j2"): defs/missing.j2: No such file or directory',
        'defs/main.orch:7:14: error: file("dir"): defs/dir: Is a directory',
        'defs/main.orch:8:14: error: file("bin.dat"): defs/bin.dat is not UTF-8 text',
    ]
