#!/usr/bin/env python3
"""How fast does `orchc apply` run a large graph, and how close does it get to the
critical path when drivers are slow? Each next to Terraform on the same shape.

1. Throughput: the `plan_scale` graph (W workloads x 3 resources + one shared resource
   they all reference) with the static driver; wall time and resources per second, next
   to `terraform apply` of the same shape (`terraform_data`).
2. Latency: a driver that takes 200 ms per resource (the `cmd` driver running
   `sleep 0.2`), a graph of depth 3 (one root, F children, F grandchildren), at
   `--parallelism 64`; wall time divided by the critical path (3 x 200 ms), next to
   Terraform's ratio on the same shape (`local-exec` sleep).

    python bench/apply_scale.py                  # 4,000 static resources; latency F=32
    python bench/apply_scale.py --workloads 300 --fanout 16
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import plan_scale

SLEEP = 0.2


def run_orchc(root: Path, *args: str) -> tuple[float, dict[str, object]]:
    """Wall time of the whole command, and its final JSON event."""
    start = time.perf_counter()
    result = subprocess.run(
        [*plan_scale.orchc_command(), *args, "--json"],
        cwd=root,
        check=True,
        capture_output=True,
        text=True,
    )
    elapsed = time.perf_counter() - start
    final: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return elapsed, final


def terraform_env() -> dict[str, str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if not Path(env.get("TF_CLI_CONFIG_FILE", "/nonexistent")).exists():
        env.pop("TF_CLI_CONFIG_FILE", None)
    return env


def run_terraform(root: Path, parallelism: int) -> float | None:
    terraform = shutil.which("terraform")
    if terraform is None:
        return None
    env = terraform_env()
    subprocess.run(
        [terraform, "init", "-input=false"], cwd=root, env=env, check=True, capture_output=True
    )
    start = time.perf_counter()
    subprocess.run(
        [
            terraform,
            "apply",
            "-auto-approve",
            "-input=false",
            "-lock=false",
            f"-parallelism={parallelism}",
        ],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - start


def throughput(workdir: Path, workloads: int) -> None:
    root = workdir / "throughput"
    plan_scale.orchc_project(root, workloads, 100)
    (root / "definitions" / "target.orch").write_text(
        'definition "compose" {\n  type = "target"\n  driver = "compose"\n  match {}\n'
        '  inputs { path = "out/compose.yaml" }\n}\n'
    )
    subprocess.run(
        [*plan_scale.orchc_command(), "plan", "--env", "bench", "-o", "plan.json"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    resources = len(json.loads((root / "plan.json").read_text())["resources"])
    elapsed, final = run_orchc(root, "apply", "plan.json", "--parallelism", "10")
    executor = float(final["wall_time"])  # type: ignore[arg-type]
    print(
        f"orchc apply      {resources} static resources: {elapsed:.2f} s wall "
        f"({resources / elapsed:.0f} resources/s; executor {executor:.2f} s)"
    )
    tf_root = workdir / "throughput-tf"
    plan_scale.terraform_project(tf_root, workloads)
    seconds = run_terraform(tf_root, 10)
    if seconds is None:
        print("terraform apply  not run: terraform is not on PATH")
        return
    count = workloads * 3 + 1
    print(
        f"terraform apply  {count} terraform_data: {seconds:.2f} s wall ({count / seconds:.0f} resources/s)"
    )
    print(f"ratio: orchc is {seconds / elapsed:.1f}x faster than terraform apply")


def latency_project(root: Path, fanout: int) -> None:
    (root / "definitions").mkdir(parents=True)
    (root / "orchc.toml").write_text('app = "latency"\n')
    # One fork per resource, as Terraform's local-exec: the shell answers, then becomes
    # `sleep` (the request on stdin is small enough for the pipe buffer; nobody reads it).
    answer = '{"outputs": {"x": 1}}'
    command = json.dumps(["sh", "-c", f"echo '{answer}'; exec sleep {SLEEP}"])
    blocks = [
        'environment "bench" { type = "development" }\n',
        'definition "compose" {\n  type = "target"\n  driver = "compose"\n  match {}\n'
        '  inputs { path = "out/compose.yaml" }\n}\n',
    ]
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
        "apiVersion: score.dev/v1b1\nmetadata:\n  name: latency\ncontainers:\n  main:\n    image: busybox\n"
        f"resources:\n{resources}"
    )


def latency(workdir: Path, fanout: int) -> None:
    root = workdir / "latency"
    latency_project(root, fanout)
    subprocess.run(
        [*plan_scale.orchc_command(), "plan", "--env", "bench", "-o", "plan.json"],
        cwd=root,
        check=True,
        capture_output=True,
    )
    elapsed, final = run_orchc(root, "apply", "plan.json", "--parallelism", "64")
    critical = 3 * SLEEP
    executor = float(final["wall_time"])  # type: ignore[arg-type]
    print(
        f"orchc apply      depth 3, {2 * fanout + 1} x {SLEEP * 1000:.0f} ms resources at --parallelism 64: "
        f"executor {executor:.3f} s = {executor / critical:.2f} x critical path "
        f"(whole command {elapsed:.2f} s = {elapsed / critical:.2f} x)"
    )
    tf_root = workdir / "latency-tf"
    tf_root.mkdir()
    lines = [
        'resource "terraform_data" "root" {\n  provisioner "local-exec" { command = "sleep 0.2" }\n}\n'
    ]
    for i in range(fanout):
        lines.append(
            f'resource "terraform_data" "child{i}" {{\n  input = terraform_data.root.id\n'
            '  provisioner "local-exec" { command = "sleep 0.2" }\n}\n'
        )
        lines.append(
            f'resource "terraform_data" "leaf{i}" {{\n  input = terraform_data.child{i}.id\n'
            '  provisioner "local-exec" { command = "sleep 0.2" }\n}\n'
        )
    (tf_root / "main.tf").write_text("\n".join(lines))
    seconds = run_terraform(tf_root, 64)
    if seconds is None:
        print("terraform apply  not run: terraform is not on PATH")
        return
    print(
        f"terraform apply  same shape, local-exec sleep 0.2, -parallelism=64: {seconds:.2f} s "
        f"= {seconds / critical:.2f} x critical path"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--workloads", type=int, default=1333, help="x3 resources (+ shared + target)"
    )
    parser.add_argument("--fanout", type=int, default=32)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="orchc-apply-bench-") as temporary:
        throughput(Path(temporary), args.workloads)
        latency(Path(temporary), args.fanout)


if __name__ == "__main__":
    main()
