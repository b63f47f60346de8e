"""The conductor: the one pipeline every page goes through, from a spider, ``newswatch ingest``,
``POST /ingest`` or the Slack command alike. It calls the stages in the README's order and does
none of them itself:

    extract   nlp/extract.py          FetchedPage -> Article
    annotate  nlp/annotate.py         text -> spaCy Doc
    resolve   watchlists/resolve.py   Doc -> mentions with their watched entities
    ties      nlp/ties.py             Doc -> findings; resolved to watched entities
    resolve   watchlists/resolve.py   mentions of listed entities -> list-data findings
    rules     alerts/rules.py         findings -> decisions (and alert drafts)
    store     articles.py + alerts/groups.py, ONE write transaction
    deliver   alerts/outbox.py        (by :meth:`Pipeline.ingest`, or the outbox later)

:meth:`Pipeline.prepare` reads only (safe in a page worker); :func:`commit` writes once;
:meth:`Pipeline.process` is both; :meth:`Pipeline.ingest` also delivers what the page raised.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils
from spacy.tokens import Doc

from .alerts.feedback import Penalty, load_penalties
from .alerts.groups import record_alert
from .alerts.message import alert_text
from .alerts.outbox import DeliveryReport, deliver_pending
from .alerts.rules import Rules, load_rules
from .alerts.sinks import Sink
from .articles import alerts_for_article, article_row, load_result, save_article, set_finding_alert
from .config import AlertSettings, Settings, find_config_dir, load_settings, resolve_path
from .models import (
    AlertDraft,
    Article,
    Decision,
    FetchedPage,
    Finding,
    IngestResult,
    Mention,
    Prepared,
    alert_key,
    content_hash,
)
from .nlp.annotate import build_nlp
from .nlp.cascade import Selection, Vocabulary
from .nlp.cascade import select as select_windows
from .nlp.extract import extract
from .nlp.lexicon import Lexicon, load_lexicon
from .nlp.ties import detect_ties
from .nlp.windows import windows
from .nlp.zh import ChineseNlp, is_chinese, load_zh_lexicon
from .nlp.zh.text import english_part
from .nlp.zh.ties import ChineseTies
from .store import alert_by_key, article_by_canonical, write_transaction
from .watchlists import Resolver, Watchlist, load_watchlist_yaml
from .watchlists.db import lists_version
from .watchlists.matcher import TextHit
from .watchlists.resolve import Resolved

log = logging.getLogger(__name__)

STAGES = ("fetch", "extract", "select", "ner", "ties", "matching", "rules", "store")


@dataclass
class Selected:
    """The cascade's first pass over one page: what to parse (nlp/cascade.py) and the gazetteer's
    listed names on the whole page (watchlists), kept for the mentions outside the windows."""

    selection: Selection
    hits: list[TextHit]


@dataclass
class Explained:
    """What :meth:`Pipeline.explain` found on a page: the article and each decision with the rules
    it went through (``rules test``)."""

    article: Article
    decided: list[tuple[Finding, Decision]] = field(default_factory=list)
    traces: list[list[str]] = field(default_factory=list)
    nlp: dict[str, object] = field(default_factory=dict)  # what the cascade parsed and why


class Pipeline:
    """Everything loaded once per process: settings, lexicon, spaCy, watchlist, rules."""

    def __init__(
        self, config_dir: Path, settings: Settings, lexicon: Lexicon, watchlist: Watchlist, rules: Rules
    ) -> None:
        self.config_dir = config_dir
        self.settings = settings
        self.lexicon = lexicon
        self.rules = rules
        self.resolver = Resolver(watchlist)
        self.nlp = build_nlp(settings.nlp.model, lexicon, watchlist.watch_names())
        # Chinese articles (simplified and traditional) have their own annotator and tie rules
        self.zh_lexicon = load_zh_lexicon(resolve_path(config_dir, settings.nlp.lexicon_zh))
        self.zh_nlp = ChineseNlp(self.zh_lexicon, watchlist.watch_names())
        self.zh_ties = ChineseTies(self.zh_nlp)
        self.vocabulary = Vocabulary(lexicon, self.zh_lexicon)  # the cascade's first pass
        self.base_entities = list(watchlist.entities.values())  # bundled YAML lists (in the NER ruler)
        self._lists_version: tuple[object, ...] | None = None

    @classmethod
    def from_config(cls, config_dir: str | Path | None = None) -> Pipeline:
        cdir = find_config_dir(config_dir)
        settings = load_settings(cdir)
        lexicon = load_lexicon(resolve_path(cdir, settings.nlp.lexicon))
        entities = []
        for name in settings.watchlists:
            entities += load_watchlist_yaml(resolve_path(cdir, name))
        rules = load_rules(resolve_path(cdir, settings.rules))
        return cls(cdir, settings, lexicon, Watchlist.from_settings(entities, settings.matching), rules)

    @property
    def watchlist(self) -> Watchlist:
        return self.resolver.watchlist

    @property
    def alert_settings(self) -> AlertSettings:
        return self.settings.alerts

    def sync_watchlists(self, db: sqlite_utils.Database) -> None:
        """Load the lists imported into ``db`` (``newswatch watchlist import``) next to the bundled
        ones; reloaded only when an import changed them. They are matched by the gazetteer and the
        name matcher, not put into the NER ruler (a million patterns would not fit there)."""
        version = lists_version(db)
        if version == self._lists_version and self.resolver.watchlist.attach(db):
            return
        # the imported lists are read through the index stored at import, not loaded
        self.resolver = Resolver(Watchlist.from_db(db, self.settings.matching, self.base_entities))
        self._lists_version = version
        log.info("watchlists: %d bundled entities + the lists imported into the database", len(self.base_entities))

    # -- the stages, in order ---------------------------------------------------------------

    def analyse(
        self,
        article: Article,
        timings: dict[str, float] | None = None,
        doc: Doc | None = None,
        *,
        selected: Selected | None = None,
        parse_all: bool = False,
        info: dict[str, object] | None = None,
    ) -> tuple[list[Mention], list[Finding]]:
        """Annotate, resolve, ties, resolve: an extracted article's mentions and findings (no I/O).

        With ``nlp.cascade`` (and not ``parse_all``) the cascade's first pass (:meth:`select`) picks
        what the full pipeline reads: windows of the page, the whole page, or nothing (mentions then
        come from the gazetteer alone). ``doc``: the text picked (``selected``: the first pass's
        outcome, when the caller already ran it), already run through ``self.nlp`` (batched by
        :meth:`prepare_many`). ``timings`` (if given) receives seconds spent in ``select``, ``ner``,
        ``ties`` and ``matching``; ``info`` (if given) what was parsed and why (``articles.nlp``)."""
        t = timings if timings is not None else {}
        said = info if info is not None else {}
        if not article.text:
            said.update(parsed="none", why="no text")
            return [], []
        text = article.text
        chinese = is_chinese(article.language, article.text)
        if selected is None and self.settings.nlp.cascade and not parse_all:
            selected = self.select(text, t)
        if selected is not None:
            sel = selected.selection
            said.update(sel.explain())
            if sel.parsed == "none":
                return self._unparsed(text, selected, t)
            if sel.parsed == "windows":
                if not chinese and len(sel.text) <= self.settings.nlp.window_chars:
                    return self._analyse_selected(text, selected, t, doc)
                said.update(parsed="all", why="parsed whole: a Chinese page, or windows longer than one spaCy call")
        else:
            said.update(parsed="all", why="on demand: every sentence parsed" if parse_all else "nlp.cascade is off")
        if chinese:
            return self._analyse_chinese(article.text, t)
        if doc is None and len(article.text) > self.settings.nlp.window_chars:
            return self._analyse_in_windows(article.text, t)
        t0 = time.perf_counter()
        if doc is None:
            doc = self.nlp(article.text)  # annotate
        t["ner"] = t.get("ner", 0.0) + time.perf_counter() - t0
        return self._resolve_and_tie(doc, lambda: detect_ties(doc, self.lexicon), t)

    def select(self, text: str, timings: dict[str, float] | None = None) -> Selected:
        """The cascade's first pass over a whole page, no parser: the gazetteer's listed names
        (watchlists) and the tie vocabulary (nlp/cascade.py), which picks the windows to parse."""
        t0 = time.perf_counter()
        hits = self.resolver.page_hits(text)
        selection = select_windows(text, self.vocabulary, [(h.start, h.end) for h in hits])
        if timings is not None:
            timings["select"] = timings.get("select", 0.0) + time.perf_counter() - t0
        return Selected(selection, hits)

    def _unparsed(self, text: str, selected: Selected, t: dict[str, float]) -> tuple[list[Mention], list[Finding]]:
        """:meth:`analyse` for a page the cascade did not parse: its listed names (gazetteer) as
        mentions and their list-data findings; no sentence can hold a tie of the text."""
        t0 = time.perf_counter()
        resolved = Resolved()
        self.resolver.hit_mentions(text, selected.hits, selected.selection.sentences, resolved)
        findings = self.resolver.list_findings(resolved, [])
        t["matching"] = t.get("matching", 0.0) + time.perf_counter() - t0
        return resolved.mentions, findings

    def _analyse_selected(
        self, text: str, selected: Selected, t: dict[str, float], doc: Doc | None = None
    ) -> tuple[list[Mention], list[Finding]]:
        """:meth:`analyse` on the cascade's windows: one Doc of the pieces picked (nlp/cascade.py);
        mentions and findings moved to page offsets and the page's sentence numbers; the listed
        names outside every piece added from the first pass's gazetteer; list data over all."""
        sel = selected.selection
        t0 = time.perf_counter()
        if doc is None:
            doc = self.nlp(sel.text)  # annotate the windows only
        t1 = time.perf_counter()
        t["ner"] = t.get("ner", 0.0) + t1 - t0
        resolved = self.resolver.mentions(doc)
        kept = Resolved()
        for m in resolved.mentions:
            if sel.in_gap(m.start):
                continue
            length = m.end - m.start
            m.start = sel.to_page(m.start)
            m.end = m.start + length
            m.sentence_index = sel.sentence_at(m.start)
            kept.keep(m, resolved)
        t2 = time.perf_counter()
        detected = detect_ties(doc, self.lexicon)
        t3 = time.perf_counter()
        sent_starts = [s.start_char for s in doc.sents]
        findings = self.resolver.ties(detected)
        for f in findings:
            if 0 <= f.sentence_index < len(sent_starts):
                f.sentence_index = sel.sentence_at(sel.to_page(sent_starts[f.sentence_index]))
        self.resolver.hit_mentions(text, [selected.hits[n] for n in sel.outside], sel.sentences, kept)
        findings += self.resolver.list_findings(kept, findings)
        t["ties"] = t.get("ties", 0.0) + t3 - t2
        t["matching"] = t.get("matching", 0.0) + (t2 - t1) + (time.perf_counter() - t3)
        return kept.mentions, findings

    def _resolve_and_tie(
        self, doc: Doc, detect: Callable[[], list[Finding]], t: dict[str, float]
    ) -> tuple[list[Mention], list[Finding]]:
        """Resolve, ties (``detect``, English or Chinese), resolve: the stages after annotation."""
        t1 = time.perf_counter()
        resolved = self.resolver.mentions(doc)  # resolve
        t2 = time.perf_counter()
        detected = detect()  # ties
        tie_seconds = time.perf_counter() - t2
        findings = self.resolver.ties(detected)  # resolve
        findings += self.resolver.list_findings(resolved, findings)
        t["ties"] = t.get("ties", 0.0) + tie_seconds
        t["matching"] = t.get("matching", 0.0) + time.perf_counter() - t1 - tie_seconds
        return resolved.mentions, findings

    def _analyse_chinese(self, text: str, t: dict[str, float]) -> tuple[list[Mention], list[Finding]]:
        """:meth:`analyse` for a Chinese article: nlp/zh annotates (its Doc goes to the same resolve
        stage) and its tie rules give the same findings; resolve and list data as for English."""
        t0 = time.perf_counter()
        annotated = self.zh_nlp(text)  # annotate
        t["ner"] = t.get("ner", 0.0) + time.perf_counter() - t0
        mentions, findings = self._resolve_and_tie(annotated.doc, lambda: self.zh_ties(annotated), t)
        english = english_part(text)
        if english is None:
            return mentions, findings
        # a bilingual page: its English paragraphs go through the English pipeline, at page offsets
        en_mentions, en_findings = self.analyse(Article(url="", canonical_url="", text=english, language="en"), t)
        seen_mentions = {(m.start, m.end, m.label) for m in mentions}
        for m in en_mentions:
            if (m.start, m.end, m.label) not in seen_mentions:
                m.sentence_index = -1  # the English pass numbers its own sentences
                mentions.append(m)

        def key(f: Finding) -> tuple[str, str, str, str, str]:
            return (f.entity_id or f.entity.casefold(), f.entity_type, f.tie, f.reason.casefold(), f.source)

        seen = {key(f) for f in findings}
        for f in en_findings:
            if key(f) not in seen:
                seen.add(key(f))
                f.sentence_index = -1
                findings.append(f)
        return mentions, findings

    def _analyse_in_windows(self, text: str, t: dict[str, float]) -> tuple[list[Mention], list[Finding]]:
        """:meth:`analyse` for a text too long for one spaCy call (nlp/windows.py): window by window,
        one Doc in memory at a time; mentions shifted to article offsets and kept once where windows
        overlap; ties kept once; list-data findings decided over the whole article."""
        nlp_settings = self.settings.nlp
        merged = Resolved()
        seen_mentions: set[tuple[int, int, str]] = set()
        findings: list[Finding] = []
        seen_findings: set[tuple[str, str, str, str, str]] = set()
        sentence_base = 0
        for start, end in windows(text, nlp_settings.window_chars, nlp_settings.window_overlap_chars):
            t0 = time.perf_counter()
            doc = self.nlp(text[start:end])
            t1 = time.perf_counter()
            t["ner"] = t.get("ner", 0.0) + t1 - t0
            resolved = self.resolver.mentions(doc)
            for m in resolved.mentions:
                m.start, m.end = m.start + start, m.end + start
                if m.sentence_index >= 0:
                    m.sentence_index += sentence_base
                where = (m.start, m.end, m.label)
                if where in seen_mentions:
                    continue
                seen_mentions.add(where)
                merged.keep(m, resolved)
            t2 = time.perf_counter()
            detected = detect_ties(doc, self.lexicon)
            t3 = time.perf_counter()
            t["ties"] = t.get("ties", 0.0) + t3 - t2
            for f in self.resolver.ties(detected):
                what = (f.entity_id or f.entity.casefold(), f.entity_type, f.tie, f.reason.casefold(), f.evidence)
                if what in seen_findings:
                    continue
                seen_findings.add(what)
                if f.sentence_index >= 0:
                    f.sentence_index += sentence_base
                f.explain["window"] = [start, end]
                findings.append(f)
            sentence_base += sum(1 for _ in doc.sents)
            t["matching"] = t.get("matching", 0.0) + (t2 - t1) + (time.perf_counter() - t3)
            del doc
        merged.mentions.sort(key=lambda m: m.start)
        findings += self.resolver.list_findings(merged, findings)
        return merged.mentions, findings

    def decide(
        self,
        findings: list[Finding],
        source_kind: str,
        penalties: list[Penalty] | None = None,
        traces: list[list[str]] | None = None,
    ) -> list[tuple[Finding, Decision]]:
        """The rules on each finding (``penalties``: false-positive feedback, see alerts.feedback);
        ``traces`` (if given) receives, per finding, every rule tried and why it held or not."""
        out = []
        for f in findings:
            trace: list[str] | None = [] if traces is not None else None
            decision = self.rules.decide(
                f,
                watched=f.entity_id is not None,
                source_kind=source_kind,
                watchlists=self.resolver.watchlists_of(f),
                penalties=penalties,
                trace=trace,
                monitored=self.resolver.monitored(f),
            )
            out.append((f, decision))
            if traces is not None:
                traces.append(trace or [])
        return out

    def explain(self, page: FetchedPage, penalties: list[Penalty] | None = None) -> Explained:
        """Extract, analyse and decide one page, keeping every rule's trace; stores nothing."""
        article = extract(page)
        out = Explained(article=article)
        _, findings = self.analyse(article, info=out.nlp)
        out.decided = self.decide(findings, page.source_kind, penalties=penalties, traces=out.traces)
        return out

    # -- the whole way ----------------------------------------------------------------------

    def prepare(
        self, page: FetchedPage, db: sqlite_utils.Database, *, force: bool = False, parse_all: bool = False
    ) -> Prepared:
        """Extract, annotate, resolve and decide one page; reads ``db`` (imported lists, the stored
        article's hash, false-positive feedback) but writes nothing. Safe in a worker process."""
        return self.prepare_many([page], db, force=force, parse_all=parse_all)[0]

    def prepare_many(
        self, pages: list[FetchedPage], db: sqlite_utils.Database, *, force: bool = False, parse_all: bool = False
    ) -> list[Prepared]:
        """:meth:`prepare` for a batch: the texts go through spaCy together (``nlp.pipe``), which is
        cheaper per page than one call each. Same results as one by one, in the same order. With
        ``nlp.cascade`` only what the first pass picked goes through spaCy (``parse_all``: everything)."""
        self.sync_watchlists(db)
        penalties = load_penalties(db, self.settings.alerts.false_positive_penalty)
        cascade = self.settings.nlp.cascade and not parse_all
        out: list[Prepared] = []
        todo: list[tuple[Prepared, str]] = []
        picked: dict[int, Selected] = {}
        for page in pages:
            timings: dict[str, float] = {"fetch": page.fetch_seconds or 0.0}
            t0 = time.perf_counter()
            article = extract(page)
            chash = content_hash(article)
            timings["extract"] = time.perf_counter() - t0
            existing = article_by_canonical(db, article.canonical_url)
            prepared = Prepared(page=page, article=article, content_hash=chash, force=force, timings=timings)
            out.append(prepared)
            if existing and existing["content_hash"] == chash and not force:
                prepared.unchanged_id = existing["id"]
                continue
            if not article.text or is_chinese(article.language, article.text):
                continue  # nlp/zh reads a Chinese text (after the first pass, in analyse)
            text = article.text
            if cascade:
                selected = picked[id(prepared)] = self.select(text, timings)
                if selected.selection.parsed == "none":
                    continue
                if selected.selection.parsed == "windows":
                    text = selected.selection.text
            if len(text) <= self.settings.nlp.window_chars:
                todo.append((prepared, text))  # a longer text is analysed in windows
        t0 = time.perf_counter()
        docs = list(self.nlp.pipe([text for _, text in todo], batch_size=max(1, len(todo))))
        ner_seconds = time.perf_counter() - t0
        chars = sum(len(text) for _, text in todo) or 1
        by_id = {id(p): doc for (p, _), doc in zip(todo, docs, strict=True)}
        ner_share = {id(p): ner_seconds * len(text) / chars for p, text in todo}
        for prepared in out:
            if prepared.unchanged_id is not None:
                continue
            prepared.timings["ner"] = ner_share.get(id(prepared), 0.0)
            prepared.mentions, findings = self.analyse(
                prepared.article,
                prepared.timings,
                doc=by_id.get(id(prepared)),
                selected=picked.get(id(prepared)),
                parse_all=parse_all,
                info=prepared.nlp,
            )
            t1 = time.perf_counter()
            prepared.decided = self.decide(findings, prepared.page.source_kind, penalties=penalties)
            prepared.drafts = [
                AlertDraft(key=alert_key(f), finding=f, decision=d, text=alert_text(f.entity, f.tie, f.reason))
                for f, d in prepared.decided
                if d.action == "alert"
            ]
            prepared.timings["rules"] = time.perf_counter() - t1
        return out

    def process(
        self,
        page: FetchedPage,
        db: sqlite_utils.Database,
        *,
        dry_run: bool = False,
        force: bool = False,
        parse_all: bool = False,
    ) -> IngestResult:
        """Run one fetched page through every stage and store the outcome in one transaction.

        An unchanged page (same canonical URL, same content hash) is not reprocessed: its stored
        result is returned with status ``unchanged``. ``dry_run`` writes and sends nothing.
        This is :meth:`prepare` (reads only) then :func:`commit` (one write transaction);
        ``parse_all``: every sentence through spaCy whatever ``nlp.cascade`` says.
        """
        prepared = self.prepare(page, db, force=force or dry_run, parse_all=parse_all)
        if dry_run:
            return _dry_run_result(db, prepared)
        return commit(db, prepared, self.settings.alerts)

    def ingest(
        self, page: FetchedPage, db: sqlite_utils.Database, sink: Sink, *, force: bool = False
    ) -> tuple[IngestResult, DeliveryReport | None]:
        """:meth:`process`, then deliver the alerts it raised (with this pipeline's own alert
        settings: retry backoff, give-up time) and read the alerts back with their new status.
        One page asked for on demand: every sentence is parsed (the cascade is for crawls)."""
        result = self.process(page, db, force=force, parse_all=True)
        report = None
        if result.new_alert_keys:
            report = deliver_pending(
                db,
                sink,
                keys=result.new_alert_keys,
                settings=self.settings.alerts,
                ui_base_url=self.settings.ui.base_url,
            )
        if result.article_id is not None:
            result.alerts = alerts_for_article(db, result.article_id)
        return result, report

    def load_result(self, db: sqlite_utils.Database, article_id: int, status: str) -> IngestResult:
        """Rebuild an :class:`IngestResult` from what is stored for an article."""
        return load_result(db, article_id, status)


