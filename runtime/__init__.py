"""The runtime: apply a plan (the Create and Deploy phases) and destroy.

It reads only the plan file and the state store: placeholders that refer to outputs
are resolved here, drivers run along the graph, every result is persisted the moment it
lands, and the target deploys the rendered workloads. Secret values live in the state
store and in memory; everything printed or logged passes through the redactor.
"""
