"""Tie detection: which entity a sentence puts on (or takes off) a government list, or honours
with an award, with the sentence that says so.

Pure: an annotated ``Doc`` and the :class:`~newswatch.nlp.lexicon.Lexicon` in, findings out.
Each finding carries ``explain``: the trigger word, the grammatical role that made the entity
the target, where the reason came from, and the factors behind the confidence.

The approach, in order:
1. candidates: ORG/PERSON entities, plus "the company"-style anaphors and "it" resolved to the
   last company named within the neighbourhood (three sentences back);
2. triggers: lemmas from the lexicon, a list reference required for generic verbs (add, put,
   remove), hedged ones dropped (negation, modals, "seek to", "deny", "if");
3. targets: the patient of the trigger from the dependency parse (object, passive subject,
   recipient), never its agent; a modifier of another target ("Xiaomi" in "Xiaomi CEO Lei Jun")
   is not a target itself;
4. reason: a list or award named in the sentence, else an issuer that implies its list, else the
   nearest one in the neighbourhood;
5. propagation: a person's tie goes to the company the text says they lead, ``via`` the person.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from spacy.tokens import Doc, Span, Token

from ..models import Finding
from .lexicon import Lexicon

NEIGHBOURHOOD = 2          # sentences either side searched for a list/award named nearby
ANAPHOR_WINDOW = 3         # sentences back searched for the company "the company" means
GOV_WORDS = {"department", "ministry", "commission", "agency", "bureau", "administration", "government",
             "congress", "senate", "court", "pentagon", "treasury", "office", "parliament", "council"}
AWARD_NOUNS = {"award", "prize", "medal", "honour", "honor", "trophy", "title", "distinction", "accolade"}
LINK_WORDS = {"'s", "’s", "and", "&", ",", "-", "–", "of", "the", "a", "its", "executive", "officer"}
FACTUAL_INF_HEADS = {"move", "decide", "vote", "agree", "act", "opt", "choose", "elect", "proceed", "begin"}


@dataclass
class Candidate:
    """A possible target: a named entity, or an anaphor resolved to one."""

    name: str
    label: str
    tokens: range
    root: Token
    entity_id: str | None = None
    via_anaphor: str | None = None  # the anaphor text ("the company", "it") when resolved

    @property
    def key(self) -> str:
        return self.entity_id or f"name:{self.name.casefold()}"


@dataclass
class Trigger:
    token: Token
    tie: str
    kind: str            # blacklist-verb, list-verb, adjective, state, award-subject, award-object, ...
    needs_list: bool = False
    explain: dict = field(default_factory=dict)


def _is_gov(span: Span) -> bool:
    words = {t.lower_ for t in span}
    return span.label_ == "GOV" or bool(words & GOV_WORDS)


def _canonical_names(doc: Doc) -> dict[int, tuple[str, str | None]]:
    """Map each ORG/PERSON entity start to (canonical name, entity id): a lone "Lei" becomes
    the "Lei Jun" introduced earlier in the article."""
    out: dict[int, tuple[str, str | None]] = {}
    full_people: dict[str, Span] = {}
    for ent in doc.ents:
        if ent.label_ not in ("ORG", "PERSON"):
            continue
        eid = ent.ent_id_ or None
        name = ent.text.strip()
        if ent.label_ == "PERSON":
            if len(ent) >= 2:
                for tok in ent:
                    full_people.setdefault(tok.text, ent)
            elif ent.text in full_people:
                src = full_people[ent.text]
                name, eid = src.text.strip(), eid or (src.ent_id_ or None)
        out[ent.start] = (name, eid)
    return out


def _candidates(doc: Doc, lex: Lexicon) -> list[Candidate]:
    """Entities and resolved anaphors, in text order."""
    names = _canonical_names(doc)
    cands: list[Candidate] = []
    in_ent: set[int] = set()
    for ent in doc.ents:
        in_ent.update(range(ent.start, ent.end))
        if ent.label_ not in ("ORG", "PERSON") or _is_gov(ent):
            continue
        name, eid = names[ent.start]
        cands.append(Candidate(name, ent.label_, range(ent.start, ent.end), ent.root, eid))
    anaphors = {w.casefold() for w in lex.company_anaphors}
    orgs = [c for c in cands if c.label == "ORG"]
    sent_index = _sentence_index(doc)
    extra: list[Candidate] = []
    for tok in doc:
        if tok.i in in_ent:
            continue
        is_noun_anaphor = tok.lower_ in anaphors and tok.pos_ in ("NOUN", "PROPN") and any(
            c.lower_ in ("the", "this", "that") for c in tok.children)
        is_pronoun = tok.lower_ in ("it",) and tok.dep_ in ("nsubjpass", "dobj", "nsubj")
        if not (is_noun_anaphor or is_pronoun):
            continue
        prior = [c for c in orgs if c.root.i < tok.i and sent_index[tok.i] - sent_index[c.root.i] <= ANAPHOR_WINDOW]
        if not prior:
            continue
        ref = prior[-1]
        left = tok.left_edge.i if is_noun_anaphor else tok.i
        extra.append(Candidate(ref.name, "ORG", range(left, tok.i + 1), tok, ref.entity_id,
                               via_anaphor=doc[left:tok.i + 1].text))
    return sorted(cands + extra, key=lambda c: c.tokens.start)


def _sentence_index(doc: Doc) -> list[int]:
    idx = [0] * len(doc)
    for n, sent in enumerate(doc.sents):
        for i in range(sent.start, sent.end):
            idx[i] = n
    return idx


def _list_ref_in(tokens: Iterable[Token], lex: Lexicon) -> bool:
    nouns = {n.casefold() for n in lex.list_nouns}
    for t in tokens:
        if t.ent_type_ == "LIST" or t.lemma_.casefold() in nouns or t.lower_ in nouns:
            return True
    return False


def _prep_list_ref(tok: Token, preps: set[str], lex: Lexicon) -> bool:
    """Does ``tok`` carry a prepositional phrase (to/on/from/off ...) that names a list?"""
    for child in tok.children:
        if child.dep_ in ("prep", "dative", "prt") and child.lower_ in preps and _list_ref_in(child.subtree, lex):
            return True
        if child.dep_ == "prt" and child.lower_ in preps:  # "took Xiaomi off the list"
            for sib in tok.children:
                if sib.dep_ == "prep" and _list_ref_in(sib.subtree, lex):
                    return True
    return False


def _mentions_award(tok: Token) -> bool:
    """An award verb only counts with an award in its phrase: a named AWARD, an award noun
    ("the prize"), or the award noun it modifies ("an award given to ...")."""
    near = list(tok.children) + ([tok.head] if tok.dep_ in ("acl", "relcl") else [])
    for c in near:
        for t in (c.subtree if c is not tok.head else [c]):
            if t.ent_type_ == "AWARD" or t.lemma_.casefold() in AWARD_NOUNS:
                return True
    return False


def _is_passive(tok: Token) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children) or (
        tok.tag_ == "VBN" and tok.dep_ in ("acl", "amod"))


def find_triggers(sent: Span, lex: Lexicon) -> list[Trigger]:
    """Trigger words in a sentence, each with its tie kind."""
    tr = lex.triggers
    out: list[Trigger] = []
    to_list = {"to", "on", "onto", "in", "into", "under", "as"}
    from_list = {"from", "off", "out"}
    sent_has_list = _list_ref_in(sent, lex)
    for tok in sent:
        lemma = tok.lemma_.casefold()
        low = tok.lower_
        if tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB"):
            if lemma in tr.blacklist.standalone or low in tr.blacklist.standalone:
                out.append(Trigger(tok, "blacklist", "blacklist-verb"))
            elif lemma in tr.delisting.standalone:
                out.append(Trigger(tok, "delisting", "delist-verb"))
            elif lemma in tr.blacklist.needs_list and _prep_list_ref(tok, to_list, lex):
                out.append(Trigger(tok, "blacklist", "list-verb", needs_list=True))
            elif lemma in tr.delisting.needs_list and _prep_list_ref(tok, from_list, lex):
                out.append(Trigger(tok, "delisting", "list-verb", needs_list=True))
            elif lemma in tr.award.recipient_subject and _mentions_award(tok):
                out.append(Trigger(tok, "award", "award-subject"))
            elif lemma in tr.award.recipient_object and _mentions_award(tok):
                out.append(Trigger(tok, "award", "award-object"))
            elif lemma in ("be", "remain", "stay") and sent_has_list and _prep_list_ref(tok, {"on", "in"}, lex):
                out.append(Trigger(tok, "blacklist", "state"))
        elif tok.dep_ == "amod" and low in tr.blacklist.adjectives:
            out.append(Trigger(tok, "blacklist", "adjective"))
    return out


def hedge(trigger: Token, lex: Lexicon) -> str | None:
    """Why the trigger is not a statement of fact (negated, modal, sought, denied), or None."""
    h = lex.hedges
    neg, modal, lemmas = set(h.negation), set(h.modal), set(h.lemmas)
    tok = trigger
    via_conj = False
    for _ in range(8):
        if not via_conj:
            for c in tok.children:
                if c.dep_ == "neg" or (c.lower_ in neg and c.dep_ in ("neg", "advmod", "det")):
                    return f"negated by '{c.text}'"
                if c.dep_ == "aux" and c.lower_ in modal:
                    return f"modal '{c.text}'"
                if c.dep_ == "mark" and c.lower_ in ("if", "whether", "unless"):
                    return f"conditional '{c.text}'"
                if c.dep_ == "aux" and c.lower_ == "to" and tok.dep_ in ("xcomp", "advcl", "acl", "ccomp", "relcl") \
                        and tok.head.lemma_.casefold() not in FACTUAL_INF_HEADS:
                    return f"purpose or intent ('to {tok.text}' under '{tok.head.text}')"
        if tok is not trigger and tok.lemma_.casefold() in lemmas:
            return f"under '{tok.text}'"
        if tok.dep_ in ("xcomp", "ccomp", "advcl", "acl", "conj", "pcomp") and tok.head is not tok:
            via_conj = tok.dep_ == "conj"
            tok = tok.head
            continue
        if tok.dep_ == "pobj" and tok.head.dep_ == "prep":  # "... for the company being blacklisted"
            via_conj = False
            tok = tok.head.head
            continue
        break
    return None


def _role_tokens(trig: Trigger) -> tuple[set[int], str]:
    """Token indices of the trigger's patient (the entity the tie is about) and the role's name."""
    t = trig.token
    idx: set[int] = set()
    roles: list[str] = []

    def take(tok: Token, role: str) -> None:
        idx.update(x.i for x in tok.subtree)
        roles.append(role)

    if trig.kind == "adjective":
        head = t.head
        idx.update(x.i for x in head.subtree if x.i != t.i)
        return idx, "modified noun"
    if trig.kind == "state" or trig.kind == "award-subject" and not _is_passive(t):
        for c in t.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                take(c, c.dep_)
        return idx, "+".join(roles)
    passive = _is_passive(t)
    for c in t.children:
        if passive and c.dep_ == "nsubjpass":
            take(c, "passive subject")
        elif not passive and c.dep_ in ("dobj", "dative"):
            take(c, "object" if c.dep_ == "dobj" else "recipient")
        elif c.dep_ in ("prep", "dative") and c.lower_ == "to" and trig.tie == "award":
            take(c, "recipient (to)")
        elif c.dep_ == "nsubj" and trig.kind == "award-subject":
            take(c, "subject")
    if passive and t.dep_ in ("acl", "amod") and trig.tie != "award":
        head = t.head
        trig_sub = {x.i for x in t.subtree}
        idx.update(x.i for x in head.subtree if x.i not in trig_sub)
        roles.append("noun the participle modifies")
    if not idx and t.dep_ == "conj":  # "blacklisted and sanctioned Huawei" / "was added and banned"
        return _role_tokens(Trigger(t.head, trig.tie, trig.kind))
    return idx, "+".join(roles)


def _agent_tokens(t: Token) -> set[int]:
    """The doer: "by X" of a passive, subject of an active trigger (never a target)."""
    out: set[int] = set()
    for c in t.children:
        if c.dep_ == "agent" or (c.dep_ == "prep" and c.lower_ == "by"):
            out.update(x.i for x in c.subtree)
    return out


def _nested(c: Candidate, others: list[Candidate]) -> bool:
    """Is ``c`` a modifier inside another candidate's phrase ("Xiaomi" in "Xiaomi CEO Lei Jun")?"""
    for o in others:
        if o is c or o.label != "PERSON" or c.label != "ORG":
            continue
        if c.tokens.stop <= o.tokens.start and o.tokens.start - c.tokens.stop <= 4:
            between = c.root.doc[c.tokens.stop:o.tokens.start]
            if all(t.lower_ in LINK_WORDS or t.pos_ in ("NOUN", "PROPN") for t in between):
                return True
    return False


