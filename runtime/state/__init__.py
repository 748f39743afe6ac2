"""State backends implementing `orchc.compiler.state.StateStore`: SQLite (embedded,
the default) and PostgreSQL (shared, for teams), chosen by URL in `open_state`."""
