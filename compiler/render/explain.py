"""`orchc explain`: a match decision as text — every candidate block with pass/fail per
key, its rank, and the winner (SPEC §3)."""

from __future__ import annotations

from ..matching import RANKED_KEYS, Candidate, MatchDecision, describe_criteria


def _rank_text(candidate: Candidate) -> str:
    keys = [key for key, present in zip(RANKED_KEYS, candidate.rank, strict=True) if present]
    return "{" + ", ".join(keys) + "}"


def render_explain(decision: MatchDecision) -> str:
    lines = [f"resource {decision.uid}", f"context  {decision.context.describe()}", ""]
    if not decision.candidates:
        lines.append(f"no definition of type '{decision.uid.type}' has a match block")
    for candidate in decision.candidates:
        definition = candidate.definition
        verdict = "satisfied" if candidate.satisfied else "not satisfied"
        tier = "default" if definition.tier.name == "DEFAULT" else "user"
        lines.append(
            f"{definition.id} ({tier}) {candidate.block.span.location}: "
            f"{describe_criteria(candidate.block)} -> {verdict}, rank {_rank_text(candidate)}"
        )
        for check in candidate.checks:
            mark = "pass" if check.passed else "FAIL"
            lines.append(
                f"    {mark}  {check.key} = '{check.expected}' (resource: '{check.actual}')"
            )
    lines.append("")
    if decision.winner is None:
        lines.append("winner: none — no block is satisfied")
    else:
        winner = decision.winner
        lines.append(
            f"winner: {winner.definition.id} ({winner.block.span.location}), "
            f"driver {winner.definition.driver}"
        )
    return "\n".join(lines) + "\n"
