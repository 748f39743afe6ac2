"""The compiler passes, one verb per module, each named for the function it defines,
in pipeline order:

read_definitions -> build_ir (syntax tree to IR) -> check_definitions ->
find_ambiguities -> expand (matching, references, co-provisioning) -> build_graph ->
assemble_plan.

Each pass is a function over immutable inputs that reports problems to a `Diagnostics`
collector; `compiler/pipeline.py` calls them in this order. What the passes share but
is not a pass lives beside this folder, named for what it holds: `syntax_checks.py` and
`value_reader.py` (used by build_ir), `matching.py` (SPEC §3), `evaluate.py` and
`score_params.py` (values in their plan form), `plan_actions.py` (SPEC §5 actions).
"""
