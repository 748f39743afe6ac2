"""Matching: choose the one definition for a resource in a context (SPEC §3).

Used by the `expand` pass (the `Matcher`, fast, winner only) and by `orchc explain`
(`match_resource`, every candidate and why it failed).

>>> from orchc.grammar.source import Span
>>> from orchc.compiler import ir
>>> s = Span("d.orch", 1, 1)
>>> def block(**keys):
...     return ir.MatchBlock(s, tuple(ir.Criterion(s, k, v) for k, v in keys.items()))
>>> dev = (block(env_type="development"),)
>>> general = ir.Definition(s, "pg-any", "postgres", "static", matches=dev)
>>> special = ir.Definition(s, "pg-shop", "postgres", "static", matches=(block(app="shop"),))
>>> program = ir.Program(definitions=(general, special))
>>> context = MatchContext(app="shop", env="dev", env_type="development")
>>> decision = match_resource(program, ResourceUid("postgres", "default", "db"), context)
>>> decision.winner.definition.id
'pg-shop'
"""

from __future__ import annotations

from dataclasses import dataclass

from orchc.grammar.diagnostics import Diagnostic
from orchc.grammar.source import Span

from . import ir
from .uid import DEFAULT_CLASS, ResourceUid

RANKED_KEYS = ("res_id", "env", "app", "env_type")  # most specific first (SPEC §3.2)


@dataclass(frozen=True, slots=True)
class MatchContext:
    app: str
    env: str
    env_type: str

    def describe(self) -> str:
        return f"app={self.app} env={self.env} env_type={self.env_type}"


@dataclass(frozen=True, slots=True)
class KeyCheck:
    """One key of a match block against the resource and context."""

    key: str
    expected: str
    actual: str

    @property
    def passed(self) -> bool:
        return self.expected == self.actual


@dataclass(frozen=True, slots=True)
class Candidate:
    definition: ir.Definition
    block: ir.MatchBlock
    checks: tuple[KeyCheck, ...]

    @property
    def satisfied(self) -> bool:
        return all(check.passed for check in self.checks)

    @property
    def rank(self) -> tuple[bool, bool, bool, bool]:
        """Which ranked keys the block sets, most significant first: res_id > env > app
        > env_type. Tuples of booleans compare lexicographically, as SPEC §3.2 asks."""
        return block_rank(self.block)

    @property
    def first_failure(self) -> KeyCheck | None:
        return next((check for check in self.checks if not check.passed), None)


@dataclass(frozen=True, slots=True)
class MatchDecision:
    uid: ResourceUid
    context: MatchContext
    candidates: tuple[Candidate, ...]
    winner: Candidate | None


def block_rank(block: ir.MatchBlock) -> tuple[bool, bool, bool, bool]:
    keys = {criterion.key for criterion in block.criteria}
    return tuple(key in keys for key in RANKED_KEYS)  # type: ignore[return-value]


def _context_values(uid: ResourceUid, context: MatchContext) -> dict[str, str]:
    return {
        "app": context.app,
        "env": context.env,
        "env_type": context.env_type,
        "res_id": uid.id,
        "class": uid.class_,
    }


def _checks(block: ir.MatchBlock, actual: dict[str, str]) -> tuple[KeyCheck, ...]:
    checks = [KeyCheck(c.key, c.value, actual[c.key]) for c in block.criteria]
    if block.get("class") is None:
        # A block without `class` only matches class `default` (SPEC §3.1).
        checks.append(KeyCheck("class", DEFAULT_CLASS, actual["class"]))
    return tuple(checks)


def candidates(
    program: ir.Program, uid: ResourceUid, context: MatchContext
) -> tuple[Candidate, ...]:
    """Every match block of every definition of the resource's type, in program order."""
    actual = _context_values(uid, context)
    return tuple(
        Candidate(definition, block, _checks(block, actual))
        for definition in program.definitions_of(uid.type)
        for block in definition.matches
    )


def match_resource(program: ir.Program, uid: ResourceUid, context: MatchContext) -> MatchDecision:
    """The most specific satisfied block of the highest tier that has one."""
    found = candidates(program, uid, context)
    satisfied = [c for c in found if c.satisfied]
    winner = max(satisfied, key=lambda c: (c.definition.tier, c.rank), default=None)
    return MatchDecision(uid, context, found, winner)


