"""The cheap score bound the matcher prunes with is never below the real alignment score, and a
candidate it drops could not have matched: the matches are the same with and without it."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswatch.watchlists import Watchlist
from newswatch.watchlists.matcher import NameIndex
from newswatch.watchlists.names import align, analyse_alias, analyse_query, score_bound
from newswatch.watchlists.normalize import normalize_name
from tests.support.look_alikes import QUERIES, look_alike_entities

# tokens in groups of spellings the alignment pairs: literal and fuzzy neighbours, phonetic twins,
# initials, runs that merge ("jong un"/"jongun"), acronym letters ("pmc" of "private military
# corps"), and tokens that weigh differently: particles, stopwords, honorifics, generic
# organisation words, a country
GROUPS = [
    ["jong", "jongun", "un", "j"],
    ["kim", "kimm", "k"],
    ["yevgeny", "yevgeniy", "evgeny", "y"],
    ["laden", "ladin", "ladeen"],
    ["usama", "osama", "oussama"],
    ["volkov", "volkovsky", "volkovski", "v"],
    ["rashidi", "rashid", "rasheed"],
    ["qassem", "qasem", "kassem"],
    ["mohammed", "muhamad", "mukhammad"],  # phonetic twins of a low fuzzy ratio
    ["sechin", "sechim", "sechinn"],  # fuzzy neighbours with other phonetic keys
    ["pmc", "private", "military", "corps", "p", "m"],
    ["bin", "al", "de", "the", "of"],
    ["dr", "sheikh", "bank", "group", "trading", "iran"],
]
TOKENS = [t for g in GROUPS for t in g]


@st.composite
def pair(draw: st.DrawFn) -> tuple[list[str], list[str]]:
    """A query and an alias made of spellings of the same names (each query token swapped for
    another of its group or kept, the order shuffled, tokens added or left out)."""
    groups = draw(st.lists(st.sampled_from(GROUPS), min_size=1, max_size=4))
    query = [draw(st.sampled_from(g)) for g in groups]
    alias = [draw(st.sampled_from(g)) for g in groups if draw(st.booleans()) or len(groups) == 1]
    alias += draw(st.lists(st.sampled_from(TOKENS), max_size=2))
    return query, draw(st.permutations(alias)) if alias else [draw(st.sampled_from(TOKENS))]


@settings(max_examples=600, deadline=None)
@given(
    names=pair(),
    comma=st.integers(min_value=0, max_value=4),
    caps=st.booleans(),
    kind=st.sampled_from(["person", "company"]),
    qkind=st.sampled_from(["person", "company"]),
    floor=st.sampled_from([0.5, 0.7, 0.85, 0.95]),
)
@example(
    names=(["mohammed", "sechin"], ["sechim", "muhamad"]),
    comma=1,
    caps=False,
    kind="person",
    qkind="person",
    floor=0.85,
)
@example(names=(["usama", "laden"], ["ladin", "osama"]), comma=1, caps=False, kind="person", qkind="person", floor=0.85)
@example(
    names=(["kim", "jongun"], ["kim", "jong", "un"]), comma=1, caps=False, kind="person", qkind="person", floor=0.85
)
@example(
    names=(["kim", "jong", "un"], ["kim", "jongun"]), comma=1, caps=False, kind="person", qkind="person", floor=0.85
)
@example(
    names=(["pmc"], ["private", "military", "corps"]), comma=0, caps=False, kind="company", qkind="company", floor=0.85
)
@example(
    names=(["y", "volkovsky"], ["volkovsky", "yevgeny"]), comma=1, caps=False, kind="person", qkind="person", floor=0.85
)
@example(
    names=(["group", "jong"], ["jong", "group"]), comma=1, caps=False, kind="person", qkind="person", floor=0.5
)  # "JONG, Group": the key is "jong", the parts keep "group"
def test_the_bound_is_never_below_the_alignment_score(
    names: tuple[list[str], list[str]], comma: int, caps: bool, kind: str, qkind: str, floor: float
) -> None:
    query, alias = names
    # the alias as lists write it: "LAST, First Middle", or an ALL-CAPS surname in a mixed-case name
    if kind == "person" and 0 < comma < len(alias):
        written = " ".join(alias[:comma]).upper() + ", " + " ".join(w.capitalize() for w in alias[comma:])
    elif caps and len(alias) > 1:
        written = " ".join([alias[0].upper(), *(w.capitalize() for w in alias[1:])])
    else:
        written = " ".join(alias)
    parts = analyse_alias(written, kind)
    key = normalize_name(" ".join(query))
    akey = normalize_name(written)
    if not key or not parts:
        return
    q = analyse_query(key, qkind)
    score = align(q, parts).score
    bound = score_bound(q, akey)
    assert bound >= score - 1e-9
    # with a floor it may stop early: still an upper bound, and below the floor when it stops
    early = score_bound(q, akey, floor)
    assert early >= score - 1e-9
    assert early == bound or bound <= early < floor


def test_a_name_sharing_one_word_of_two_cannot_reach_the_threshold() -> None:
    q = analyse_query("kalomir veltorin", "company")
    assert score_bound(q, "kalomir zendaro") < 0.85
    assert score_bound(q, "kalomir veltorin trading") == 1.0
    assert score_bound(q, "veltorin kalomyr") == 1.0  # a fuzzy partner counts as a possible pair


def test_pruning_by_the_bound_changes_no_match() -> None:
    wl = Watchlist(look_alike_entities())
    idx: NameIndex = wl.index
    for name, label in QUERIES:
        key = normalize_name(name)
        pruned = set(idx.candidates(key, floor=idx.threshold, label=label))
        every = set(idx.candidates(key))
        assert pruned <= every
        kept = {ai for ai in every if idx.score(key, label, ai, detail=False).score >= idx.threshold}
        assert kept <= pruned, name
        assert len(pruned) < len(every) or len(every) <= 1
