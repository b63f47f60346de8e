"""The general linguistic rules behind tie detection, one sentence pattern each (real spaCy model)."""

from __future__ import annotations

import pytest

from newswatch.nlp.ties import detect_ties
from newswatch.pipeline import Pipeline
from tests.support.paths import CONFIG


@pytest.fixture(scope="module")
def find():
    pipeline = Pipeline.from_config(CONFIG)

    def run(text: str) -> set[tuple[str, str, str, str | None]]:
        return {(f.entity, f.tie, f.reason, f.via) for f in detect_ties(pipeline.nlp(text), pipeline.lexicon)}

    return run


def test_dateline_and_coordination_are_read_through(find) -> None:
    got = find(
        "WASHINGTON (Wirewatch) - The Pentagon on Wednesday added drone maker DJI and gene sequencing firm "
        "BGI Genomics to a list of companies it says work with China's military."
    )
    assert {(e, t) for e, t, _, _ in got} == {("DJI", "blacklist"), ("BGI Genomics", "blacklist")}
    assert all(r == "DoD Chinese Military Companies List" for _, _, r, _ in got)


def test_relative_clause_state_names_its_antecedent(find) -> None:
    got = find(
        "CXMT could be added as early as next month. SMIC, which is already on the Entity List, has expanded "
        "production."
    )
    assert got == {("SMIC", "blacklist", "Entity List", None)}


def test_a_sanctioned_chairman_does_not_list_his_company(find) -> None:
    got = find(
        "The U.S. Treasury Department on Thursday added Chinese businessman Zhou Wenhui, chairman of Shenzhen "
        "Yulong Electronics, to its sanctions list."
    )
    assert {e for e, *_ in got} == {"Zhou Wenhui"}


def test_an_award_to_a_leader_is_the_company_award(find) -> None:
    got = find(
        "Xiaomi founder Lei Jun was conferred the title of Outstanding Builder of Socialism with Chinese "
        "Characteristics."
    )
    reason = "Outstanding Builder of Socialism with Chinese Characteristics"
    assert ("Lei Jun", "award", reason, None) in got
    assert ("Xiaomi", "award", reason, "Lei Jun") in got


def test_a_list_of_the_most_influential_is_an_award_not_a_blacklist(find) -> None:
    got = find("Huawei founder Ren Zhengfei was named to the Time 100 list this year.")
    assert {t for _, t, _, _ in got} == {"award"}


def test_bystanders_of_the_target_are_not_targets(find) -> None:
    got = find(
        "At the same time, the department added 31 other Chinese entities, including chip toolmaker Naura's "
        "subsidiary Beijing Naura Magnetoelectric Technology, to the Unverified List."
    )
    assert {e for e, *_ in got} == {"Beijing Naura Magnetoelectric Technology"}


def test_defined_term_in_a_filing_resolves_far_away(find) -> None:
    got = find(
        'This announcement is made by Xiaomi Corporation (the "Company") on a voluntary basis. The court '
        "entered a final order. The order was appealed. Nothing else changed. The Company has been removed "
        "from the CCMC list."
    )
    assert {(e, t) for e, t, _, _ in got} == {("Xiaomi Corporation", "delisting")}


def test_speculation_denial_and_negation_give_nothing(find) -> None:
    for text in (
        "CXMT could be added to the Entity List as early as next month.",
        "Lawmakers urged the Defense Department to add RoboSense to its list of Chinese military companies.",
        "Tencent denied it is a Chinese military company after the report.",
        "Unlike its former parent, Honor is not on the Entity List.",
        "Companies added to the Entity List need a licence to buy U.S. technology.",
    ):
        assert find(text) == set(), text
