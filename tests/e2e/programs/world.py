#!/usr/bin/env python3
"""A `cmd` driver program that provisions into a JSON "world" file, like a real
provider would into a cloud: create is an idempotent upsert keyed by uid, delete
removes, and every real creation is counted so tests can prove nothing was provisioned
twice. Inputs: `world` (path), `sleep` (seconds), `wait_for` (a path: wait until it
exists, failing after RELEASE_TIMEOUT seconds, so a test can hold a run inside its driver
call without depending on timing), `fail_if` (a path: fail while it exists), `value` (echoed
as an output), `leak_secrets` (fail, printing the request's secrets on stderr: the driver
must scrub them)."""

from __future__ import annotations

import fcntl
import json
import os
import sys
import time
from pathlib import Path

RELEASE_TIMEOUT = 300.0  # a hang guard only: tests create the release file themselves


def update_world(path: Path, change) -> dict:  # type: ignore[no-untyped-def]
    with open(path.with_suffix(".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        world = json.loads(path.read_text()) if path.exists() else {"present": {}, "creations": {}}
        change(world)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(json.dumps(world, sort_keys=True))
        os.replace(temporary, path)
        return world


def wait_for_release(path: Path) -> None:
    deadline = time.monotonic() + RELEASE_TIMEOUT
    while not path.exists():
        if time.monotonic() > deadline:
            sys.stderr.write(f"{path} was never created\n")
            sys.exit(5)
        time.sleep(0.05)


def main() -> None:
    request = json.load(sys.stdin)
    inputs = request["inputs"]
    uid = request["uid"]
    time.sleep(float(inputs.get("sleep", 0)))
    if inputs.get("wait_for"):
        wait_for_release(Path(inputs["wait_for"]))
    if inputs.get("leak_secrets"):
        sys.stderr.write(f"cannot log in with {json.dumps(request['secrets'])}\n")
        sys.exit(4)
    if inputs.get("fail_if") and Path(inputs["fail_if"]).exists():
        sys.stderr.write(f"quota exceeded while provisioning {uid}\n")
        sys.exit(3)
    world_path = Path(inputs["world"])

    def create(world: dict) -> None:  # type: ignore[type-arg]
        if uid not in world["present"]:
            world["creations"][uid] = world["creations"].get(uid, 0) + 1
        world["present"][uid] = inputs.get("value")

    def delete(world: dict) -> None:  # type: ignore[type-arg]
        world["present"].pop(uid, None)

    update_world(world_path, create if request["action"] == "create" else delete)
    if request["action"] == "create":
        json.dump(
            {"outputs": {"value": inputs.get("value"), "uid": uid}, "state": {"made": True}},
            sys.stdout,
        )


if __name__ == "__main__":
    main()