def _norm_award(span: Span, lex: Lexicon) -> str:
    """An award as named: quotes and a trailing generic "award" dropped when the inner title is known."""
    text = span.text.strip()
    inner = text
    quote_chars = "“”\"‘’«»„'"
    if inner and inner[0] in quote_chars:
        inner = inner[1:]
        for qc in quote_chars:
            pos = inner.rfind(qc)
            if pos > 0:
                inner = inner[:pos]
                break
    inner = inner.strip()
    if inner.lower().startswith("the "):
        inner = inner[4:]
    for award in lex.awards:
        if inner.casefold() == award.casefold():
            return award
    return inner


def _reason(trig: Trigger, sents: list[Span], si: int, lex: Lexicon) -> tuple[str | None, str, float]:
    """(reason, where it came from, confidence factor)."""
    label = "AWARD" if trig.tie == "award" else "LIST"
    order = [si] + [j for d in range(1, NEIGHBOURHOOD + 1) for j in (si - d, si + d) if 0 <= j < len(sents)]
    for j in order:
        sent = sents[j]
        ents = [e for e in sent.ents if e.label_ == label]
        if ents:
            tok = trig.token
            ents.sort(key=lambda e: abs(e.root.i - tok.i))
            e = ents[0]
            if label == "AWARD":
                return _norm_award(e, lex), ("sentence" if j == si else f"sentence {j - si:+d}"), (
                    1.0 if j == si else 0.85)
            name = e.ent_id_ or lex.list_for_alias(e.text) or e.text
            return name, ("list named in sentence" if j == si else f"list named in sentence {j - si:+d}"), (
                1.0 if j == si else 0.9)
        if label == "LIST":
            govs = [e for e in sent.ents if e.label_ == "GOV"]
            if govs:
                name = govs[0].ent_id_ or lex.list_for_issuer(govs[0].text)
                if name:
                    src = f"issuer '{govs[0].text}'" + ("" if j == si else f" in sentence {j - si:+d}")
                    return name, src, (0.95 if j == si else 0.9)
    if label == "LIST":
        return "unnamed government list", "no list or issuer named nearby", 0.75
    return None, "no award named nearby", 0.0


