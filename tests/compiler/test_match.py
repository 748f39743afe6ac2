"""Table tests for every rule of SPEC §3 (matching), on IR built by hand."""

from __future__ import annotations

import pytest

from orchc.compiler import ir
from orchc.compiler.matching import (
    MatchContext,
    Matcher,
    match_resource,
    no_match_diagnostic,
)
from orchc.compiler.passes.find_ambiguities import find_ambiguities
from orchc.compiler.uid import ResourceUid
from orchc.grammar.diagnostics import Diagnostics, render
from orchc.grammar.source import Span

CONTEXT = MatchContext(app="shop", env="dev", env_type="development")


def block(line: int, **keys: str) -> ir.MatchBlock:
    span = Span("defs.orch", line, 3)
    return ir.MatchBlock(span, tuple(ir.Criterion(span, key, value) for key, value in keys.items()))


def definition(
    name: str, *blocks: ir.MatchBlock, type_: str = "postgres", tier: ir.Tier = ir.Tier.USER
) -> ir.Definition:
    line = blocks[0].span.line - 1 if blocks else 1
    return ir.Definition(
        Span("defs.orch", line, 1), name, type_, "static", matches=blocks, tier=tier
    )


def winner(
    program: ir.Program, uid: str = "postgres.default#db", context: MatchContext = CONTEXT
) -> str | None:
    decision = match_resource(program, ResourceUid.parse(uid), context)
    return decision.winner.definition.id if decision.winner else None


# (description, blocks of definition "a", blocks of definition "b", expected winner)
RANKING = [
    (
        "app+env_type beats env_type",
        [{"env_type": "development"}],
        [{"app": "shop", "env_type": "development"}],
        "b",
    ),
    ("env beats app+env_type", [{"env": "dev"}], [{"app": "shop", "env_type": "development"}], "a"),
    (
        "res_id beats everything",
        [{"res_id": "db"}],
        [{"app": "shop", "env": "dev", "env_type": "development"}],
        "a",
    ),
    ("app beats env_type", [{"env_type": "development"}], [{"app": "shop"}], "b"),
    ("env+app beats env", [{"env": "dev", "app": "shop"}], [{"env": "dev"}], "a"),
    ("env_type beats match {}", [{}], [{"env_type": "development"}], "b"),
    ("res_id+env beats res_id", [{"res_id": "db"}], [{"res_id": "db", "env": "dev"}], "b"),
    (
        "unsatisfied specific loses to satisfied general",
        [{"env_type": "development"}],
        [{"env": "prod"}],
        "a",
    ),
    (
        "the most specific of one definition's blocks counts",
        [{"env_type": "development"}, {"env": "dev"}],
        [{"app": "shop"}],
        "a",
    ),
]


@pytest.mark.parametrize(
    ("description", "a_blocks", "b_blocks", "expected"), RANKING, ids=[r[0] for r in RANKING]
)
def test_ranking(
    description: str, a_blocks: list[dict[str, str]], b_blocks: list[dict[str, str]], expected: str
) -> None:
    a = definition("a", *(block(10 + i, **keys) for i, keys in enumerate(a_blocks)))
    b = definition("b", *(block(20 + i, **keys) for i, keys in enumerate(b_blocks)))
    for program in (ir.Program(definitions=(a, b)), ir.Program(definitions=(b, a))):
        assert winner(program) == expected  # the order of definitions never matters
        fast = Matcher(program, CONTEXT).winner(ResourceUid.parse("postgres.default#db"))
        assert fast is not None and fast[0].id == expected


CLASSES = [
    ("a block without class matches class default", {"env": "dev"}, "postgres.default#db", True),
    (
        "a block without class does not match another class",
        {"env": "dev"},
        "postgres.large#db",
        False,
    ),
    ("match {} matches class default", {}, "postgres.default#db", True),
    ("match {} does not match another class", {}, "postgres.large#db", False),
    ("class = large matches class large", {"class": "large"}, "postgres.large#db", True),
    (
        "class = large does not match class default",
        {"class": "large"},
        "postgres.default#db",
        False,
    ),
    ("class = default matches class default", {"class": "default"}, "postgres.default#db", True),
    ("res_id must equal the id", {"res_id": "other"}, "postgres.default#db", False),
    ("app must equal", {"app": "blog"}, "postgres.default#db", False),
    ("env_type must equal", {"env_type": "production"}, "postgres.default#db", False),
]