class Matcher:
    """`match_resource` for many resources in one context, fast: blocks are compiled
    once into (key, value) pairs, sorted best first, and a decision that cannot depend on
    the resource id (no block of the type sets `res_id`) is shared by every resource of
    that type and class. Only the winner is computed; `match_resource` explains."""

    def __init__(self, program: ir.Program, context: MatchContext) -> None:
        self._program = program
        self._context = context
        self._compiled: dict[str, list[tuple[tuple[tuple[str, str], ...], Candidate]]] = {}
        self._memo: dict[
            tuple[str, str, str | None], tuple[ir.Definition, ir.MatchBlock] | None
        ] = {}
        self._by_id: dict[str, bool] = {}  # type -> whether some block matches res_id

    def _blocks(self, resource_type: str) -> list[tuple[tuple[tuple[str, str], ...], Candidate]]:
        compiled = self._compiled.get(resource_type)
        if compiled is None:
            compiled = []
            for definition in self._program.definitions_of(resource_type):
                for block in definition.matches:
                    pairs = tuple(criteria_key(block))
                    compiled.append((pairs, Candidate(definition, block, ())))
            compiled.sort(key=lambda item: (item[1].definition.tier, item[1].rank), reverse=True)
            self._compiled[resource_type] = compiled
        return compiled

    def winner(self, uid: ResourceUid) -> tuple[ir.Definition, ir.MatchBlock] | None:
        blocks = self._blocks(uid.type)
        by_id = self._by_id.get(uid.type)
        if by_id is None:
            by_id = self._by_id[uid.type] = any("res_id" in dict(p) for p, _ in blocks)
        key = (uid.type, uid.class_, uid.id if by_id else None)
        if key not in self._memo:
            actual = _context_values(uid, self._context)
            self._memo[key] = next(
                (
                    (candidate.definition, candidate.block)
                    for pairs, candidate in blocks
                    if all(actual[k] == v for k, v in pairs)
                ),
                None,
            )
        return self._memo[key]


def criteria_key(block: ir.MatchBlock) -> tuple[tuple[str, str], ...]:
    """The block's criteria as sorted (key, value) pairs, `class` defaulted."""
    values = block.as_dict()
    values.setdefault("class", DEFAULT_CLASS)
    return tuple(sorted(values.items()))


def describe_criteria(block: ir.MatchBlock) -> str:
    if not block.criteria:
        return "match {}"
    inner = ", ".join(f'{c.key} = "{c.value}"' for c in block.criteria)
    return f"match {{ {inner} }}"


def no_match_diagnostic(
    program: ir.Program, decision: MatchDecision, requested_at: Span | None, requested_by: str
) -> Diagnostic:
    """SPEC §3.4: the resource, the context, who asked for it, and why each definition
    of its type failed."""
    uid, context = decision.uid, decision.context
    message = f"no definition matches resource '{uid}' in context {context.describe()}"
    notes = [f"requested by {requested_by}"]
    by_definition: dict[str, list[Candidate]] = {}
    for candidate in decision.candidates:
        by_definition.setdefault(candidate.definition.id, []).append(candidate)
    if not by_definition:
        known = sorted({d.type for d in program.definitions} - {"target"})
        notes.append(
            f"there is no definition of type '{uid.type}': add one (`match {{}}` selects it "
            f"everywhere); types with a definition: {', '.join(known) or 'none'}"
        )
    for definition_id, blocks in by_definition.items():
        definition = blocks[0].definition
        reasons = "; ".join(_failure_reason(c) for c in blocks)
        notes.append(f"definition '{definition_id}' ({definition.span.location}): {reasons}")
    for definition in program.definitions_of(uid.type):
        if definition.matches:
            continue
        notes.append(
            f"definition '{definition.id}' ({definition.span.location}): has no match block"
        )
    return Diagnostic.error(requested_at, message, *notes)


def _failure_reason(candidate: Candidate) -> str:
    failure = candidate.first_failure
    where = f"line {candidate.block.span.line}"
    if failure is None:
        return f"{where} matches"
    return f"{where}: {failure.key} is '{failure.actual}', not '{failure.expected}'"
