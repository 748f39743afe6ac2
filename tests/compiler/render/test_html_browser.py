"""The HTML page (SPEC §10) in a real browser: Debian's headless Chromium loads it with
no console message (no error), the graph's nodes are in the DOM, the script filled the
details of the first change, and a screenshot is taken. `.ci/run` installs chromium;
a machine without it fails here rather than skipping."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from orchc.cli import main

PROJECT = Path(__file__).resolve().parents[2] / "golden" / "review-project"
# A CI image and an override whose value is markup: the page must list both, as text.
IMAGE = "web.main=registry.example.com/web:ci"
PROPERTY = "web:containers.main.variables.NOTE=<img src=x onerror=alert(1)>"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def browse(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    if CHROMIUM is None:
        pytest.fail("chromium is not installed (apt-get install -y chromium; .ci/run does it)")
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *args,
        page.as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=180, check=False)


def console_messages(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture
def page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The HTML plan of the review project: applied at v1, planned at v2."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT, project)
    monkeypatch.chdir(project)
    monkeypatch.delenv("ORCHC_STATE", raising=False)
    v1 = ["-d", "v1", "-f", "services/web/score.yaml", "-f", "services/old/score.yaml"]
    applied = CliRunner().invoke(main, ["apply", "--env", "dev", *v1, "--auto-approve"])
    assert applied.exit_code == 0, applied.output
    v2 = [
        "-d",
        "v2",
        "-f",
        "web-v2.yaml",
        "--format",
        "html",
        "--image",
        IMAGE,
        "--override-property",
        PROPERTY,
    ]
    result = CliRunner().invoke(main, ["plan", "--env", "dev", *v2])
    assert result.exit_code == 0, result.output
    out = tmp_path / "plan.html"
    out.write_text(result.stdout, encoding="utf-8")
    return out


def test_the_page_loads_nothing_from_elsewhere(page: Path) -> None:
    text = page.read_text(encoding="utf-8")
    urls = set(re.findall(r"(?:src|href)\s*=\s*\"([^\"]*)\"", text))
    assert urls <= {"data:,"}
    assert set(re.findall(r"https?://[^\s\"']+", text)) == {"http://www.w3.org/2000/svg"}
    assert "literal-one" not in text  # the v1 secret's text never appears


def test_the_page_renders_in_chromium_without_errors(page: Path, tmp_path: Path) -> None:
    loaded = browse(page, tmp_path / "profile", "--dump-dom")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    assert console_messages(loaded.stderr) == []
    dom = loaded.stdout
    nodes = re.findall(r'<g class="node (\w+)[^"]*" data-key="([^"]+)"', dom)
    assert ("update", "postgres.default#web.db") in nodes
    assert ("replace", "redis.default#web.cache") in nodes
    assert ("delete", "redis.default#legacy") in nodes
    assert ("update", "workload:web") in nodes
    # Each workload also brings its implicit workload resource (SPEC §12).
    assert ("noop", "workload.default#web") in nodes
    assert len(nodes) == 10
    assert dom.count('class="edge') >= 7
    # The script ran: the first change is selected and its details are shown.
    assert '<aside class="details"><h4>redis.default#legacy</h4>' in dom
    assert 'class="node delete selected" data-key="redis.default#legacy"' in dom
    # The overrides are listed under the changes, as text (the browser parsed no <img>).
    listed = dom[dom.index("<h3>Overrides and images</h3>") :]
    assert f"<div>--image {IMAGE}</div>" in listed
    assert "<div>--override-property web:containers.main.variables.NOTE=&lt;img" in listed
    assert "<img" not in dom
    shot = tmp_path / "plan.png"
    taken = browse(page, tmp_path / "profile", "--window-size=1400,900", f"--screenshot={shot}")
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.stat().st_size > 10_000


def test_a_console_error_would_be_seen(tmp_path: Path) -> None:
    broken = tmp_path / "broken.html"
    broken.write_text("<!DOCTYPE html><title>x</title><script>no_such_function();</script>")
    loaded = browse(broken, tmp_path / "profile", "--dump-dom")
    assert any("no_such_function" in line for line in console_messages(loaded.stderr))
