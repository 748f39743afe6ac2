"""orchc: a platform orchestrator.

Score workloads plus orch resource definitions compile (`orchc.compiler`) into a
deterministic, reviewable plan; the runtime (`orchc.runtime`) applies it through the
drivers (`orchc.drivers`). This package is the thin public face: the CLI and the
project configuration.
"""

__version__ = "0.1.0"
