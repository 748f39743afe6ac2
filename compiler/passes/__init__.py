"""The compiler passes, one verb per module, in pipeline order:

read_definitions -> resolve (syntax tree to IR; resolve_checks, resolve_values) ->
check_definitions -> match (find_ambiguities; the Matcher) -> expand (evaluate,
score_params) -> build_graph -> plan_actions -> assemble_plan.

Each pass is a function over immutable inputs that reports problems to a `Diagnostics`
collector; `compiler/pipeline.py` calls them in this order.
"""
