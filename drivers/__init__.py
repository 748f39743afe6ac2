"""Drivers: the code that provisions a resource, and the targets that deploy workloads.

Each driver is one module and depends only on `protocol.py` (plus its own client
library). Built-in drivers are registered through the `orchc.drivers` entry-point group
exactly like third-party plugins; `registry.py` is the only place that looks them up.
Everything that crosses the driver boundary is a strict pydantic model.
"""
