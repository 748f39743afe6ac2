"""The definitions that ship with orchc: one `<type>.orch` file per resource type.

They are read by `compiler.pipeline.read_defaults` (top-level `*.orch` files only) as
the lowest tier: a default is considered only when no user definition matches, and it
never makes a match ambiguous (SPEC §3.5). Every default is a catch-all (`match {}`)
named `default-<type>`, self-contained (templates inline, no `file()`), so
`orchc defaults TYPE > platform/TYPE.orch` is a complete starting point for an
override. The datastore defaults branch on the target's `kind` output ("compose" or
"kubernetes"); `docs/defaults.md` describes what each type gets.
"""
