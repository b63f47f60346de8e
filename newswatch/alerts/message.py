"""Slack messages: Block Kit for one alert, with every page-derived string escaped for mrkdwn.

Slack reads ``<...>`` as links and mentions (``<!channel>``, ``<@U123>``, ``<https://x|y>``) and
``&`` as the start of an entity; escaping ``&``, ``<`` and ``>`` makes page text inert.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

SECTION_LIMIT = 3000  # characters of text per section block
HEADER_LIMIT = 150  # characters of a header block
FALLBACK_LIMIT = 4000  # characters of the notification text
MAX_BLOCKS = 50  # blocks per message
# the article's language as the message names it (the evidence stays in that language, verbatim)
LANGUAGE_NAMES = {
    "en": "English",
    "zh": "Chinese",
    "ja": "Japanese",
    "ko": "Korean",
    "ru": "Russian",
    "fr": "French",
    "de": "German",
    "es": "Spanish",
}
ACTION_WORDS = {"ack": "Acknowledged", "false_positive": "Marked false positive", "mute_entity": "Entity muted"}
ELLIPSIS = "…"
VIEW_RECORD = "view_record"  # the link button's action_id: a click needs no action of ours

TIE_TITLES = {
    "blacklist": "put on a government list",
    "delisting": "removed from a government list",
    "award": "honoured with a telling award",
}


# mrkdwn's formatting characters, shown as look-alikes in page text so a page cannot style itself
# ("*Severity:* low" in a title); underscores only where they could open or close italics.
FORMATTING = str.maketrans({"*": "∗", "~": "∼", "`": "ˋ"})
BARE_URL = re.compile(r"\b(h)tt(ps?)://([^\s/?#&<>|]+)", re.I)


def _defang(m: re.Match[str]) -> str:
    """``https://evil.example`` -> ``hxxps://evil[.]example``: shown, never auto-linked by Slack."""
    return f"{m.group(1)}xx{m.group(2)}://{m.group(3).replace('.', '[.]')}"


def escape_mrkdwn(text: str | None) -> str:
    """Page text made inert for Slack mrkdwn: ``&``, ``<`` and ``>`` escaped (no mention, no
    link), the formatting characters ``* ~ `` ` `` and word-edge ``_`` shown as look-alikes (no
    styling), bare URLs defanged (``hxxps://evil[.]example``, not auto-linked).

    Idempotent: already-escaped entities (``&amp;``, ``&lt;``, ``&gt;``) are left alone, and the
    look-alikes and defanged URLs are not touched again.
    """
    if not text:
        return ""
    text = re.sub(r"&(?!(amp|lt|gt);)", "&amp;", text)
    text = text.replace("<", "&lt;").replace(">", "&gt;").translate(FORMATTING)
    text = re.sub(r"(?<![^\W_])_|_(?![^\W_])", "ˍ", text)
    return BARE_URL.sub(_defang, text)


def truncate(text: str, limit: int, suffix: str = "") -> str:
    """Cut ``text`` so that it plus ``suffix`` fits ``limit`` characters, marking the cut.

    Never cuts inside an ``&amp;``-style entity.
    """
    if len(text) + len(suffix) <= limit:
        return text + suffix
    room = max(0, limit - len(suffix) - len(ELLIPSIS))
    cut = text[:room]
    amp = cut.rfind("&")
    if amp != -1 and ";" not in cut[amp:]:
        cut = cut[:amp]
    return cut + ELLIPSIS + suffix


def safe_url(url: str | None) -> str | None:
    """A URL fit for ``<url|label>``: only http(s), with ``|``, ``<``, ``>`` and spaces encoded."""
    if not url or not re.match(r"^https?://", url, re.I):
        return None
    return url.replace("&", "&amp;").replace("<", "%3C").replace(">", "%3E").replace("|", "%7C").replace(" ", "%20")


