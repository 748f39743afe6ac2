"""`orchc state rm`: forget a resource without calling its driver (SPEC §9).

Whatever the driver made stays where it is; the state no longer knows it, so the next
plan creates it again. Forgetting is a change of state like an apply: it holds the
lock, moves the serial (a plan made before it is stale) and is recorded in the
deployment history.
"""

from __future__ import annotations

from orchc.compiler.uid import ResourceUid

from .history import forget_details
from .state.contract import ResourceRecord, RunResult, StateStore, holding_lock


class NotInStateError(Exception):
    """The uid to forget is not in the state; the message names what is."""


def forget(store: StateStore, app: str, env: str, uid: ResourceUid) -> ResourceRecord:
    """Remove `uid` from the state of (app, env) and return what was recorded."""
    with holding_lock(store, app, env, "state rm"):
        record = store.record(app, env, uid)
        if record is None:
            known = ", ".join(str(r.resource.uid) for r in store.records(app, env)) or "none"
            raise NotInStateError(
                f"no resource '{uid}' in the state of {app}/{env} (resources: {known})"
            )
        snapshot = store.snapshot(app, env)
        deployment = store.begin_deployment(
            app, env, f"state rm {uid}", snapshot.lineage, snapshot.serial, forget_details()
        )
        store.remove(app, env, uid)
        store.finish_deployment(deployment, RunResult.OK, ())
        return record
