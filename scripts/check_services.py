#!/usr/bin/env python3
"""Say clearly whether the services the test suite talks to answer: PostgreSQL,
MariaDB and Redis on 127.0.0.1, and the terraform binary. Exit 1 naming each missing
one (CI runs this before the tests so a dead service is not mistaken for a bug)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys

SERVICES = {"PostgreSQL": 5432, "MariaDB": 3306, "Redis": 6379}


def answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3):
            return True
    except OSError:
        return False


def main() -> int:
    missing = [
        f"{name} on 127.0.0.1:{port}" for name, port in SERVICES.items() if not answers(port)
    ]
    terraform = shutil.which("terraform")
    if terraform is None:
        missing.append("terraform (not on PATH)")
    else:
        version = subprocess.run(
            [terraform, "version"], capture_output=True, text=True, check=False
        )
        print(f"services: {version.stdout.splitlines()[0] if version.stdout else 'terraform ?'}")
    if missing:
        for item in missing:
            print(f"services: NOT AVAILABLE: {item}", file=sys.stderr)
        print(
            "services: the tests need these; start them before running the suite", file=sys.stderr
        )
        return 1
    print(
        "services: " + ", ".join(f"{name} :{port}" for name, port in SERVICES.items()) + " answer"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