def _leader_links(doc: Doc, cands: list[Candidate], lex: Lexicon) -> dict[str, tuple[Candidate, str]]:
    """person key -> (company candidate, sentence) where the text says the person leads it."""
    roles = {r.casefold() for r in lex.leader_roles}
    links: dict[str, tuple[Candidate, str]] = {}
    people = [c for c in cands if c.label == "PERSON" and c.via_anaphor is None]
    orgs = [c for c in cands if c.label == "ORG" and c.via_anaphor is None]
    for p in people:
        for o in orgs:
            if p.root.sent != o.root.sent:
                continue
            if o.tokens.stop <= p.tokens.start:      # "Xiaomi CEO Lei Jun", "Xiaomi's founder Lei Jun"
                between = doc[o.tokens.stop:p.tokens.start]
                after = []
            else:                                     # "Lei Jun, chief executive of Xiaomi" / ", Xiaomi's CEO"
                between = doc[p.tokens.stop:o.tokens.start]
                after = list(doc[o.tokens.stop:min(o.tokens.stop + 3, len(doc))])
            if len(between) > 6:
                continue
            words = [t.lower_ for t in between]
            ok_words = all(w in roles or w in LINK_WORDS for w in words)
            has_role = any(w in roles for w in words)
            if not has_role and after and after[0].lower_ in ("'s", "’s"):
                has_role = any(t.lower_ in roles for t in after[1:])
            if ok_words and has_role:
                links.setdefault(p.key, (o, p.root.sent.text.strip()))
    return links


