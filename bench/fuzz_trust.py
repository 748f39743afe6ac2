#!/usr/bin/env python3
"""A longer fuzz run over orchc's trust boundaries than the suite's: Score files built
of random YAML anchors and aliases, and templates built of random loops, ranges,
operators and filters over random params (the strategies of
tests/security/test_fuzz_trust.py). Runs each property for a time budget and prints
how many inputs it tried, how they ended, the slowest one and the peak memory. Any
exception other than a diagnostic or a `DriverError` fails the run.

    python bench/fuzz_trust.py                 # 120 s per property
    python bench/fuzz_trust.py --seconds 600
"""

from __future__ import annotations

import argparse
import collections
import resource
import sys
import time
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "security"))

from test_fuzz_trust import (
    PARAMS,
    alias_documents,
    check_score,
    check_template,
    templates,
)


def run(name: str, seconds: float, test: Any) -> None:
    outcomes: collections.Counter[str] = collections.Counter()
    slowest = [0.0]
    end = time.monotonic() + seconds

    def timed(args: tuple[Any, ...]) -> None:
        start = time.monotonic()
        outcomes[test(*args) or "ok"] += 1
        slowest[0] = max(slowest[0], time.monotonic() - start)

    strategies = st.tuples(alias_documents()) if name == "score" else st.tuples(templates(), PARAMS)
    started = time.monotonic()
    while time.monotonic() < end:
        batch = settings(
            max_examples=200,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )(given(strategies)(timed))
        batch()
    elapsed = time.monotonic() - started
    total = sum(outcomes.values())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
    print(
        f"{name}: {total} inputs in {elapsed:.0f} s ({total / elapsed:.0f}/s), "
        f"outcomes {dict(outcomes)}, slowest {slowest[0]:.2f} s, peak RSS {peak} MB"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0, help="per property")
    args = parser.parse_args()
    run("score", args.seconds, check_score)
    run("template", args.seconds, lambda source, params: check_template(source, params, 2.0))


if __name__ == "__main__":
    main()
