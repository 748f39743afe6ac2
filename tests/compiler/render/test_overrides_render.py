"""The overrides and CI images of a workload (SPEC §12) in every render a reviewer
reads: text, Markdown (pull requests) and HTML. They come from Score files and the
command line, so they are untrusted: shown as text, on one line, never as markup."""

from __future__ import annotations

import html
import re
from typing import Any

from orchc.compiler.plan import Plan
from orchc.compiler.render.html import render_html
from orchc.compiler.render.markdown import render_markdown
from orchc.compiler.render.text import render_text

HOSTILE = "--override-property web:metadata.annotations.a=<img src=x onerror=alert(1)>"
FENCE = "--override-property web:metadata.annotations.b=```\n# heading\n<script>x()</script>"
IMAGE = "--image web.main=registry.example.com/web:ci"


def plan(action: str = "noop", overrides: list[str] | None = None) -> Plan:
    workload: dict[str, Any] = {
        "source": "web/score.yaml:1",
        "digest": "sha256:w",
        "action": action,
        "overrides": [IMAGE, HOSTILE, FENCE] if overrides is None else overrides,
    }
    return Plan.model_validate(
        {
            "format_version": 1,
            "context": {"app": "shop", "env": "dev", "env_type": "development"},
            "state": {},
            "inputs_digest": "sha256:y",
            "resources": {},
            "workloads": {"web": workload, "api": {**workload, "overrides": []}},
            "summary": {action: 2},
        }
    )


def test_markdown_lists_the_overrides_of_an_unchanged_workload_in_a_code_block() -> None:
    text = render_markdown(plan())
    block = text[text.index("#### Overrides and images") :]
    fence = block.splitlines()[2]
    assert fence == "```"  # no line inside starts with ```: none can close the block
    assert block.splitlines()[3:8] == [
        "workload web",
        f"  overridden by {IMAGE}",
        f"  overridden by {HOSTILE}",
        "  overridden by --override-property web:metadata.annotations.b=```\\n# heading"
        "\\n<script>x()</script>",
        fence,
    ]
    assert "workload api" not in text  # nothing overrides it
    assert "\n# heading" not in text


def test_markdown_without_overrides_has_no_overrides_section() -> None:
    assert "Overrides" not in render_markdown(plan("update", overrides=[]))


def test_markdown_says_when_the_overrides_did_not_fit() -> None:
    many = [f"--image web.c{i:04d}=registry.example.com/web:{'x' * 60}" for i in range(1500)]
    text = render_markdown(plan("update", many), max_chars=20_000)
    assert len(text) <= 20_000
    assert "Overrides and images" not in text
    assert (
        "**Left out** to keep this comment under 20,000 characters: the overrides and images"
        in text
    )


def test_html_lists_the_overrides_escaped() -> None:
    page = render_html(plan())
    section = page[page.index("<h3>Overrides and images</h3>") : page.index("</section>")]
    cells = re.findall(r"<div>(.*?)</div>", section)
    assert [html.unescape(cell) for cell in cells] == [
        IMAGE,
        HOSTILE,
        "--override-property web:metadata.annotations.b=```\\n# heading\\n<script>x()</script>",
    ]
    assert "<img" not in page and "<script>x()" not in page
    assert 'data-key="workload:web"' in section and "workload:api" not in section


def test_html_details_of_a_workload_carry_its_overrides() -> None:
    page = render_html(plan())
    island = page[page.index('id="orchc-data">') : page.index("</script>")]
    assert "\\u003cimg src=x onerror=alert(1)\\u003e" in island  # JSON, read as text


def test_text_prints_an_override_with_a_line_break_on_one_line() -> None:
    text = render_text(plan())
    assert f"        overridden by {HOSTILE}\n" in text
    assert "\n# heading" not in text
