"""Invalid Score files: the exact diagnostics the reader reports, and whether the
official schema agrees that the document is invalid.

Rows marked `READER_ONLY` are documents the schema accepts but orchc rejects on
purpose: placeholder errors (the schema does not look inside strings), duplicate keys
(the schema sees only the last value), list-form items without a `target` or with the
same `target` twice (they could not become the map form), and `binaryContent` that is
not base64 (it would fail at deploy time instead).
"""

from __future__ import annotations

import json
from pathlib import Path
from textwrap import dedent

import jsonschema
import pytest
import yaml

from orchc.compiler.score import read_score
from orchc.grammar.diagnostics import render
from orchc.grammar.source import SourceMap

SCHEMA_REJECTS = "schema rejects"
READER_ONLY = "reader only"
HEAD = "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n"
MAIN = "containers:\n  main:\n    image: nginx\n"
LABEL = (
    "a lowercase RFC 1123 label (2-63 characters of a-z, 0-9 and '-',"
    " starting and ending with a letter or digit)"
)


CASES = [
    pytest.param(
        HEAD,
        """\
        score.yaml:1:1: error: missing required key 'containers'
          apiVersion: score.dev/v1b1
          ^""",
        SCHEMA_REJECTS,
        id="no-containers",
    ),
    pytest.param(
        HEAD + "containers: {}\n",
        """\
        score.yaml:4:1: error: containers: must not be empty (a workload needs at least one container)
          containers: {}
          ^""",
        SCHEMA_REJECTS,
        id="empty-containers",
    ),
    pytest.param(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: My_App\n" + MAIN,
        f"""\
        score.yaml:3:9: error: metadata.name: 'My_App' is not {LABEL}
            name: My_App
                  ^""",
        SCHEMA_REJECTS,
        id="bad-workload-name",
    ),
    pytest.param(
        HEAD + "containers:\n  Main:\n    image: nginx\n",
        f"""\
        score.yaml:5:3: error: containers: invalid container name 'Main': expected {LABEL}
            Main:
            ^""",
        SCHEMA_REJECTS,
        id="bad-container-name",
    ),
    pytest.param(
        HEAD + MAIN + "resources:\n  db_main:\n    type: postgres\n",
        f"""\
        score.yaml:8:3: error: resources: invalid resource name 'db_main': expected {LABEL}
            db_main:
            ^""",
        SCHEMA_REJECTS,
        id="bad-resource-name",
    ),
    pytest.param(
        HEAD + MAIN + "service:\n  ports:\n    web:\n      port: 70000\n",
        """\
        score.yaml:10:13: error: service.ports.web.port: must be between 1 and 65535
                port: 70000
                      ^""",
        SCHEMA_REJECTS,
        id="bad-port",
    ),
    pytest.param(
        HEAD + MAIN + "service:\n  ports:\n    web:\n      port: 80\n      protocol: tcp\n",
        """\
        score.yaml:11:17: error: service.ports.web.protocol: must be one of 'TCP' or 'UDP'
                protocol: tcp
                          ^""",
        SCHEMA_REJECTS,
        id="bad-protocol",
    ),
    pytest.param(
        HEAD + MAIN + "    resources:\n      limits:\n        memory: 12XB\n",
        """\
        score.yaml:9:17: error: containers.main.resources.limits.memory: '12XB' is not a memory quantity such as 128M or 1.5Gi
                  memory: 12XB
                          ^""",
        SCHEMA_REJECTS,
        id="bad-memory",
    ),
    pytest.param(
        HEAD + MAIN + "    resources:\n      requests:\n        cpu: 1.5m\n",
        """\
        score.yaml:9:14: error: containers.main.resources.requests.cpu: '1.5m' is not a CPU quantity such as 2, 0.5 or 125m
                  cpu: 1.5m
                       ^""",
        SCHEMA_REJECTS,
        id="bad-cpu",
    ),
    pytest.param(
        HEAD + MAIN + "    files:\n      /etc/app.conf:\n        content: hello\n"
        "        source: app.conf\n",
        """\
        score.yaml:8:7: error: containers.main.files["/etc/app.conf"]: a file needs exactly one of 'content', 'binaryContent' or 'source' (found 'content' and 'source')
                /etc/app.conf:
                ^""",
        SCHEMA_REJECTS,
        id="file-with-content-and-source",
    ),
    pytest.param(
        HEAD + MAIN + '    files:\n      /etc/motd:\n        mode: "0999"\n        content: hi\n',
        """\
        score.yaml:9:15: error: containers.main.files["/etc/motd"].mode: '0999' is not an octal file mode such as 0644
                  mode: "0999"
                        ^""",
        SCHEMA_REJECTS,
        id="bad-file-mode",
    ),
    pytest.param(
        HEAD
        + MAIN
        + "    files:\n      /etc/motd:\n        target: /etc/motd\n        content: hi\n",
        """\
        score.yaml:9:9: error: containers.main.files["/etc/motd"]: unknown key 'target' (expected one of: binaryContent, content, mode, noExpand, source)
                  target: /etc/motd
                  ^""",
        SCHEMA_REJECTS,
        id="map-form-file-with-target",
    ),
    pytest.param(
        HEAD + MAIN + "extra: true\n",
        """\
        score.yaml:7:1: error: unknown top-level key 'extra' (expected one of: apiVersion, containers, metadata, resources, service)
          extra: true
          ^""",
        SCHEMA_REJECTS,
        id="unknown-top-level-key",
    ),
    pytest.param(
        HEAD + MAIN + "service:\n  port: 80\n",
        """\
        score.yaml:8:3: error: service: unknown key 'port'; did you mean 'ports'?
            port: 80
            ^""",
        SCHEMA_REJECTS,
        id="misspelt-service-key",
    ),
    pytest.param(
        HEAD + MAIN + "    imagePullPolicy: Always\n",
        """\
        score.yaml:7:5: error: containers.main: unknown key 'imagePullPolicy' (expected one of: args, before, command, files, image, livenessProbe, readinessProbe, resources, variables, volumes)
              imagePullPolicy: Always
              ^""",
        SCHEMA_REJECTS,
        id="unknown-container-key",
    ),
    pytest.param(
        HEAD + "containers:\n  main:\n    imag: nginx\n",
        """\
        score.yaml:5:3: error: containers.main: missing required key 'image'
            main:
            ^
        score.yaml:6:5: error: containers.main: unknown key 'imag'; did you mean 'image'?
              imag: nginx
              ^""",
        SCHEMA_REJECTS,
        id="misspelt-container-key",
    ),
    pytest.param(
        "apiVersion: score.dev/v1b2\nmetadata:\n  name: web\n" + MAIN,
        """\
        score.yaml:1:13: error: apiVersion must be 'score.dev/v1b1', got 'score.dev/v1b2'
          apiVersion: score.dev/v1b2
                      ^""",
        SCHEMA_REJECTS,
        id="wrong-api-version",
    ),
    pytest.param(
        HEAD + MAIN + "    variables:\n      PORT: 8080\n",
        """\
        score.yaml:8:13: error: containers.main.variables.PORT: expected a string, got an integer (quote it to make it a string)
                PORT: 8080
                      ^""",
        SCHEMA_REJECTS,
        id="variable-not-a-string",
    ),
    pytest.param(
        HEAD + "containers:\n  main:\n    image:\n",
        """\
        score.yaml:6:11: error: containers.main.image: expected a value, got null
              image:
                    ^""",
        SCHEMA_REJECTS,
        id="null-image",
    ),
    pytest.param(
        HEAD + MAIN + "    livenessProbe: {}\n",
        """\
        score.yaml:7:5: error: containers.main.livenessProbe: a probe needs 'httpGet' or 'exec' (or both)
              livenessProbe: {}
              ^""",
        SCHEMA_REJECTS,
        id="probe-without-check",
    ),
    pytest.param(
        HEAD + MAIN + "    readinessProbe:\n      httpGet:\n        path: /\n        port: 80\n"
        "        httpHeaders:\n          - name: X Token\n            value: a\n",
        """\
        score.yaml:12:19: error: containers.main.readinessProbe.httpGet.httpHeaders[0].name: 'X Token' is not an HTTP header name (letters, digits, '_' and '-')
                    - name: X Token
                            ^""",
        SCHEMA_REJECTS,
        id="bad-http-header-name",
    ),
    pytest.param(
        HEAD + MAIN + "    before:\n      init:\n        ready: done\n",
        """\
        score.yaml:9:16: error: containers.main.before.init.ready: must be one of 'started', 'healthy' or 'complete'
                  ready: done
                         ^""",
        SCHEMA_REJECTS,
        id="bad-before-state",
    ),
    pytest.param(
        HEAD + MAIN + "resources:\n  db:\n    type: postgres_db\n",
        """\
        score.yaml:9:11: error: resources.db.type: 'postgres_db' is not 2-63 characters of A-Z, a-z, 0-9 and '-', starting and ending with a letter or digit
              type: postgres_db
                    ^""",
        SCHEMA_REJECTS,
        id="bad-resource-type",
    ),
    pytest.param(
        HEAD + MAIN + "resources:\n  db:\n    type: postgres\n    id: Shared.DB\n",
        """\
        score.yaml:10:9: error: resources.db.id: 'Shared.DB' is not dot-separated labels of a-z, 0-9 and '-' (2-63 characters)
              id: Shared.DB
                  ^""",
        SCHEMA_REJECTS,
        id="bad-resource-id",
    ),
    pytest.param(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: web\n  annotations:\n    -bad: x\n" + MAIN,
        """\
        score.yaml:5:5: error: metadata.annotations: invalid annotation key '-bad': expected an annotation key (an optional DNS prefix and '/', then letters, digits, '.', '_' and '-')
              -bad: x
              ^""",
        SCHEMA_REJECTS,
        id="bad-annotation-key",
    ),
    pytest.param(
        "- apiVersion: score.dev/v1b1\n",
        """\
        score.yaml:1:1: error: a Score file must be a mapping of apiVersion, metadata, containers, ...; got a list
          - apiVersion: score.dev/v1b1
          ^""",
        SCHEMA_REJECTS,
        id="not-a-mapping",
    ),
    pytest.param(
        HEAD + "containers:\n  main:\n    image: [nginx\n",
        """\
        score.yaml:6:12: error: invalid YAML: did not find expected ',' or ']' (while parsing a flow sequence)
              image: [nginx
                     ^""",
        SCHEMA_REJECTS,
        id="invalid-yaml",
    ),
    pytest.param(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: Web\ncontainers:\n  main:\n"
        "    image: 42\n    args: hello\n",
        f"""\
        score.yaml:3:9: error: metadata.name: 'Web' is not {LABEL}
            name: Web
                  ^
        score.yaml:6:12: error: containers.main.image: expected a string, got an integer (quote it to make it a string)
              image: 42
                     ^
        score.yaml:7:11: error: containers.main.args: expected a list, got a string
              args: hello
                    ^""",
        SCHEMA_REJECTS,
        id="several-errors-at-once",
    ),
    pytest.param(
        HEAD + MAIN + "    image: httpd\n",
        """\
        score.yaml:7:5: error: duplicate key 'image' (first at line 6)
              image: httpd
              ^""",
        READER_ONLY,
        id="duplicate-key",
    ),
    pytest.param(
        HEAD + MAIN + "    files:\n      - content: hi\n",
        """\
        score.yaml:8:9: error: containers.main.files[0]: missing required key 'target'
                - content: hi
                  ^""",
        READER_ONLY,
        id="list-form-file-without-target",
    ),
    pytest.param(
        HEAD + MAIN + "    volumes:\n      - {target: /data, source: a}\n"
        "      - {target: /data, source: b}\n",
        """\
        score.yaml:7:5: error: containers.main.volumes: target '/data' is listed twice
              volumes:
              ^""",
        READER_ONLY,
        id="list-form-with-a-target-twice",
    ),
    pytest.param(
        HEAD + MAIN + "    files:\n      /bin/x:\n        binaryContent: not base64!\n",
        """\
        score.yaml:9:24: error: containers.main.files["/bin/x"].binaryContent: not valid standard base64
                  binaryContent: not base64!
                                 ^""",
        READER_ONLY,
        id="binary-content-not-base64",
    ),
    pytest.param(
        HEAD + MAIN + "    variables:\n      DB: postgres://${resources.db.host\n",
        """\
        score.yaml:8:22: error: unterminated placeholder: '${' has no closing '}' (write '$${' for a literal '${')
                DB: postgres://${resources.db.host
                               ^""",
        READER_ONLY,
        id="unterminated-placeholder",
    ),
    pytest.param(
        HEAD + MAIN + '    variables:\n      DB: "x-${}"\n',
        """\
        score.yaml:8:14: error: empty placeholder '${}'
                DB: "x-${}"
                       ^""",
        READER_ONLY,
        id="empty-placeholder",
    ),
    pytest.param(
        HEAD + MAIN + "    variables:\n      NAME: ${metadata..name}\n",
        """\
        score.yaml:8:13: error: placeholder '${metadata..name}' has an empty key segment
                NAME: ${metadata..name}
                      ^""",
        READER_ONLY,
        id="placeholder-with-empty-segment",
    ),
    pytest.param(
        HEAD + MAIN + "    volumes:\n      /data:\n        source: ${volumes.data}\n",
        """\
        score.yaml:9:17: error: placeholder '${volumes.data}': unknown root: Score placeholders are '${metadata.KEY}' or '${resources.NAME.KEY}' (write '$$' for a literal '$')
                  source: ${volumes.data}
                          ^""",
        READER_ONLY,
        id="placeholder-with-unknown-root",
    ),
    pytest.param(
        HEAD + MAIN + "    variables:\n      DB_HOST: ${resources.db.host}\n"
        "resources:\n  cache:\n    type: redis\n",
        """\
        score.yaml:8:16: error: placeholder '${resources.db.host}': no resource 'db' is declared in this workload
                DB_HOST: ${resources.db.host}
                         ^
          declared: cache""",
        READER_ONLY,
        id="placeholder-to-undeclared-resource",
    ),
    pytest.param(
        HEAD + MAIN + "    files:\n      /etc/motd:\n        content: |\n"
        "          Welcome to ${metadata.name}\n          owned by ${metadata.team}\n",
        """\
        score.yaml:11:20: error: placeholder '${metadata.team}': metadata has no key 'team'
                    owned by ${metadata.team}
                             ^""",
        READER_ONLY,
        id="placeholder-to-missing-metadata-key",
    ),
    pytest.param(
        HEAD + MAIN + "resources:\n  db:\n    type: postgres\n    params:\n"
        "      url: ${resources.db.url}\n",
        """\
        score.yaml:11:12: error: placeholder '${resources.db.url}': resource 'db' cannot use its own outputs in its params
                url: ${resources.db.url}
                     ^""",
        READER_ONLY,
        id="params-referencing-their-own-resource",
    ),
]


