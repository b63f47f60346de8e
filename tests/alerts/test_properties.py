"""Property tests for the alert messages beyond the main alert: thread replies, triage lines, digest."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from newswatch.alerts.digest import build_digest
from newswatch.alerts.message import SECTION_LIMIT, build_blocks, build_reply

INJECTIONS = ["<!channel>", "<!here>", "<@U123>", "<#C123>", "<https://evil.example|click>", "<!subteam^S1>", "&"]
hostile = st.lists(st.one_of(st.text(max_size=200), st.sampled_from(INJECTIONS)), max_size=8).map("".join)


def _inert(strings: list[str]) -> None:
    for s in strings:
        # the only links allowed are the ones newswatch builds from the page URL: <http...|label>
        for m in re.finditer(r"<([^>]*)>", s):
            assert m.group(1).startswith("https://news.example/"), s
        assert not re.search(r"<[!@#]", s), s


def _texts(blocks: list[dict]) -> list[str]:
    found: list[str] = []

    def walk(o: object) -> None:
        if isinstance(o, dict):
            if o.get("type") == "mrkdwn":
                found.append(o["text"])
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)

    walk(blocks)
    return found


@given(hostile, hostile, hostile)
@settings(max_examples=60)
def test_reply_is_inert_and_within_limits(title: str, evidence: str, source: str) -> None:
    text, blocks = build_reply(
        {
            "url": "https://news.example/b",
            "title": title,
            "evidence": evidence,
            "source": source,
            "published": title[:12],
        }
    )
    _inert([text, *_texts(blocks)])
    assert all(len(t) <= SECTION_LIMIT for t in _texts(blocks))


@given(hostile, st.lists(hostile, max_size=3))
@settings(max_examples=40)
def test_triage_lines_and_digest_are_inert(entity: str, names: list[str]) -> None:
    actions = [{"action": "ack", "user_name": n, "at": "2026-01-01"} for n in names]
    alert = {
        "key": "k",
        "entity": entity or "x",
        "tie": "award",
        "reason": entity[:30] or "r",
        "evidence": entity,
        "confidence": 0.5,
        "url": "https://news.example/a",
        "title": entity,
    }
    text, blocks = build_blocks(alert, actions=actions)
    _inert([text, *_texts(blocks)])
    data = {
        "total": 1,
        "by_status": {"sent": 1},
        "by_severity": {"high": [{"entity": entity, "tie": "award", "reason": entity, "status": "sent", "sources": 2}]},
    }
    dtext, dblocks, _ = build_digest(data, "24h")
    _inert([dtext, *_texts(dblocks)])


STYLED = "Deal *Severity:* low ~struck~ `code` _it_ see https://evil.example/login and <https://evil.example|here>"


def test_page_text_cannot_style_itself_or_auto_link() -> None:
    alert = {
        "key": "k",
        "entity": "Acme",
        "tie": "blacklist",
        "reason": "Entity List",
        "evidence": STYLED,
        "confidence": 0.9,
        "url": "https://news.example/a",
        "title": STYLED,
    }
    _, blocks = build_blocks(alert)
    for text in _texts(blocks):
        page_part = text.replace("*Entity:*", "").replace("*Tie:*", "").replace("*Reason:*", "")
        page_part = page_part.replace("*Severity:* medium", "").replace("*Confidence:*", "").replace("*Acme*", "")
        assert "*Severity:* low" not in page_part and "~struck~" not in page_part and "`code`" not in page_part
        assert not re.search(r"(?<![\w.])https?://", re.sub(r"<https://news\.example/a\|", "", text)), text
    assert any("hxxps://evil[.]example" in t for t in _texts(blocks))