def _dry_run_result(db: sqlite_utils.Database, prepared: Prepared) -> IngestResult:
    """What storing ``prepared`` would give, with each alert's would-be status; writes nothing."""
    stored = article_by_canonical(db, prepared.article.canonical_url)
    result = IngestResult(
        article=prepared.article,
        mentions=prepared.mentions,
        findings=[f for f, _ in prepared.decided],
        status="updated" if stored else "new",
        timings=prepared.timings,
    )
    for dr in prepared.drafts:
        prior = alert_by_key(db, dr.key)
        result.alerts.append(
            {
                "key": dr.key,
                "status": f"dry-run ({prior['status']} already)" if prior else "dry-run (would be new)",
                "text": dr.text,
            }
        )
    return result


def judge_sources(db: sqlite_utils.Database, run_id: int, broken_after: int) -> list[tuple[str, str]]:
    """After a crawl run: each finished source's health (``alerts/health.py``): a source broken for
    ``broken_after`` runs in a row gets one "source broken" alert, a recovered one its thread reply."""
    from .alerts.health import evaluate_run

    return evaluate_run(db, run_id, broken_after)


def commit(db: sqlite_utils.Database, prepared: Prepared, alert_settings: AlertSettings) -> IngestResult:
    """Store a :class:`Prepared` page: article, mentions, findings and pending alerts in ONE write
    transaction. The stored article is looked up again inside the transaction, so the same content
    prepared twice at once (two workers) is stored once; the second becomes ``unchanged``."""
    t0 = time.perf_counter()
    if prepared.unchanged_id is not None:
        result = load_result(db, prepared.unchanged_id, status="unchanged")
    else:
        with write_transaction(db):
            existing = article_by_canonical(db, prepared.article.canonical_url)
            if existing and existing["content_hash"] == prepared.content_hash and not prepared.force:
                result = load_result(db, existing["id"], status="unchanged")
            else:
                result = IngestResult(
                    article=prepared.article,
                    mentions=prepared.mentions,
                    findings=[f for f, _ in prepared.decided],
                    status="updated" if existing else "new",
                )
                result.article_id = _store(db, prepared, existing, result, alert_settings)
    result.timings = {**prepared.timings, "store": time.perf_counter() - t0}
    return result


def _store(
    db: sqlite_utils.Database,
    prepared: Prepared,
    existing: dict[str, object] | None,
    result: IngestResult,
    alert_settings: AlertSettings,
) -> int:
    """The writes of :func:`commit` (the caller holds the transaction): the article rows, then each
    alerting finding into its group (grouping, repeat interval and silences: alerts/groups.py)."""
    row = article_row(prepared)
    article_id, saved = save_article(db, prepared, existing, row)
    for s in saved:
        if s.draft is None:
            continue
        key, what = record_alert(
            db,
            group=s.draft.key,
            finding=s.finding,
            finding_id=s.finding_id,
            decision=s.decision,
            article_id=article_id,
            article={**row, "url": prepared.page.final_url or prepared.page.url},
            text=s.draft.text,
            settings=alert_settings,
        )
        if key != s.draft.key:
            set_finding_alert(db, s.finding_id, key)
        if what in ("new", "source-added"):
            result.new_alert_keys.append(key)
    result.alerts = alerts_for_article(db, article_id)
    return article_id
