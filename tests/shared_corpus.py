"""Where the tests find the public Score corpus, and which tests need it.

The corpus (48 Score documents other people wrote) is read in place from
`../shared/score/corpus` beside the checkout, or from `$ORCHC_SHARED/score/corpus`;
it is never copied in. A test needs it when it carries the `corpus` marker or uses the
`shared_dir` fixture. On a clone without it those tests are not run, and the run says
so in one line (tests/conftest.py); everything else runs from the repository alone. With
`ORCHC_REQUIRE_CORPUS=1` (CI) a missing corpus is an error instead.

The official Score schemas are read the same way, from `../shared/score/schema`: the
shared README asks that none of these files be copied into the project.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
# An empty ORCHC_SHARED means unset (not the working directory).
SHARED = Path(os.environ.get("ORCHC_SHARED") or ROOT.parent / "shared").resolve()
CORPUS = SHARED / "score" / "corpus"
SCHEMAS = SHARED / "score" / "schema"


def corpus_available() -> bool:
    return CORPUS.is_dir()


def corpus_files(pattern: str = "*.yaml") -> list[Path]:
    """The corpus files matching `pattern`, sorted; none when the corpus is missing."""
    return sorted(CORPUS.rglob(pattern)) if corpus_available() else []


def why_not_run(count: int) -> str:
    return (
        f"not run: {count} tests that need the public Score corpus, which is not at "
        f"{CORPUS} (put the shared folder beside this checkout or set ORCHC_SHARED)"
    )


def built_here_images(document: dict[str, Any]) -> list[str]:
    """An `--image` option for each container of a Score document built from here
    (`image: .`, as the score-full samples have), as CI would pass it (SPEC §12)."""
    name = document["metadata"]["name"]
    return [
        f"--image={name}.{container}=registry.example.com/{name}-{container}:ci"
        for container, body in sorted(document["containers"].items())
        if body.get("image") == "."
    ]


PUBLISH_ANNOTATIONS = (
    "compose.score.dev/publish-port",
    "compose.score.dev/publish-management-port",
)


def own_host_ports(document: dict[str, Any]) -> list[str]:
    """An `--override-property` for each resource that publishes a host port another
    resource of the document already publishes, moving it to the next free port, as a
    user does with orchc's one broker per `amqp` resource (docs/defaults.md): two
    brokers cannot share score-compose's example 10's management port 15672."""
    name, taken, options = document["metadata"]["name"], set(), []
    for resource, body in sorted((document.get("resources") or {}).items()):
        annotations = (body.get("metadata") or {}).get("annotations") or {}
        for key in PUBLISH_ANNOTATIONS:
            if key not in annotations:
                continue
            port = int(annotations[key])
            while port in taken:
                port += 1
            taken.add(port)
            if port != int(annotations[key]):
                path = (
                    f"resources.{resource}.metadata.annotations.{key.replace('.', chr(92) + '.')}"
                )
                options.append(f'--override-property={name}:{path}="{port}"')
    return options
