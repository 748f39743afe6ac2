"""The compiler: orch definitions + Score files -> a matched resource graph -> a plan.

The stages, each a facade over small pure passes listed in order in `pipeline.py`:
read (parse .orch files and Score files), build IR (syntax tree -> typed IR), match
(one definition per resource, SPEC §3), expand (references and co-provisioning to a
fixed point, SPEC §4), build the graph, and plan (actions against a state snapshot,
SPEC §5). Nothing here performs I/O beyond reading the input files and the state
snapshot; nothing here ever sees a secret value.
"""
