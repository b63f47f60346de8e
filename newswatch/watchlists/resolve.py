"""The resolve stage: names in an annotated article tied to watched entities.

Three steps, each one method of :class:`Resolver`, called by the pipeline in this order:

1. :meth:`Resolver.mentions`: every named span of the ``Doc`` (NER and EntityRuler) scored against
   the watchlists, plus the gazetteer's hits for listed names the NER missed;
2. :meth:`Resolver.ties`: the entity of each tie the text states is resolved to its watched entity
   (canonical name and id), the name as written kept in ``explain["as_written"]``;
3. :meth:`Resolver.list_findings`: a mention of a listed entity that the text does not tie itself
   becomes a ``blacklist`` finding from source ``watchlist`` (the list's data ties it).

:meth:`Resolver.monitored` tells the rules whether a finding's entity is on a monitored list.
Reads a spaCy ``Doc`` but imports nothing of ``newswatch.nlp``: the Doc is the border.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, cast

from ..models import EntityType, Finding, Mention
from .matcher import Match, SpanInfo, TextHit
from .watchlist import Watchlist

if TYPE_CHECKING:  # the Doc is only read here: importing spaCy is the NLP stage's cost, not the CLI's
    from spacy.tokens import Doc

SKIP_LABELS = {"DATE", "TIME", "CARDINAL", "ORDINAL", "PERCENT", "MONEY", "QUANTITY"}


@dataclass
class Resolved:
    """The mentions of one article and, for each resolved one, the entity matches behind it."""

    mentions: list[Mention] = field(default_factory=list)
    matches: dict[int, list[Match]] = field(default_factory=dict)  # id(mention) -> matches, best first

    def of(self, mention: Mention) -> list[Match]:
        return self.matches.get(id(mention)) or []

    def keep(self, mention: Mention, source: Resolved) -> None:
        """Add ``mention`` (one of ``source``'s) with the matches ``source`` found for it."""
        self.mentions.append(mention)
        if id(mention) in source.matches:
            self.matches[id(mention)] = source.matches[id(mention)]


class Resolver:
    """The resolve stage over one :class:`Watchlist` (see the module docstring for its steps)."""

    def __init__(self, watchlist: Watchlist) -> None:
        self.watchlist = watchlist

    def mentions(self, doc: Doc) -> Resolved:
        """Named spans of ``doc`` as :class:`Mention` rows, each with the watched entity it names (if
        any); then the gazetteer's listed names the NER missed or labelled without an entity."""
        sent_index = {s.start: n for n, s in enumerate(doc.sents)}
        out = Resolved()
        for ent in doc.ents:
            if ent.label_ in SKIP_LABELS:
                continue
            eid = None
            found: list[Match] = []
            if ent.label_ in ("ORG", "PERSON"):
                # the NER's own label counts as corroboration of a common-word name, but not at a
                # sentence start (capitalised for grammar) nor when our ruler put it there
                by_ner = not ent.ent_id_ and not ent[0].is_sent_start
                found = self.watchlist.match(ent.text, ent.label_, from_ner=by_ner)
                found = [m for m in found if m.features.get("type_agree") is not False]
                watched = self.watchlist.get(ent.ent_id_) or (found[0].entity if found else None)
                eid = watched.id if watched else None
            sent = ent.sent
            m = Mention(
                text=ent.text,
                label=ent.label_,
                start=ent.start_char,
                end=ent.end_char,
                sentence=sent.text.strip(),
                sentence_index=sent_index.get(sent.start, -1),
                entity_id=eid,
            )
            out.mentions.append(m)
            if eid:
                out.matches[id(m)] = found
        self._gazetteer(doc, out, sent_index)
        return out

    def _gazetteer(self, doc: Doc, out: Resolved, sent_index: dict[int, int]) -> None:
        """Listed names the NER missed (or labelled without an entity) become mentions with their id."""
        mentions, matches = out.mentions, out.matches
        spans = [SpanInfo(e.start_char, e.end_char, e.label_, ruler=bool(e.ent_id_)) for e in doc.ents]
        for hit in self.watchlist.find_in_text(doc.text, spans):
            best = hit.matches[0].entity
            over = [m for m in mentions if m.start < hit.end and hit.start < m.end]
            if over:
                for m in over:
                    if m.entity_id is None and m.label == best.label:
                        m.entity_id = best.id
                        matches[id(m)] = hit.matches
                    elif m.entity_id and id(m) in matches:
                        known = {x.entity.id for x in matches[id(m)]}
                        matches[id(m)] += [x for x in hit.matches if x.entity.id not in known]
                continue
            span = doc.char_span(hit.start, hit.end, alignment_mode="expand")
            sent = span.sent if span is not None else None
            m = Mention(
                text=hit.text,
                label=best.label,
                start=hit.start,
                end=hit.end,
                sentence=sent.text.strip() if sent is not None else hit.text,
                sentence_index=sent_index.get(sent.start, -1) if sent is not None else -1,
                entity_id=best.id,
            )
            mentions.append(m)
            matches[id(m)] = hit.matches
        mentions.sort(key=lambda m: m.start)

    def page_hits(self, text: str) -> list[TextHit]:
        """The gazetteer over a whole page before any NER (the cascade's first pass): listed names
        with the corroboration the text itself gives (legal form, company word next to it)."""
        return self.watchlist.find_in_text(text)

    def hit_mentions(
        self, text: str, hits: Sequence[TextHit], sentences: Sequence[tuple[int, int]], out: Resolved
    ) -> None:
        """Gazetteer ``hits`` in ``text`` that no parsed window holds, added to ``out`` as mentions
        of their listed entities; ``sentences`` (character ranges) give each its sentence."""
        starts = [s for s, _ in sentences]
        for hit in hits:
            n = bisect.bisect_right(starts, hit.start) - 1
            s, e = sentences[n] if n >= 0 else (hit.start, hit.end)
            best = hit.matches[0].entity
            m = Mention(
                text=hit.text,
                label=best.label,
                start=hit.start,
                end=hit.end,
                sentence=text[s:e].strip(),
                sentence_index=n,
                entity_id=best.id,
            )
            out.mentions.append(m)
            out.matches[id(m)] = hit.matches
        out.mentions.sort(key=lambda m: m.start)

    def ties(self, findings: list[Finding]) -> list[Finding]:
        """Each text finding's entity resolved to its watched entity (canonical name and id), or
        to no id when nothing on the lists names it; ``explain["as_written"]`` keeps the text's name.
        A ``via`` person on the lists is named as the lists name them too (``explain["via_as_written"]``)."""
        for f in findings:
            watched = self.watchlist.get(f.entity_id) or self.watchlist.resolve(f.entity, f.entity_type)
            f.explain["as_written"] = f.entity
            if watched:
                f.entity_id, f.entity = watched.id, watched.name
            else:
                f.entity_id = None
            leader = self.watchlist.resolve(f.via, "PERSON") if f.via else None
            if leader is not None and leader.name != f.via:  # 雷军 -> Lei Jun, as the watchlist names him
                f.explain["via_as_written"], f.via = f.via, leader.name
        return findings

    def list_findings(self, resolved: Resolved, text_findings: list[Finding]) -> list[Finding]:
        """A mention resolved to a listed entity (one with a reason, on a list that is not a
        monitored-entities list) is a ``blacklist`` finding from source ``watchlist``: the list's data
        ties it. One per entity per article; none when the text already ties it to the same reason."""
        said = {(f.entity_id, f.tie, " ".join(f.reason.casefold().split())) for f in text_findings}
        out: list[Finding] = []
        done: set[str] = set()
        for mention in resolved.mentions:
            found = resolved.of(mention)
            ruled = self.watchlist.get(mention.entity_id)
            if not found and ruled is not None:
                found = [Match(ruled, mention.text, 1.0, {"ruler": True})]
            monitored = [m.entity.id for m in found if m.entity.monitored]
            for m in found:
                e = m.entity
                if e.monitored or not e.reason or e.id in done:
                    continue
                done.add(e.id)
                if (e.id, "blacklist", " ".join(e.reason.casefold().split())) in said:
                    continue
                out.append(
                    Finding(
                        entity=e.name,
                        entity_type=cast(EntityType, e.label),
                        tie="blacklist",
                        reason=e.reason,
                        evidence=mention.sentence,
                        confidence=min(1.0, m.score),
                        entity_id=e.id,
                        source="watchlist",
                        sentence_index=mention.sentence_index,
                        explain={
                            "as_written": mention.text,
                            "list": e.list_name,
                            "alias": m.alias,
                            "score": round(m.score, 3),
                            "features": m.features,
                            "monitored": bool(monitored),
                            "monitored_entities": monitored,
                        },
                    )
                )
        return out

    def monitored(self, f: Finding) -> bool:
        """Is the finding's entity on a monitored-entities list (itself, or a same-named entry)?"""
        if f.explain.get("monitored") or self.watchlist.is_monitored(f.entity_id):
            return True
        return any(
            m.entity.monitored for m in self.watchlist.match(f.explain.get("as_written") or f.entity, f.entity_type)
        )

    def watchlists_of(self, f: Finding) -> list[str]:
        """The list a finding's entity is on (for the rules' ``when.watchlist``)."""
        entity = self.watchlist.get(f.entity_id)
        return [entity.list_name] if entity else []
