"""What the benchmarks share: CPU time of a child process, alternating runs, medians,
the machine, and bytecode compiled first.

The machines this project runs on have two cores shared with other work, so wall time
says more about the neighbours than about orchc. Each command is measured by the CPU
time of its process and the children it waited for (`os.wait4`), user plus system,
the median of several runs; orchc and Terraform run alternately, so a change of load
touches both alike. Wall time is printed beside it.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Run:
    cpu: float  # seconds, user + system, the process and the children it waited for
    wall: float


def run(
    command: list[str], cwd: Path, env: Mapping[str, str] | None = None, stdout: int | None = None
) -> Run:
    """Run `command` to its end; its CPU and wall time. A failure stops the benchmark."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=dict(env) if env is not None else None,
        stdout=subprocess.DEVNULL if stdout is None else stdout,
        stderr=subprocess.PIPE,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"benchmark command failed: {' '.join(command)}\n{errors[-2000:]}")
    return Run(usage.ru_utime + usage.ru_stime, wall)


def alternate(commands: Mapping[str, Callable[[], Run]], runs: int) -> dict[str, list[Run]]:
    """Each command `runs` times, taking turns (the order flips every round)."""
    results: dict[str, list[Run]] = {name: [] for name in commands}
    names = list(commands)
    for round_number in range(runs):
        for name in names if round_number % 2 == 0 else names[::-1]:
            results[name].append(commands[name]())
    return results


def median_cpu(runs: list[Run]) -> float:
    return statistics.median(r.cpu for r in runs)


def median_wall(runs: list[Run]) -> float:
    return statistics.median(r.wall for r in runs)


def orchc_command() -> list[str]:
    found = shutil.which("orchc", path=str(Path(sys.executable).parent)) or shutil.which("orchc")
    if found is None:
        sys.exit("orchc is not installed in this environment (pip install -e .)")
    return [found]


def terraform_env() -> dict[str, str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    if not Path(env.get("TF_CLI_CONFIG_FILE", "/nonexistent")).exists():
        env.pop("TF_CLI_CONFIG_FILE", None)
    return env


def terraform_version() -> str | None:
    terraform = shutil.which("terraform")
    if terraform is None:
        return None
    output = subprocess.run(
        [terraform, "version"], capture_output=True, text=True, env=terraform_env(), check=False
    )
    return output.stdout.splitlines()[0] if output.stdout else "terraform (version unknown)"


def compile_bytecode() -> None:
    """Compile orchc and the environment's site-packages, as an installed orchc has
    them: these machines set PYTHONDONTWRITEBYTECODE=1, so otherwise every process
    would compile its modules again and the figures would measure the compiler."""
    import orchc

    package = Path(orchc.__file__).resolve().parent
    stages = [package.parent / name for name in ("grammar", "compiler", "runtime", "drivers")]
    site = [Path(p) for p in sys.path if p.endswith("site-packages")]
    folders = [str(p) for p in (package, *stages, *site) if p.is_dir()]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", *folders],
        check=False,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    print(
        "bytecode compiled first (orchc and site-packages; the machine sets "
        "PYTHONDONTWRITEBYTECODE=1)"
    )


def describe_machine() -> None:
    model = "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"machine: {model}, {os.cpu_count()} cores, load average {load}; "
        f"Python {platform.python_version()}; {terraform_version() or 'terraform: not on PATH'}"
    )
    print("figures: CPU seconds (user+system, with waited-for children), median; wall beside")


def ratio_line(label: str, orchc: list[Run], terraform: list[Run] | None) -> str:
    mine = f"orchc {median_cpu(orchc):7.3f} s CPU ({median_wall(orchc):6.2f} s wall)"
    if not terraform:
        return f"{label:<34} {mine}   terraform: not run"
    theirs = f"terraform {median_cpu(terraform):7.3f} s CPU ({median_wall(terraform):6.2f} s wall)"
    ratio = median_cpu(terraform) / median_cpu(orchc)
    return f"{label:<34} {mine}   {theirs}   ratio {ratio:5.1f}x"
