"""The orch language front end: source text -> syntax tree, plus the diagnostics kit.

This is the bottom layer of orchc: it imports nothing from the rest of the project.
Every syntax node carries a `Span`; every problem found is a `Diagnostic`, collected
and rendered by one function, never raised one at a time.
"""
