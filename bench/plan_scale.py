#!/usr/bin/env python3
"""How fast do `orchc --version` and `orchc plan` run, next to Terraform 1.11?

For each size W: W workloads x 3 resources, one shared resource that every resource
references, and D definitions (most of them matching other apps, so matching has real
work to do), planned with no state yet; and the same graph shape for Terraform
(`terraform_data` resources, the built-in provider, so nothing is downloaded), planned
after `terraform init`. orchc and Terraform run alternately, each a fresh process;
the figures are the median CPU time (bench/measure.py says why), with the ratio.
Start-up: `orchc --version` next to `terraform version`.

    python bench/plan_scale.py                          # W = 100, 300, 1000; 5 runs
    python bench/plan_scale.py --workloads 300 --runs 3
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure
from measure import Run

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


def orchc_plan(root: Path) -> Run:
    return measure.run(
        [*measure.orchc_command(), "plan", "--env", "bench", "-o", "plan.json"], root
    )


def terraform_plan(root: Path) -> Run:
    command = ["terraform", "plan", "-input=false", "-lock=false", "-refresh=false", "-out=tfplan"]
    return measure.run(command, root, measure.terraform_env())


def terraform_init(root: Path) -> None:
    subprocess.run(
        ["terraform", "init", "-input=false"],
        cwd=root,
        env=measure.terraform_env(),
        check=True,
        capture_output=True,
    )


def start_up(workdir: Path, runs: int) -> None:
    commands = {"orchc": lambda: measure.run([*measure.orchc_command(), "--version"], workdir)}
    if shutil.which("terraform"):
        commands["terraform"] = lambda: measure.run(
            ["terraform", "version"], workdir, measure.terraform_env()
        )
    results = measure.alternate(commands, runs)
    print(measure.ratio_line("start-up (--version)", results["orchc"], results.get("terraform")))


def plan_at(workdir: Path, workloads: int, definitions: int, runs: int) -> float:
    """Print the comparison at W workloads; orchc's median CPU seconds."""
    root = workdir / f"orchc-{workloads}"
    orchc_project(root, workloads, definitions)
    commands = {"orchc": lambda: orchc_plan(root)}
    if shutil.which("terraform"):
        tf_root = workdir / f"terraform-{workloads}"
        terraform_project(tf_root, workloads)
        terraform_init(tf_root)
        commands["terraform"] = lambda: terraform_plan(tf_root)
    results = measure.alternate(commands, runs)
    # 3 resources, the workload's own `workload` resource, the shared one and the target.
    label = f"plan W={workloads} ({workloads * 4 + 2} resources)"
    print(measure.ratio_line(label, results["orchc"], results.get("terraform")))
    return measure.median_cpu(results["orchc"])


orchc_command = measure.orchc_command  # bench/team_state.py uses it


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workloads", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--definitions", type=int, default=100)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    measure.compile_bytecode()
    measure.describe_machine()
    with tempfile.TemporaryDirectory(prefix="orchc-bench-") as temporary:
        workdir = Path(temporary)
        start_up(workdir, args.runs * 2)
        cpu = {w: plan_at(workdir, w, args.definitions, args.runs) for w in args.workloads}
    if len(cpu) > 1:
        small, large = sorted(cpu)[-2:]
        # An item, as issue 16 counts them: 4 per workload (its 3 resources and itself).
        per_item = (cpu[large] - cpu[small]) / ((large - small) * 4)
        print(f"orchc plan per item (W={small} -> {large}): {per_item * 1000:.3f} ms CPU")


if __name__ == "__main__":
    main()