@pytest.mark.parametrize(
    ("description", "keys", "uid", "matches"), CLASSES, ids=[c[0] for c in CLASSES]
)
def test_satisfaction(description: str, keys: dict[str, str], uid: str, matches: bool) -> None:
    program = ir.Program(definitions=(definition("a", block(2, **keys)),))
    assert (winner(program, uid) == "a") is matches


def test_other_types_are_not_candidates() -> None:
    program = ir.Program(definitions=(definition("a", block(2), type_="redis"),))
    assert winner(program) is None


def test_definition_without_match_block_is_never_selected() -> None:
    program = ir.Program(definitions=(definition("a"),))
    assert winner(program) is None


def test_user_definition_beats_more_specific_default() -> None:
    default = definition("d", block(2, res_id="db", env="dev"), tier=ir.Tier.DEFAULT)
    user = definition("u", block(10))
    assert winner(ir.Program(definitions=(default, user))) == "u"


def test_default_used_when_no_user_definition_matches() -> None:
    default = definition("d", block(2), tier=ir.Tier.DEFAULT)
    user = definition("u", block(10, env="prod"))
    assert winner(ir.Program(definitions=(default, user))) == "d"


def ambiguities(*definitions: ir.Definition) -> str:
    diagnostics = Diagnostics()
    find_ambiguities(ir.Program(definitions=definitions), diagnostics)
    return render(diagnostics)


def test_same_keys_same_values_is_ambiguous_naming_both_locations() -> None:
    message = ambiguities(
        definition("a", block(3, env_type="development")),
        definition("b", block(9, env_type="development")),
    )
    assert message == (
        "defs.orch:9:3: error: ambiguous match: definition 'b' and definition 'a' both match "
        "type 'postgres' with match { env_type = \"development\" }\n"
        "  the other match block is at defs.orch:3:3"
    )


def test_blocks_in_one_definition_can_be_ambiguous() -> None:
    assert "ambiguous match: definition 'a' and definition 'a'" in ambiguities(
        definition("a", block(3, app="shop"), block(4, app="shop"))
    )


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ({"env_type": "development"}, {"env_type": "staging"}),
        ({"env_type": "development"}, {"env_type": "development", "app": "shop"}),
        ({"class": "large"}, {}),
    ],
)
def test_different_keys_or_values_are_not_ambiguous(
    first: dict[str, str], second: dict[str, str]
) -> None:
    assert (
        ambiguities(definition("a", block(3, **first)), definition("b", block(9, **second))) == ""
    )


def test_class_default_spelled_out_is_the_same_as_omitted() -> None:
    assert "ambiguous" in ambiguities(
        definition("a", block(3)), definition("b", block(9, **{"class": "default"}))
    )


def test_defaults_never_make_a_match_ambiguous() -> None:
    default = definition("d", block(3, env_type="development"), tier=ir.Tier.DEFAULT)
    assert ambiguities(default, definition("u", block(9, env_type="development"))) == ""


def test_other_types_never_ambiguous() -> None:
    assert ambiguities(definition("a", block(3)), definition("b", block(9), type_="redis")) == ""


def test_no_match_names_resource_context_requester_and_each_failure() -> None:
    program = ir.Program(
        definitions=(
            definition("pg-prod", block(3, env="prod")),
            definition("pg-large", block(9, **{"class": "large"})),
            definition("pg-none"),
        )
    )
    decision = match_resource(program, ResourceUid.parse("postgres.default#db"), CONTEXT)
    diagnostic = no_match_diagnostic(
        program, decision, Span("score.yaml", 12, 5), "workload 'checkout'"
    )
    assert render([diagnostic]) == (
        "score.yaml:12:5: error: no definition matches resource 'postgres.default#db' in context "
        "app=shop env=dev env_type=development\n"
        "  requested by workload 'checkout'\n"
        "  definition 'pg-prod' (defs.orch:2): line 3: env is 'dev', not 'prod'\n"
        "  definition 'pg-large' (defs.orch:8): line 9: class is 'default', not 'large'\n"
        "  definition 'pg-none' (defs.orch:1): has no match block"
    )


def test_no_match_without_definitions_of_the_type() -> None:
    program = ir.Program()
    decision = match_resource(program, ResourceUid.parse("mongodb.default#db"), CONTEXT)
    diagnostic = no_match_diagnostic(program, decision, None, "workload 'w'")
    assert "there is no definition of type 'mongodb'" in render([diagnostic])
