#!/usr/bin/env python3
"""A `cmd` driver program that provisions the way many cloud APIs do, with a race: it
looks whether the resource exists, and if not creates it, which takes a while
(`creation_seconds`) and is not atomic with the look. Two copies running at once for
the same uid both create it: a double creation. Sequential runs never do.

Inputs: `book` (a JSON-lines file: one line per real creation, `{"uid", "pid"}`),
`running` (a directory: the program touches `<uid>.<pid>` there when it starts, so a
test knows its driver programs are running), `creation_seconds`, `ignore_sigterm`
(survive the SIGTERM sent when orchc dies, and finish the creation: an orphan)."""

from __future__ import annotations

import fcntl
import json
import os
import signal
import sys
import time
from pathlib import Path


def created(book: Path, uid: str) -> bool:
    with locked(book):
        lines = book.read_text().splitlines() if book.exists() else []
    return any(json.loads(line)["uid"] == uid for line in lines)


def record_creation(book: Path, uid: str) -> None:
    with locked(book), book.open("a") as file:
        file.write(json.dumps({"uid": uid, "pid": os.getpid()}) + "\n")


class locked:
    def __init__(self, book: Path) -> None:
        self.file = open(book.with_suffix(".lock"), "a")  # noqa: SIM115

    def __enter__(self) -> None:
        fcntl.flock(self.file, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        self.file.close()


def main() -> None:
    request = json.load(sys.stdin)
    inputs, uid = request["inputs"], request["uid"]
    if inputs.get("ignore_sigterm"):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    book = Path(inputs["book"])
    (Path(inputs["running"]) / f"{uid}.{os.getpid()}").touch()
    if request["action"] == "create" and not created(book, uid):
        time.sleep(float(inputs["creation_seconds"]))
        record_creation(book, uid)
    json.dump({"outputs": {"value": inputs.get("value")}}, sys.stdout)


if __name__ == "__main__":
    main()