def _bold_terms(escaped: str, terms: list[str]) -> str:
    """Bold each escaped term where it occurs (case-insensitive), without nesting."""
    for term in sorted({t for t in terms if t and len(t) > 1}, key=len, reverse=True):
        esc = escape_mrkdwn(term)
        escaped = re.sub(r"(?<![*\w])(" + re.escape(esc) + r")(?![*\w])", r"*\1*", escaped, flags=re.I)
    return escaped


def plain_safe(text: str) -> str:
    """Text for plain_text fields (headers, buttons): control characters of Slack markup
    replaced by look-alikes, so nothing can be read as a mention or link anywhere."""
    return text.replace("&", "＆").replace("<", "‹").replace(">", "›")


def alert_text(entity: str, tie: str, reason: str) -> str:
    """One-line plain summary of an alert (also the notification fallback)."""
    return f"{entity} {TIE_TITLES.get(tie, tie)}: {reason}"


def record_url(base_url: str | None, db_name: str, alert_id: int | None) -> str | None:
    """The alert's row in ``newswatch ui`` served at ``base_url`` (setting ``ui.base_url``), or None."""
    if not base_url or alert_id is None:
        return None
    return f"{base_url.rstrip('/')}/{quote(db_name)}/alerts/{int(alert_id)}"


def record_button(record: str | None, key: str) -> dict[str, Any] | None:
    """The "View record" link button for ``record`` (:func:`record_url`), or None without one.
    The address is our own setting's, never a page's; Slack opens it and also tells us of the click."""
    link = safe_url(record)
    if not link:
        return None
    return {
        "type": "button",
        "action_id": VIEW_RECORD,
        "text": {"type": "plain_text", "text": "View record"},
        "url": link.replace("&amp;", "&"),
        "value": key,
    }