def detect_ties(doc: Doc, lex: Lexicon) -> list[Finding]:
    """All findings in an annotated document, one per (entity, tie, reason), best evidence kept."""
    sents = list(doc.sents)
    cands = _candidates(doc, lex)
    raw: list[tuple[Finding, Candidate]] = []
    for si, sent in enumerate(sents):
        sent_cands = [c for c in cands if sent.start <= c.root.i < sent.end]
        if not sent_cands:
            continue
        for trig in find_triggers(sent, lex):
            why_not = hedge(trig.token, lex)
            if why_not:
                continue
            reason, reason_src, reason_conf = _reason(trig, sents, si, lex)
            if reason is None:
                continue
            role_idx, role = _role_tokens(trig)
            agent = _agent_tokens(trig.token)
            targets = [c for c in sent_cands if c.root.i in role_idx and c.root.i not in agent
                       and c.root.i != trig.token.i]
            targets = [c for c in targets if not _nested(c, targets)]
            base = 0.9
            if not targets:
                continue
            for c in targets:
                conf = base * reason_conf * (0.9 if c.via_anaphor else 1.0)
                f = Finding(
                    entity=c.name, entity_type="PERSON" if c.label == "PERSON" else "ORG", tie=trig.tie,
                    reason=reason, evidence=sent.text.strip(), confidence=round(conf, 3),
                    entity_id=c.entity_id, sentence_index=si,
                    explain={"trigger": trig.token.text, "trigger_kind": trig.kind, "role": role,
                             "reason_source": reason_src, "anaphor": c.via_anaphor,
                             "confidence": {"role": base, "reason": reason_conf,
                                            "anaphor": 0.9 if c.via_anaphor else 1.0}},
                )
                raw.append((f, c))
    links = _leader_links(doc, cands, lex)
    propagated: list[Finding] = []
    for f, c in raw:
        if c.label == "PERSON" and c.key in links:
            org, link_sentence = links[c.key]
            propagated.append(Finding(
                entity=org.name, entity_type="ORG", tie=f.tie, reason=f.reason, evidence=f.evidence,
                via=f.entity, confidence=round(f.confidence * 0.9, 3), entity_id=org.entity_id,
                sentence_index=f.sentence_index,
                explain={**f.explain, "propagated_from": f.entity, "leader_link": link_sentence,
                         "confidence": {**f.explain["confidence"], "propagation": 0.9}},
            ))
    return best_per_group([f for f, _ in raw] + propagated)


def best_per_group(findings: list[Finding]) -> list[Finding]:
    """Keep one finding per (entity, tie, reason, via): the most confident, earliest on ties."""
    best: dict[tuple, Finding] = {}
    for f in findings:
        k = (f.entity_key, f.tie, f.reason.casefold(), f.via)
        cur = best.get(k)
        if cur is None or f.confidence > cur.confidence:
            best[k] = f
    return sorted(best.values(), key=lambda f: (f.sentence_index, f.entity, f.tie))
