"""Renderers: pure functions from a plan (or a match decision) to text for people —
the terminal (text), pull-request comments (markdown), graphs (dot, mermaid)."""