def build_blocks(
    alert: dict[str, Any],
    *,
    sources: int = 1,
    actions: list[dict[str, Any]] | None = None,
    record: str | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """(fallback text, blocks) for an alert row joined with its finding and article.

    ``alert`` needs: key, entity, tie, reason, evidence, confidence, severity, url, title,
    published; optional: via, mention, as_written (shown when the text names the entity otherwise),
    language (the article's: the evidence is quoted in it, the entity and reason are the lists' names).
    ``actions`` (rows of ``alert_actions``) add a triage line; ``record`` (:func:`record_url`) adds a
    "View record" link button to the alert in the UI.
    """
    entity = escape_mrkdwn(alert["entity"])
    reason = escape_mrkdwn(alert["reason"])
    tie = alert["tie"]
    url = safe_url(alert.get("url"))
    title = escape_mrkdwn(alert.get("title") or alert.get("url") or "source")
    link = f"<{url}|{truncate(title, 300)}>" if url else title
    fallback = truncate(escape_mrkdwn(alert_text(alert["entity"], tie, alert["reason"])), FALLBACK_LIMIT)
    if alert.get("mention"):
        # The mention comes from config (rules.yaml), never from a page.
        fallback = f"<{alert['mention']}> " + fallback
    header = truncate(plain_safe(f"{alert['entity']} — {TIE_TITLES.get(tie, tie)}"), HEADER_LIMIT)
    facts = [
        f"*Entity:* {entity}",
        f"*Tie:* {tie}",
        f"*Reason:* {reason}",
        f"*Severity:* {alert.get('severity') or 'medium'}",
        f"*Confidence:* {float(alert.get('confidence') or 0):.2f}",
    ]
    if alert.get("via"):
        facts.append(f"*Via:* {escape_mrkdwn(alert['via'])}")
    written = alert.get("as_written")
    if written and " ".join(str(written).split()).casefold() != " ".join(alert["entity"].split()).casefold():
        facts.append(f"*As written:* {escape_mrkdwn(str(written))}")  # 小米集团 for Xiaomi Corporation
    if alert.get("language"):
        facts.append(f"*Language:* {escape_mrkdwn(language_name(str(alert['language'])))}")
    facts_text = truncate("\n".join(facts), SECTION_LIMIT)
    more = f"\n{link}" if url else ""
    terms = [alert["entity"], alert.get("as_written") or "", alert.get("via") or "", alert["reason"]]
    if alert.get("via"):
        terms += [part for part in str(alert["via"]).split() if len(part) > 2]  # "Lei" of "Lei Jun"
    evidence = _bold_terms(escape_mrkdwn(alert.get("evidence") or ""), terms)
    quote = truncate("> " + evidence.replace("\n", "\n> "), SECTION_LIMIT, suffix=more if len(evidence) > 2000 else "")
    context = [f"Source: {link}"]
    if alert.get("published"):
        context.append(f"Published: {escape_mrkdwn(str(alert['published']))}")
    if sources > 1:
        context.append(f"Reported by {sources} sources")
    triage = [
        f"{ACTION_WORDS.get(a['action'], escape_mrkdwn(a['action']))} by "
        f"{escape_mrkdwn(a.get('user_name') or a.get('user_id') or 'someone')} at {escape_mrkdwn(a['at'])}"
        for a in (actions or [])
    ][-5:]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": header, "emoji": False}},
        {"type": "section", "text": {"type": "mrkdwn", "text": facts_text}},
        {"type": "section", "text": {"type": "mrkdwn", "text": quote}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(c, SECTION_LIMIT)} for c in context]},
        {
            "type": "actions",
            "block_id": f"triage:{alert['key']}",
            "elements": [
                {
                    "type": "button",
                    "action_id": "ack",
                    "text": {"type": "plain_text", "text": "Acknowledge"},
                    "style": "primary",
                    "value": alert["key"],
                },
                {
                    "type": "button",
                    "action_id": "false_positive",
                    "text": {"type": "plain_text", "text": "False positive"},
                    "value": alert["key"],
                },
                {
                    "type": "button",
                    "action_id": "mute_entity",
                    "text": {"type": "plain_text", "text": "Mute entity"},
                    "style": "danger",
                    "value": alert["key"],
                },
            ],
        },
    ]
    button = record_button(record, alert["key"])
    if button:
        blocks[-1]["elements"].append(button)
    if triage:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": truncate(t, SECTION_LIMIT)} for t in triage]}
        )
    return fallback, blocks[:MAX_BLOCKS]


def language_name(lang: str) -> str:
    """An article's language as a message names it: "Chinese (zh)", or the code when unknown."""
    name = LANGUAGE_NAMES.get(lang.split("-")[0].casefold())
    return f"{name} ({lang})" if name else lang


def build_reply(source: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """(text, blocks) of the thread reply for a later source of an alert's group.

    ``source`` is an ``alert_sources`` row: url, title, source, published, evidence, and the
    article's ``language`` when known.
    """
    url = safe_url(source.get("url"))
    title = escape_mrkdwn(source.get("title") or source.get("url") or "another source")
    name = escape_mrkdwn(source.get("source") or "")
    link = f"<{url}|{truncate(title, 300)}>" if url else truncate(title, 300)
    line = f"Also reported by {link}" + (f" ({name})" if name and name not in ("ingest", "demo") else "")
    if source.get("published"):
        line += f", published {escape_mrkdwn(str(source['published']))}"
    if source.get("language"):  # a reply in another language than the first report says so
        line += f", in {escape_mrkdwn(language_name(str(source['language'])))}"
    text = truncate(
        escape_mrkdwn(f"Also reported by {source.get('title') or source.get('url') or 'another source'}"),
        FALLBACK_LIMIT,
    )
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": truncate(line, SECTION_LIMIT)}}
    ]
    if source.get("evidence"):
        ev = escape_mrkdwn(source["evidence"])
        blocks.append(
            {
                "type": "section",
                "text": {"type": "mrkdwn", "text": truncate("> " + ev.replace("\n", "\n> "), SECTION_LIMIT)},
            }
        )
    return text, blocks
