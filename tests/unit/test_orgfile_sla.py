from datetime import timedelta

import pytest
from pydantic import ValidationError

from bot.config.orgfile import (
    EXAMPLE_ORGANISATION_PATH,
    SlaPolicy,
    SlaRule,
    SlaTargets,
    load_organisation,
)

H = timedelta(hours=1)
M = timedelta(minutes=1)


def policy(*rules: dict, **defaults: str) -> SlaPolicy:
    return SlaPolicy.model_validate({**defaults, "rules": list(rules)})


def test_defaults_are_the_manuals_24h_48h() -> None:
    assert SlaPolicy().targets_for("complaint") == SlaTargets(24 * H, 48 * H, None)


def test_no_matching_rule_uses_defaults() -> None:
    sla = policy({"kind": "repair", "first_response": "4h"}, first_response="12h", update="6h")
    assert sla.targets_for("inquiry", "water") == SlaTargets(12 * H, 48 * H, 6 * H)


def test_more_matched_fields_win_regardless_of_order() -> None:
    sla = policy(
        {"kind": "repair", "category": ["water", "gas"], "urgent": True, "first_response": "30m"},
        {"kind": "repair", "urgent": True, "first_response": "1h"},
        {"kind": "repair", "first_response": "4h"},
        {"first_response": "8h"},  # catch-all, specificity 0
    )
    assert sla.targets_for("repair", "water", urgent=True).first_response == 30 * M
    assert sla.targets_for("repair", "lift", urgent=True).first_response == H
    assert sla.targets_for("repair", "water", urgent=False).first_response == 4 * H
    assert sla.targets_for("complaint", "water").first_response == 8 * H
    # Reversed order: same answers.
    reversed_sla = SlaPolicy(rules=list(reversed(sla.rules)))
    for args in [("repair", "water", True), ("repair", "lift", True), ("repair", "water", False)]:
        assert reversed_sla.targets_for(*args) == sla.targets_for(*args)


def test_tie_goes_to_first_listed_rule() -> None:
    sla = policy(
        {"kind": "repair", "urgent": True, "first_response": "1h"},
        {"kind": "repair", "segment": "commercial", "first_response": "2h"},
    )
    assert sla.targets_for("repair", urgent=True, segment="commercial").first_response == H
    swapped = SlaPolicy(rules=list(reversed(sla.rules)))
    assert swapped.targets_for("repair", urgent=True, segment="commercial").first_response == 2 * H


def test_each_target_comes_from_the_most_specific_rule_that_sets_it() -> None:
    sla = policy(
        {"kind": "repair", "first_response": "4h", "resolution": "72h", "update": "8h"},
        {"kind": "repair", "segment": "vip", "first_response": "1h"},
    )
    assert sla.targets_for("repair", segment="vip") == SlaTargets(H, 72 * H, 8 * H)
    assert sla.targets_for("repair", segment="owner") == SlaTargets(4 * H, 72 * H, 8 * H)


def test_category_and_segment_rules_need_the_ticket_to_have_them() -> None:
    sla = policy(
        {"category": "water", "first_response": "2h"},  # single key is accepted
        {"segment": "tenant", "resolution": "24h"},
    )
    assert sla.rules[0].category == ["water"]
    assert sla.targets_for("repair") == SlaTargets(24 * H, 48 * H, None)
    assert sla.targets_for("repair", "water", segment="tenant") == SlaTargets(2 * H, 24 * H, None)


def test_urgent_false_rule_matches_only_non_urgent_tickets() -> None:
    sla = policy({"urgent": False, "first_response": "12h"})
    assert sla.targets_for("repair", urgent=False).first_response == 12 * H
    assert sla.targets_for("repair", urgent=True).first_response == 24 * H


def test_matching_rules_are_ordered_by_specificity() -> None:
    sla = policy(
        {"kind": "repair", "first_response": "4h"},
        {"kind": "repair", "category": "water", "urgent": True, "first_response": "30m"},
        {"kind": "repair", "urgent": True, "first_response": "1h"},
    )
    matching = sla.matching_rules("repair", "water", urgent=True)
    assert [rule.specificity for rule in matching] == [3, 2, 1]


def test_unknown_kind_or_segment_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="unknown ticket kind"):
        SlaPolicy().targets_for("praise")
    with pytest.raises(ValueError, match="unknown segment"):
        SlaPolicy().targets_for("repair", segment="gold")


def test_rule_must_set_a_target_and_be_consistent() -> None:
    with pytest.raises(ValidationError, match="rule sets no target"):
        SlaRule(kind="repair")
    with pytest.raises(ValidationError, match="first_response is longer than resolution"):
        SlaRule.model_validate({"first_response": "5h", "resolution": "4h"})
    with pytest.raises(ValidationError, match="longer than default resolution"):
        SlaPolicy.model_validate({"first_response": "3d", "resolution": "2d"})


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # urgent water/gas/power/lift repairs
        (("repair", "water", True, None), SlaTargets(30 * M, 4 * H, H)),
        (("repair", "lift", True, "commercial"), SlaTargets(30 * M, 4 * H, H)),
        # other urgent repairs
        (("repair", "access", True, None), SlaTargets(H, 24 * H, 2 * H)),
        # commercial repairs: update comes from the less specific repair rule
        (("repair", "facilities", False, "commercial"), SlaTargets(2 * H, 48 * H, 8 * H)),
        # ordinary repairs
        (("repair", "water", False, "owner"), SlaTargets(4 * H, 72 * H, 8 * H)),
        # complaints: the manual's defaults
        (("complaint", "noise", False, None), SlaTargets(24 * H, 48 * H, 24 * H)),
        (("complaint", "water", True, None), SlaTargets(24 * H, 48 * H, 24 * H)),
        # suggestions and inquiries
        (("suggestion", "cleaning", False, None), SlaTargets(24 * H, 120 * H, 24 * H)),
        (("inquiry", "fees", False, "tenant"), SlaTargets(24 * H, 120 * H, 24 * H)),
    ],
)
def test_example_file_sla(args: tuple, expected: SlaTargets) -> None:
    org = load_organisation(EXAMPLE_ORGANISATION_PATH)
    kind, category, urgent, segment = args
    assert org.sla.targets_for(kind, category, urgent=urgent, segment=segment) == expected
