#!/usr/bin/env python3
"""How fast does `orchc apply` run, and how close does it get to the critical path
when drivers are slow? Each next to Terraform 1.11 on the same shape.

1. Throughput: the `plan_scale` graph (W workloads x 3 static resources + one shared
   resource they all reference, deployed to a Compose target), applied from nothing,
   next to `terraform apply` of the same shape (`terraform_data`), alternately, median
   CPU time (bench/measure.py); at 100 workloads with Terraform, and at 3,000 workloads
   (12,002 static resources: each workload also has its `workload` resource) for orchc
   alone (`--terraform-at-scale` runs Terraform there too, once: it takes minutes).
2. Latency: a driver that takes 200 ms per resource (the `cmd` driver running
   `sleep 0.2`), a graph of depth 3 (one root, F children, F grandchildren; with the
   target and the workload's own resource 2F + 3), at `--parallelism 256`: the
   executor's wall time next to the critical path (3 x 200 ms), and Terraform's whole
   apply (`local-exec` sleep).

    python bench/apply_scale.py                  # W = 100 and 3,000; F = 100
    python bench/apply_scale.py --runs 3 --large 1333
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import measure
import plan_scale
from measure import Run

SLEEP = 0.2
TARGET = (
    'definition "compose" {\n  type = "target"\n  driver = "compose"\n  match {}\n'
    '  inputs { path = "out/compose.yaml" }\n}\n'
)


def orchc_plan(root: Path) -> int:
    """Plan (not measured); the number of resources in the plan."""
    subprocess.run(
        [*measure.orchc_command(), "plan", "--env", "bench", "-o", "plan.json"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    return len(json.loads((root / "plan.json").read_text())["resources"])


def orchc_apply(root: Path, parallelism: int) -> Run:
    """Apply the plan from nothing (the state and the output removed first)."""
    for leftover in (".orchc", "out"):
        shutil.rmtree(root / leftover, ignore_errors=True)
    command = [*measure.orchc_command(), "apply", "plan.json", "--json"]
    return measure.run([*command, "--parallelism", str(parallelism)], root)


def terraform_apply(root: Path, parallelism: int) -> Run:
    for leftover in ("terraform.tfstate", "terraform.tfstate.backup"):
        (root / leftover).unlink(missing_ok=True)
    command = ["terraform", "apply", "-auto-approve", "-input=false", "-lock=false"]
    return measure.run([*command, f"-parallelism={parallelism}"], root, measure.terraform_env())


def throughput(workdir: Path, workloads: int, runs: int, with_terraform: bool) -> None:
    root = workdir / f"throughput-{workloads}"
    plan_scale.orchc_project(root, workloads, 100)
    (root / "definitions" / "target.orch").write_text(TARGET)
    resources = orchc_plan(root)
    commands = {"orchc": lambda: orchc_apply(root, 10)}
    if with_terraform and shutil.which("terraform"):
        tf_root = workdir / f"throughput-tf-{workloads}"
        plan_scale.terraform_project(tf_root, workloads)
        plan_scale.terraform_init(tf_root)
        commands["terraform"] = lambda: terraform_apply(tf_root, 10)
    results = measure.alternate(commands, runs)
    label = f"apply W={workloads} ({resources} resources)"
    print(measure.ratio_line(label, results["orchc"], results.get("terraform")))


def latency_project(root: Path, fanout: int) -> None:
    (root / "definitions").mkdir(parents=True)
    (root / "orchc.toml").write_text('app = "latency"\n')
    # One fork per resource, as Terraform's local-exec: the shell answers, then becomes
    # `sleep` (the request on stdin is small enough for the pipe buffer; nobody reads it).
    answer = '{"outputs": {"x": 1}}'
    command = json.dumps(["sh", "-c", f"echo '{answer}'; exec sleep {SLEEP}"])
    blocks = ['environment "bench" { type = "development" }\n', TARGET]
    # A leaf reads its child (same id, inherited); every child reads the one root.
    parents = {"root": "", "child": "root#root", "leaf": "child"}
    for level, parent in parents.items():
        needs = f'\n    after = "${{resources.{parent}.outputs.x}}"' if parent else ""
        blocks.append(
            f'definition "{level}" {{\n  type = "{level}"\n  driver = "cmd"\n  match {{}}\n'
            f"  inputs {{\n    command = {command}{needs}\n  }}\n}}\n"
        )
    (root / "definitions" / "latency.orch").write_text("\n".join(blocks))
    resources = "".join(f"  leaf{i}:\n    type: leaf\n    id: n{i}\n" for i in range(fanout))
    (root / "score.yaml").write_text(
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: latency\ncontainers:\n  main:\n"
        f"    image: busybox\nresources:\n{resources}"
    )


def terraform_latency_project(root: Path, fanout: int) -> None:
    root.mkdir()
    sleep = f'  provisioner "local-exec" {{ command = "sleep {SLEEP}" }}\n'
    lines = [f'resource "terraform_data" "root" {{\n{sleep}}}\n']
    for i in range(fanout):
        lines.append(
            f'resource "terraform_data" "child{i}" {{\n  input = terraform_data.root.id\n{sleep}}}\n'
        )
        lines.append(
            f'resource "terraform_data" "leaf{i}" {{\n  input = terraform_data.child{i}.id\n{sleep}}}\n'
        )
    (root / "main.tf").write_text("\n".join(lines))


def latency(workdir: Path, fanout: int, runs: int, parallelism: int) -> None:
    root = workdir / "latency"
    latency_project(root, fanout)
    resources = orchc_plan(root)
    critical = 3 * SLEEP
    executor_walls: list[float] = []

    def orchc() -> Run:
        events = root / "events.jsonl"
        with events.open("w") as out:
            for leftover in (".orchc", "out"):
                shutil.rmtree(root / leftover, ignore_errors=True)
            command = [*measure.orchc_command(), "apply", "plan.json", "--json"]
            result = measure.run(
                [*command, "--parallelism", str(parallelism)], root, stdout=out.fileno()
            )
        final = json.loads(events.read_text().strip().splitlines()[-1])
        executor_walls.append(float(final["wall_time"]))
        return result

    commands = {"orchc": orchc}
    if shutil.which("terraform"):
        tf_root = workdir / "latency-tf"
        terraform_latency_project(tf_root, fanout)
        plan_scale.terraform_init(tf_root)
        commands["terraform"] = lambda: terraform_apply(tf_root, parallelism)
    results = measure.alternate(commands, runs)
    executor = sorted(executor_walls)[len(executor_walls) // 2]
    print(
        f"latency: {resources} resources, depth 3 x {SLEEP * 1000:.0f} ms, parallelism "
        f"{parallelism}: critical path {critical:.2f} s; orchc executor wall {executor:.3f} s "
        f"(+{executor - critical:.3f} s), whole command {measure.median_wall(results['orchc']):.2f} s "
        f"wall, {measure.median_cpu(results['orchc']):.2f} s CPU"
    )
    if "terraform" in results:
        print(
            f"{'':9}terraform apply, same shape (local-exec sleep): "
            f"{measure.median_wall(results['terraform']):.2f} s wall "
            f"(+{measure.median_wall(results['terraform']) - critical:.2f} s), "
            f"{measure.median_cpu(results['terraform']):.2f} s CPU"
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--small", type=int, default=100, help="workloads, with Terraform")
    parser.add_argument("--large", type=int, default=3000, help="workloads (x4 static resources)")
    parser.add_argument("--fanout", type=int, default=100)
    parser.add_argument("--parallelism", type=int, default=256, help="of the latency run")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--terraform-at-scale", action="store_true")
    args = parser.parse_args()
    measure.compile_bytecode()
    measure.describe_machine()
    with tempfile.TemporaryDirectory(prefix="orchc-apply-bench-") as temporary:
        workdir = Path(temporary)
        throughput(workdir, args.small, args.runs, with_terraform=True)
        large_runs = 1 if args.terraform_at_scale else max(3, args.runs // 2)
        throughput(workdir, args.large, large_runs, with_terraform=args.terraform_at_scale)
        latency(workdir, args.fanout, max(3, args.runs // 2), args.parallelism)


if __name__ == "__main__":
    main()