@pytest.fixture(scope="module")
def schema(score_schema_dir: Path) -> jsonschema.Draft202012Validator:
    document = json.loads((score_schema_dir / "score-v1b1.json").read_text())
    return jsonschema.Draft202012Validator(document)


@pytest.mark.parametrize(("text", "expected", "schema_verdict"), CASES)
def test_invalid_documents_are_reported_at_the_offending_line(
    tmp_path: Path, text: str, expected: str, schema_verdict: str
) -> None:
    path = tmp_path / "score.yaml"
    path.write_text(text)
    sources = SourceMap()

    workload, diagnostics = read_score(path, tmp_path, sources)

    assert workload is None
    assert render(diagnostics, sources) == dedent(expected)


@pytest.mark.parametrize(("text", "expected", "schema_verdict"), CASES)
def test_the_official_schema_agrees_except_for_reader_only_rows(
    schema: jsonschema.Draft202012Validator, text: str, expected: str, schema_verdict: str
) -> None:
    try:
        valid = schema.is_valid(yaml.safe_load(text))
    except yaml.YAMLError:
        valid = False

    assert valid == (schema_verdict == READER_ONLY)


def test_an_integer_too_long_for_python_is_reported_where_it_is(tmp_path: Path) -> None:
    # Not a CASES row: PyYAML, which the schema row would load it with, fails the same way.
    digits = "9" * 5000
    path = tmp_path / "score.yaml"
    path.write_text(HEAD + MAIN + f"    args: [run, {digits}]\n")
    sources = SourceMap()

    workload, diagnostics = read_score(path, tmp_path, sources)

    assert workload is None
    assert render(diagnostics, sources).splitlines()[0] == (
        "score.yaml:7:17: error: invalid number: 5000 digits, at most 4300"
    )
