"""A helper process for the state-store tests: `state_child.py URL ROOT MODE [ARGS]`.

Modes (each prints one JSON line per event and then waits for stdin to close, so the
test decides when it exits):
- `hold OPERATION`: take the lock and report the holder.
- `race`: wait for a line on stdin, try the lock, report `won` or `locked`.
- `put-then-die COUNT`: store COUNT records, report, then SIGKILL itself.
- `hold-running PID_FILE`: take the lock, report the holder, then run (as a driver does)
  a program that ignores SIGTERM and writes its pid to PID_FILE: it outlives this
  process when it is killed.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
import threading
from pathlib import Path

from orchc.compiler.state import StateResource
from orchc.compiler.uid import ResourceUid
from orchc.drivers._process import run_process
from orchc.runtime.state import open_state
from orchc.runtime.state.contract import LockedError, ResourceRecord


def main(url: str, root: str, mode: str, *args: str) -> None:
    store = open_state(url, Path(root))
    if mode == "hold":
        holder = dataclasses.asdict(store.acquire_lock("shop", "dev", args[0]))
        report({key: value for key, value in holder.items() if key != "orphans"})
    elif mode == "race":
        sys.stdin.readline()
        try:
            store.acquire_lock("shop", "dev", "apply")
            report({"result": "won"})
        except LockedError:
            report({"result": "locked"})
    elif mode == "hold-running":
        holder = dataclasses.asdict(store.acquire_lock("shop", "dev", "apply"))
        report({key: value for key, value in holder.items() if key != "orphans"})
        script = f"trap '' TERM; echo $$ > {args[0]}; exec sleep 300"
        threading.Thread(
            target=run_process, args=(["sh", "-c", script],), kwargs={"cwd": None}
        ).start()
    elif mode == "put-then-die":
        for index in range(int(args[0])):
            store.put("shop", "dev", sample(index))
        report({"stored": int(args[0])})
        os.kill(os.getpid(), signal.SIGKILL)
    sys.stdin.read()
    store.close()


def sample(index: int) -> ResourceRecord:
    resource = StateResource(
        uid=ResourceUid("redis", "default", f"cache{index}"),
        definition="redis-dev",
        driver="redis",
        source="platform/redis.orch:1",
        inputs={"index": index},
        inputs_digest=f"sha256:{index}",
    )
    return ResourceRecord(resource, outputs={"n": index}, secrets={"password": f"pw{index}"})


def report(value: object) -> None:
    print(json.dumps(value), flush=True)


if __name__ == "__main__":
    main(*sys.argv[1:])
