"""A helper process for the state-store tests: `state_child.py URL ROOT MODE [ARGS]`.

Modes (each prints one JSON line per event and then waits for stdin to close, so the
test decides when it exits):
- `hold OPERATION`: take the lock and report the holder.
- `race`: wait for a line on stdin, try the lock, report `won` or `locked`.
- `put-then-die COUNT`: store COUNT records, report, then SIGKILL itself.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import sys
from pathlib import Path

from orchc.compiler.state import StateResource
from orchc.compiler.uid import ResourceUid
from orchc.runtime.state import open_state
from orchc.runtime.state.contract import LockedError, ResourceRecord


def main(url: str, root: str, mode: str, *args: str) -> None:
    store = open_state(url, Path(root))
    if mode == "hold":
        report(dataclasses.asdict(store.acquire_lock("shop", "dev", args[0])))
    elif mode == "race":
        sys.stdin.readline()
        try:
            store.acquire_lock("shop", "dev", "apply")
            report({"result": "won"})
        except LockedError:
            report({"result": "locked"})
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
