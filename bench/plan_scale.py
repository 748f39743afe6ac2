#!/usr/bin/env python3
"""How fast does `orchc plan` compile a large graph, next to `terraform plan`?

Generates W workloads x 3 resources each, one shared resource that every resource
references, and D definitions (most of them matching other apps, so matching has real
work to do); times `orchc plan` (median of several runs, each a fresh process) and its
peak memory; then generates the same graph shape for Terraform (`terraform_data`
resources, built-in provider only, works offline) and times `terraform plan` when
`terraform` is on PATH. Prints both and the ratio.

    python bench/plan_scale.py                    # W=1000, D=100, Terraform at W=300
    python bench/plan_scale.py --workloads 300 --terraform-workloads 300 --runs 3
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TYPES = ("db", "cache", "queue")


def orchc_project(root: Path, workloads: int, definitions: int) -> None:
    """An orch project: an environment, D definitions, W Score files."""
    (root / "definitions").mkdir(parents=True)
    (root / "orchc.toml").write_text('app = "bench"\ndefinitions = "definitions"\n')
    blocks = ['environment "bench" { type = "development" }\n']
    blocks.append(
        _definition(
            "shared", "shared", 'match { env_type = "development" }', 'endpoint = "shared.internal"'
        )
    )
    for index in range(definitions - 1):
        kind = TYPES[index % len(TYPES)]
        # One definition per type matches; the others target other apps.
        match = (
            'match { env_type = "development" }'
            if index < len(TYPES)
            else f'match {{ app = "other-{index}" }}'
        )
        inputs = f'url = "${{resources[\'shared.default#shared\'].outputs.endpoint}}/{kind}"\n    name = "${{context.res.id}}"'
        blocks.append(_definition(f"{kind}-{index}", kind, match, inputs))
    (root / "definitions" / "bench.orch").write_text("\n".join(blocks))
    for number in range(workloads):
        _score_file(root / "workloads" / f"w{number:05d}" / "score.yaml", f"w{number:05d}")


def _definition(name: str, kind: str, match: str, inputs: str) -> str:
    return (
        f'definition "{name}" {{\n  type   = "{kind}"\n  driver = "static"\n  {match}\n'
        f"  inputs {{\n    {inputs}\n  }}\n}}\n"
    )


def _score_file(path: Path, name: str) -> None:
    path.parent.mkdir(parents=True)
    variables = "".join(f"      {t.upper()}_URL: ${{resources.{t}.url}}\n" for t in TYPES)
    resources = "".join(f"  {t}:\n    type: {t}\n" for t in TYPES)
    shared = "  shared:\n    type: shared\n    id: shared\n"
    path.write_text(
        f"apiVersion: score.dev/v1b1\nmetadata:\n  name: {name}\ncontainers:\n  main:\n"
        f"    image: busybox\n    variables:\n{variables}resources:\n{resources}{shared}"
    )


def terraform_project(root: Path, workloads: int) -> None:
    """The same shape: a shared terraform_data every other one references."""
    root.mkdir(parents=True)
    lines = ['resource "terraform_data" "shared" {\n  input = "shared.internal"\n}\n']
    for number in range(workloads):
        for kind in TYPES:
            lines.append(
                f'resource "terraform_data" "w{number:05d}_{kind}" {{\n'
                f'  input = "${{terraform_data.shared.output}}/{kind}"\n}}\n'
            )
    (root / "main.tf").write_text("\n".join(lines))


def timed_runs(command: list[str], cwd: Path, runs: int, env: dict[str, str]) -> list[float]:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def orchc_command() -> list[str]:
    found = shutil.which("orchc", path=str(Path(sys.executable).parent)) or shutil.which("orchc")
    if found is None:
        sys.exit("orchc is not installed in this environment (pip install -e .)")
    return [found]


def bench_orchc(workdir: Path, workloads: int, definitions: int, runs: int) -> tuple[float, float]:
    root = workdir / f"orchc-{workloads}"
    orchc_project(root, workloads, definitions)
    command = [*orchc_command(), "plan", "--env", "bench", "-o", "plan.json"]
    env = {**os.environ, "ORCHC_STATE": "sqlite:///.orchc/state.db"}
    times = timed_runs(command, root, runs, env)
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return statistics.median(times), peak_mb


def bench_terraform(workdir: Path, workloads: int, runs: int) -> float | None:
    terraform = shutil.which("terraform")
    if terraform is None:
        return None
    root = workdir / f"terraform-{workloads}"
    terraform_project(root, workloads)
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if not Path(env.get("TF_CLI_CONFIG_FILE", "/nonexistent")).exists():
        env.pop("TF_CLI_CONFIG_FILE", None)
    subprocess.run(
        [terraform, "init", "-input=false"],
        cwd=root,
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    command = [terraform, "plan", "-input=false", "-lock=false", "-out=tfplan"]
    return statistics.median(timed_runs(command, root, runs, env))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", type=int, default=1000)
    parser.add_argument("--definitions", type=int, default=100)
    parser.add_argument("--terraform-workloads", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orchc-bench-") as temporary:
        workdir = Path(temporary)
        resources = args.workloads * 3 + 2
        seconds, peak = bench_orchc(workdir, args.workloads, args.definitions, args.runs)
        print(
            f"orchc plan     W={args.workloads:<5} D={args.definitions:<4} resources={resources:<6} "
            f"median {seconds:.3f} s  peak {peak:.0f} MB  ({args.runs} runs)"
        )
        w = args.terraform_workloads
        small, _ = (
            bench_orchc(workdir, w, args.definitions, args.runs)
            if w != args.workloads
            else (seconds, peak)
        )
        terraform = bench_terraform(workdir, w, args.runs)
        if terraform is None:
            print("terraform plan  not run: terraform is not on PATH")
            return
        print(f"orchc plan     W={w:<5} median {small:.3f} s")
        print(
            f"terraform plan W={w:<5} median {terraform:.3f} s  (same shape: {w * 3 + 1} terraform_data)"
        )
        print(f"ratio: orchc is {terraform / small:.1f}x faster than terraform plan at W={w}")


if __name__ == "__main__":
    main()
