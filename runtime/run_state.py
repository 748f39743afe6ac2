"""What a run knows so far: the records it started from and every result since.

`RunState` is filled from the state store's records when the run starts and updated on
the executor's calling thread the moment a result is recorded; placeholders are filled
from its `outputs`, the Deploy phase reads its manifests and the target's resolved
inputs. Every secret it learns goes to the run's redactor first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from orchc.compiler.uid import ResourceUid
from orchc.runtime.state.contract import ResourceRecord

from .deferred import reads_environment
from .placeholders import Outputs
from .redact import Redactor


@dataclass
class RunState:
    records: dict[ResourceUid, ResourceRecord]  # as the run started (deletes read them)
    redactor: Redactor
    outputs: Outputs = field(default_factory=Outputs)
    manifests: dict[ResourceUid, tuple[dict[str, Any], ...]] = field(default_factory=dict)
    resolved_inputs: dict[ResourceUid, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def starting_from(cls, records: Iterable[ResourceRecord], redactor: Redactor) -> RunState:
        run = cls({record.resource.uid: record for record in records}, redactor)
        for record in run.records.values():
            run.know(record)
        return run

    def know(self, record: ResourceRecord) -> None:
        """Take in a resource's latest record (read from state, or just stored)."""
        uid = record.resource.uid
        self.redactor.add([record.secrets, record.resolved_secrets])
        resource = record.resource
        variables_of = (
            f"'{resource.definition}' ({resource.source})"
            if reads_environment(resource.driver)
            else None
        )
        self.outputs.put(uid, record.outputs, record.secrets, variables_of)
        self.manifests[uid] = record.manifests
        self.resolved_inputs[uid] = record.resolved_inputs

    def forget(self, uid: ResourceUid) -> None:
        """A deleted resource deploys no manifests; its outputs stay for messages."""
        self.manifests.pop(uid, None)
