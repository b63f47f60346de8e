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

from ..models import EntityType, Finding, Tie
from .abbreviations import short_forms as abbreviation_short_forms
from .enumerations import ALIAS_MARKERS, LIST_HEADS, LIST_ITEMS
from .lexicon import AWARD_NOUNS, Lexicon
from .names import is_title_case

NEIGHBOURHOOD = 2  # sentences either side searched for a list/award named nearby
ANAPHOR_WINDOW = 3  # sentences back searched for the company "the company" means
GOV_WORDS = {
    "department",
    "ministry",
    "commission",
    "agency",
    "bureau",
    "administration",
    "government",
    "congress",
    "senate",
    "court",
    "pentagon",
    "treasury",
    "office",
    "parliament",
    "council",
}
LINK_WORDS = {"'s", "’s", "and", "&", ",", "-", "–", "of", "the", "a", "its", "executive", "officer"}
# Dependency steps that keep an entity inside the target phrase ("drone maker DJI and BGI",
# "28 entities, including Hikvision"); any other step (possessor, "chairman of X", a relative
# clause) makes it a bystander of the target, not the target.
TARGET_DEPS = {"compound", "conj", "cc", "appos", "nmod", "npadvmod", "nummod", "amod", "punct", "det", "quantmod"}
MEMBER_PREPS = {"including", "like", "among", "as", "alongside", "with", "plus"}
RELATIVE_PRONOUNS = {"which", "who", "that", "whom"}
# "the WeChat owner", "Huawei's rival", "a Qualcomm customer": the ORG names someone else.
RELATIONAL_NOUNS = {
    "owner",
    "parent",
    "rival",
    "competitor",
    "customer",
    "client",
    "supplier",
    "partner",
    "investor",
    "shareholder",
    "subsidiary",
    "affiliate",
    "unit",
    "spin-off",
    "spinoff",
    "backer",
    "buyer",
    "seller",
    "user",
    "peer",
    "founder",
    "ceo",
    "chairman",
    "executive",
    "official",
    "spokesperson",
}
PRODUCT_NOUNS = {
    "gear",
    "equipment",
    "product",
    "device",
    "camera",
    "drone",
    "chip",
    "component",
    "hardware",
    "service",
    "software",
    "technology",
    "system",
    "module",
    "router",
    "handset",
    "phone",
}
QUANTITY_WORDS = {
    "dozen",
    "dozens",
    "hundred",
    "hundreds",
    "score",
    "scores",
    "number",
    "some",
    "several",
    "many",
    "handful",
    "all",
    "most",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
}
LAW_WORDS = {"act", "law", "regulation", "regulations", "order", "rule"}
FACTUAL_INF_HEADS = {
    "move", "decide", "vote", "agree", "act", "opt", "choose", "elect", "proceed", "begin", "continue", "order",
    "decision", "ruling",  # "the decision to add X": the act was decided, not intended
    "determine", "determination",  # the Federal Register: "the ERC determined to add X", "made a determination to add"
}  # fmt: skip


@dataclass
class Candidate:
    """A possible target: a named entity, or an anaphor resolved to one."""

    name: str
    label: str
    tokens: range
    root: Token
    entity_id: str | None = None
    via_anaphor: str | None = None  # the anaphor text ("the company", "it") when resolved
    gov: bool = False  # a government body: a target only as the act's own patient, never a bystander

    @property
    def key(self) -> str:
        return self.entity_id or f"name:{self.name.casefold()}"


@dataclass
class Trigger:
    token: Token
    tie: Tie
    kind: str  # blacklist-verb, list-verb, adjective, state, award-subject, award-object, ...
    needs_list: bool = False
    explain: dict = field(default_factory=dict)


def _is_gov(span: Span) -> bool:
    """An issuer the lexicon knows, or a name headed by a government word ("the Ministry of Commerce",
    "the Security Council"; not "the Institute of Forensic Science of the Ministry of ...")."""
    if span.label_ == "GOV":
        return True
    head = next((t for t in span if t.lower_ in ("of", "for")), None)
    words = [t.lower_ for t in (span[: head.i - span.start] if head is not None else span)]
    return bool(words) and words[-1] in GOV_WORDS


def _canonical_names(doc: Doc) -> dict[int, tuple[str, str | None]]:
    """Map each ORG/PERSON entity start to (canonical name, entity id): a lone "Lei" becomes
    the "Lei Jun" introduced earlier in the article."""
    out: dict[int, tuple[str, str | None]] = {}
    full_people: dict[str, Span] = {}
    short_forms = abbreviation_short_forms(doc)
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
        elif ent.text in short_forms:
            src = short_forms[ent.text]
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
        if ent.label_ not in ("ORG", "PERSON") or (ent.label_ == "PERSON" and {t.lower_ for t in ent} & GOV_WORDS):
            continue  # "Treasury Secretary Janet Yellen" names an official of the issuer
        if ent.label_ == "PERSON" and all(t.lower_ in TITLE_WORDS for t in ent):
            continue  # "Foreign Minister" tagged as a person
        if sum(ch.isdigit() for ch in ent.text) >= 4 and "-" in ent.text:
            continue  # "EW-78843": an aircraft's or vessel's registration, not a company
        name, eid = names[ent.start]
        if ent.label_ == "ORG" and len(ent) > 1 and ent[0].lower_ == "the":
            name = name[4:].strip() if name.lower().startswith("the ") else name
        cands.append(Candidate(name, ent.label_, range(ent.start, ent.end), ent.root, eid, gov=_is_gov(ent)))
    anaphors = {w.casefold() for w in lex.company_anaphors}
    # an ORG entity that is only an anaphor noun ("the Company" in a filing) refers back, it names nothing
    tagged_anaphors = {
        c.root.i
        for c in cands
        if c.label == "ORG"
        and c.entity_id is None
        and all(
            t.lower_ in anaphors or t.lower_ in ("the", "this", "that") for t in doc[c.tokens.start : c.tokens.stop]
        )
    }
    cands = [c for c in cands if c.root.i not in tagged_anaphors and not _cut_off(doc, c)]
    in_ent -= tagged_anaphors
    orgs = [
        c
        for c in cands
        if c.label == "ORG"
        and not c.gov
        and doc[c.tokens.stop - 1].lower_ not in LAW_WORDS
        and not (c.root.dep_ == "compound" and c.root.head.lemma_.casefold() in RELATIONAL_NOUNS)
    ]
    defined = _defined_terms(doc, orgs)
    sent_index = _sentence_index(doc)
    extra: list[Candidate] = []
    for tok in doc:
        if tok.i in in_ent:
            continue
        is_noun_anaphor = (
            tok.lower_ in anaphors
            and tok.pos_ in ("NOUN", "PROPN")
            and any(c.lower_ in ("the", "this", "that") for c in tok.children)
        )
        is_pronoun = tok.lower_ in ("it",) and tok.dep_ in ("nsubjpass", "dobj", "nsubj")
        if tok.lower_ in ("he", "she") and tok.dep_ in ("nsubjpass", "nsubj"):
            person = _person_meant(tok, cands, sent_index)
            if person is not None:
                extra.append(
                    Candidate(
                        person.name, "PERSON", range(tok.i, tok.i + 1), tok, person.entity_id, via_anaphor=tok.text
                    )
                )
            continue
        if not (is_noun_anaphor or is_pronoun):
            continue
        if is_noun_anaphor and tok.lower_ in defined and defined[tok.lower_].root.i < tok.i:
            ref = defined[tok.lower_]
        else:
            prior = [c for c in orgs if c.root.i < tok.i and sent_index[tok.i] - sent_index[c.root.i] <= ANAPHOR_WINDOW]
            if not prior:
                continue
            ref = _salient(prior, sent_index)
        left = tok.left_edge.i if is_noun_anaphor else tok.i
        extra.append(
            Candidate(
                ref.name, "ORG", range(left, tok.i + 1), tok, ref.entity_id, via_anaphor=doc[left : tok.i + 1].text
            )
        )
    return sorted(cands + extra, key=lambda c: c.tokens.start)


def _person_meant(pronoun: Token, cands: list[Candidate], sent_index: list[int]) -> Candidate | None:
    """The person "he"/"she" at the start of a clause stands for, only when it is plain: the one person
    named (by full name) in the sentence before and none earlier in its own sentence."""
    here = sent_index[pronoun.i]
    people = [c for c in cands if c.label == "PERSON" and c.via_anaphor is None and c.root.i < pronoun.i]
    if any(sent_index[c.root.i] == here for c in people):
        return None
    before = {c.key: c for c in people if sent_index[c.root.i] == here - 1}
    if len(before) != 1:
        return None
    person = next(iter(before.values()))
    return person if " " in person.name else None


def _cut_off(doc: Doc, c: Candidate) -> bool:
    """Does the name end a text that stops mid-sentence ("... and Xinjiang Zinc Ind")? An excerpt or a
    truncated feed item cuts names; the part left is no name of the entity."""
    rest = [t for t in doc[c.tokens.stop :] if not t.is_space]
    return not rest and not doc.text.rstrip().endswith((".", "!", "?", '"', "”", ")", "’", "'"))


def _defined_terms(doc: Doc, orgs: list[Candidate]) -> dict[str, Candidate]:
    """Filing-style definitions: ``Xiaomi Corporation (the "Company")`` makes every later
    "the Company" mean Xiaomi Corporation, however far away."""
    out: dict[str, Candidate] = {}
    for c in orgs:
        window = doc[c.tokens.stop : min(c.tokens.stop + 6, len(doc))]
        if not window or window[0].text != "(":
            continue
        words = [t for t in window[1:] if t.is_alpha and t.lower_ != "the"]
        if words and (words[0].is_title or words[0].is_upper):
            out.setdefault(words[0].lower_, c)
    return out


def _salient(prior: list[Candidate], sent_index: list[int]) -> Candidate:
    """The company an anaphor most likely means: the most recent subject among the ORGs before it
    (a sentence is about its subject, not about an ORG in a modifier), else the least embedded ORG
    of the latest sentence naming one."""

    def subjectish(c: Candidate) -> bool:
        tok = c.root
        for _ in range(4):
            if tok.dep_ in ("nsubj", "nsubjpass"):
                return True
            if tok.dep_ not in ("compound", "appos", "conj") or tok.head.i == tok.i:
                return False
            if tok.dep_ == "compound" and tok.head.lemma_.casefold() in RELATIONAL_NOUNS:
                return False
            tok = tok.head
        return False

    def depth(c: Candidate) -> int:
        tok, n = c.root, 0
        while tok.head.i != tok.i and n < 40:
            tok, n = tok.head, n + 1
        return n

    subjects = [c for c in prior if subjectish(c)]
    if subjects and sent_index[subjects[-1].root.i] >= sent_index[prior[-1].root.i] - 1:
        return subjects[-1]
    # no subject: of the ORGs in the latest sentence naming one, the least embedded ("Lawyers for
    # Hexwave, including partners at Kestrel Law, argued that ... the company": Hexwave)
    last = [c for c in prior if sent_index[c.root.i] == sent_index[prior[-1].root.i]]
    return min(reversed(last), key=depth)


def _sentence_index(doc: Doc) -> list[int]:
    idx = [0] * len(doc)
    for n, sent in enumerate(doc.sents):
        for i in range(sent.start, sent.end):
            idx[i] = n
    return idx


def _list_ref_in(tokens: Iterable[Token], lex: Lexicon) -> bool:
    nouns = {n.casefold() for n in lex.list_nouns}
    for t in tokens:
        if t.ent_type_ == "LIST":
            return True
        if (
            (t.lemma_.casefold() in nouns or t.lower_ in nouns)
            and t.ent_type_ != "AWARD"
            and not any(c.ent_type_ == "AWARD" for c in t.children)
            and not (t.i > 0 and t.doc[t.i - 1].ent_type_ == "AWARD")
        ):
            return True
    return False


def _linear_list_prep(tok: Token, preps: set[str], lex: Lexicon) -> int | None:
    """Surface fallback when the parse misattaches the list phrase ("added A and B to the Entity
    List" with "to" hung on B): the first to/on/from ... naming a list to the right of the verb,
    with no other verb or clause break in between. Returns the preposition's index."""
    sent = tok.sent
    for t in tok.doc[tok.i + 1 : min(sent.end, tok.i + 30)]:
        other_verb = t.tag_ in ("VBD", "VBZ", "VBP", "MD") and not t.ent_type_ and t.dep_ not in ("amod", "compound")
        if t.text in (";", ":") or other_verb:
            return None
        if t.lower_ in preps and _list_ref_in(tok.doc[t.i + 1 : min(sent.end, t.i + 6)], lex):
            return t.i
    return None


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
        for t in c.subtree if c.i != tok.head.i else [c]:
            if t.ent_type_ == "AWARD" or t.lemma_.casefold() in AWARD_NOUNS:
                return True
    return False


def _is_passive(tok: Token) -> bool:
    return any(c.dep_ in ("nsubjpass", "auxpass") for c in tok.children) or (
        tok.tag_ == "VBN" and tok.dep_ in ("acl", "amod")
    )


def find_triggers(sent: Span, lex: Lexicon) -> list[Trigger]:
    """Trigger words in a sentence, each with its tie kind."""
    tr = lex.triggers
    out: list[Trigger] = []
    to_list = {"to", "on", "onto", "in", "into", "under", "as"}
    from_list = {"from", "off", "out"}
    sent_has_list = _list_ref_in(sent, lex)
    winners = {w.casefold() for w in tr.award.recipient_nouns}
    for tok in sent:
        lemma = tok.lemma_.casefold()
        low = tok.lower_
        if low == "including" or (tok.dep_ == "prep" and tok.tag_ == "VBG"):
            continue  # "..., including X" introduces members; it is not an act of its own
        if (
            (low in winners or lemma in winners)
            and tok.dep_ in ("appos", "attr")
            and any(p.lower_ == "of" and any(x.ent_type_ == "AWARD" for x in p.subtree) for p in tok.children)
        ):
            out.append(Trigger(tok, "award", "recipient-noun"))  # "X, a recipient of the Y Award"
            continue
        if lemma == "go" and _award_goes_to(tok):
            out.append(Trigger(tok, "award", "award-goes"))  # "The medal went to X"
            continue
        nominal = _nominal_act(tok, lex)
        if nominal is not None:
            out.append(Trigger(tok, nominal[0], "nominal", explain={"verb": nominal[1]}))
            continue
        sanction_act = _sanctions_act(tok)
        if sanction_act is not None:
            out.append(Trigger(tok, sanction_act, "sanctions-noun"))
            continue
        if lemma in STATE_VERBS and _state_adjective(tok, lex, sent_has_list):
            out.append(Trigger(tok, "blacklist", "state"))
            continue
        if low == "subject" and _subject_to_sanctions(tok):
            out.append(Trigger(tok, "blacklist", "subject-to"))
            continue
        if (
            (lemma in tr.blacklist.standalone or low in tr.blacklist.adjectives or lemma in ISSUER_VERBS)
            and (tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB"))
            and _prenominal_only(tok)
        ):
            continue  # "the blacklisted telecom giant", "previously sanctioned firms such as X": a noun phrase
        if tok.pos_ in ("VERB", "AUX") or tok.tag_.startswith("VB"):
            if lemma in tr.blacklist.standalone or low in tr.blacklist.standalone:
                out.append(Trigger(tok, "blacklist", "blacklist-verb"))
            elif lemma in tr.delisting.standalone:
                if not _stock_exchange_sense(sent):
                    out.append(Trigger(tok, "delisting", "delist-verb"))
            elif lemma in ISSUER_VERBS and (
                any(e.label_ in ("GOV", "LIST") for e in sent.ents)
                or any(x.lower_ in ("e.o.", "eo") or x.text == "Executive" for x in sent)
                or _designated_for_conduct(tok)
            ):
                out.append(Trigger(tok, "blacklist", "issuer-verb"))  # "OFAC designated X", "re-designated X"
            elif lemma in tr.blacklist.needs_list and _prep_list_ref(tok, to_list, lex):
                out.append(Trigger(tok, "blacklist", "list-verb", needs_list=True))
            elif lemma in tr.delisting.needs_list and _prep_list_ref(tok, from_list, lex):
                out.append(Trigger(tok, "delisting", "list-verb", needs_list=True))
            elif lemma in tr.blacklist.needs_list and (prep := _linear_list_prep(tok, to_list, lex)) is not None:
                out.append(Trigger(tok, "blacklist", "list-verb", needs_list=True, explain={"linear_prep": prep}))
            elif lemma in tr.delisting.needs_list and (prep := _linear_list_prep(tok, from_list, lex)) is not None:
                out.append(Trigger(tok, "delisting", "list-verb", needs_list=True, explain={"linear_prep": prep}))
            elif lemma in tr.blacklist.list_subject and _list_subject(tok, lex):
                out.append(Trigger(tok, "blacklist", "list-includes"))
            elif lemma in tr.award.recipient_subject and _mentions_award(tok):
                out.append(Trigger(tok, "award", "award-subject"))
            elif lemma in tr.award.recipient_object and _mentions_award(tok):
                out.append(Trigger(tok, "award", "award-object"))
            elif lemma in ("be", "remain", "stay") and sent_has_list and _prep_list_ref(tok, {"on", "in"}, lex):
                no_longer = any(
                    c.lower_ == "longer" and any(x.lower_ == "no" for x in c.children) for c in tok.children
                )
                out.append(Trigger(tok, "delisting" if no_longer else "blacklist", "state"))
            elif lemma == "be" and any(
                c.dep_ == "prep"
                and c.lower_ == "among"
                and any(o.lemma_.casefold() in winners or o.lower_ in winners for o in c.children)
                for c in tok.children
            ):
                out.append(Trigger(tok, "award", "award-state"))  # "X was among the winners"
            elif (
                lemma in tr.blacklist.needs_list
                and _is_passive(tok)
                and not sent_has_list
                and any(c.lower_ in ("also", "too") for c in tok.children)
                and _list_ref_in(_previous(sent), lex)
            ):
                out.append(Trigger(tok, "blacklist", "continued"))  # "... to the list. Megvii was also named."
            elif (
                lemma in ("name", "list", "identify", "include")
                and _is_passive(tok)
                and not sent_has_list
                and _counted_subject(tok)
                and any(e.label_ == "LIST" for e in sent.doc[: sent.start].ents)
            ):
                out.append(Trigger(tok, "blacklist", "continued"))  # "Several companies were named as part of it."
        elif tok.dep_ == "amod" and low in tr.blacklist.adjectives and _copula_subject(tok.head):
            # "The sanctioned entities are: (i) X ...", "Sanctioned firms include X"; never a noun phrase
            # alone ("Huawei, the blacklisted telecom giant", "sales to blacklisted firms such as X")
            out.append(Trigger(tok, "blacklist", "adjective"))
    return out


def _counted_subject(verb: Token) -> bool:
    """Is the passive subject of ``verb`` a counted or plural member noun ("Several specific companies",
    "Twelve entities")?"""
    for c in verb.children:
        if c.dep_ == "nsubjpass" and c.tag_ == "NNS" and c.lemma_.casefold() in MEMBER_NOUNS:
            return any(_is_quantity(x) or x.lower_ in ("these", "the", "following") for x in c.children)
    return False


def _prenominal_only(tok: Token) -> bool:
    """A participle before its noun ("blacklisted firms") whose noun is no copula's subject: a
    modifier inside a noun phrase, which states no tie ("The sanctioned entities are ..." does)."""
    return (
        tok.dep_ == "amod"
        and tok.head.i > tok.i
        and tok.tag_ == "VBN"
        and all(c.dep_ in ("advmod", "punct") for c in tok.children)  # "the DoD designated X": a verb misparsed
        and not _copula_subject(tok.head)
    )


def _copula_subject(noun: Token) -> bool:
    """Is ``noun`` the subject of a copula or of "include" ("The sanctioned entities are ...")?"""
    return noun.dep_ in ("nsubj", "nsubjpass") and noun.head.lemma_.casefold() in COPULAS


EXCHANGE_WORDS = {"exchange", "nasdaq", "nyse", "bourse", "stock", "shares", "listing", "ipo"}


def _stock_exchange_sense(sent: Span) -> bool:
    """ "The Nasdaq delisted X", "delisting from the New York Stock Exchange": a share listing, no list
    of a government (no list named in the sentence, a stock exchange word)."""
    return not any(e.label_ == "LIST" for e in sent.ents) and any(t.lower_ in EXCHANGE_WORDS for t in sent)


def _designated_for_conduct(tok: Token) -> bool:
    """Sanctions wording without the issuer: "X was designated for operating in the ... sector",
    "... designated pursuant to ...": a passive "designated" with a conduct gerund or an authority."""
    if not any(c.dep_ == "nsubjpass" for c in tok.children):
        return False
    for c in tok.children:
        if c.dep_ == "prep" and c.lower_ == "pursuant":
            return True
        if c.dep_ == "prep" and c.lower_ == "for" and any(g.dep_ == "pcomp" and g.tag_ == "VBG" for g in c.children):
            return True
    return False


def _previous(sent: Span) -> Span:
    """The sentence before ``sent`` (empty at the start)."""
    doc = sent.doc
    if sent.start == 0:
        return doc[0:0]
    return doc[sent.start - 1].sent


STATE_VERBS = {"be", "remain", "stay", "continue"}
TITLE_WORDS = {
    "president", "prime", "minister", "foreign", "deputy", "vice", "princess", "prince", "king", "queen",
    "secretary", "general", "chairman", "premier", "senator", "governor", "ambassador", "former", "the",
}  # fmt: skip
ISSUER_VERBS = {"designate", "redesignate", "re-designate"}  # a listing when a list's issuer is in the sentence
STATE_WORDS = {"sanctioned", "blacklisted", "designated", "listed"}
COPULAS = {"include", "be", "comprise", "feature", "cover", "number", "contain", "encompass"}
# (with the forms of "freeze", so that the cascade, which reads this set, keeps "froze the assets of X")
SANCTION_NOUNS = {"sanction", "sanctions", "freeze", "froze", "frozen", "freezes", "designation", "designations"}
IMPOSE_VERBS = {
    "impose",
    "levy",
    "slap",
    "place",
    "put",
    "apply",
    "reimpose",
    "re-impose",
    "maintain",
    "keep",
    "retain",
    # "froze the assets of X" (read in _sanctions_act); written out so that the cascade, which takes its
    # verbs of imposing from this set, keeps the sentence
    "freeze",
    "froze",
    "frozen",
}
LIFT_VERBS = {"lift", "remove", "ease", "end", "drop", "revoke", "rescind", "terminate", "withdraw", "delist"}
# nouns a continued act lists its members under ("Among the nine companies were ...", "They are ...")
MEMBER_NOUNS = {
    "company",
    "firm",
    "entity",
    "organization",
    "organisation",
    "business",
    "individual",
    "person",
    "people",
    "bank",
    "institution",
    "name",
    "unit",
    "subsidiary",
    "affiliate",
    "party",
    "target",
    "exporter",
    "supplier",
    "maker",
    "manufacturer",
    "one",
    "other",
    "others",
    "they",
    "these",
    "those",
    "recipient",
    "honoree",
    "honouree",
    "awardee",
    "winner",
    "laureate",
    "entrepreneur",
    "figure",
    "worker",
    "official",
    "executive",
}


def _act_word(tok: Token, lex: Lexicon) -> Tie | None:
    """The tie a word that names an act carries: "added", "designated", "removed", "honoured"..."""
    tr = lex.triggers
    lemma, low = tok.lemma_.casefold(), tok.lower_
    if lemma == low and low.endswith("ed") and tok.tag_ in ("JJ", "VBN", "VBD"):
        # "the designated firms": the tagger's adjective keeps its -ed; the verb it comes from
        known = {*tr.blacklist.standalone, *tr.blacklist.needs_list, *tr.delisting.standalone, "remove", "delete"}
        lemma = next((x for x in (low[:-1], low[:-2], low[:-3]) if x in known), lemma)
    if low in tr.blacklist.adjectives or lemma in tr.blacklist.standalone or lemma in tr.blacklist.needs_list:
        return "blacklist" if lemma not in ("include", "name", "keep", "move", "identify") else None
    if lemma in tr.delisting.standalone or lemma in ("remove", "delete", "delist"):
        return "delisting"
    if lemma in tr.award.recipient_object and lemma not in ("name", "give", "hand"):
        return "award"
    return None


def _nominal_act(tok: Token, lex: Lexicon) -> tuple[Tie, int] | None:  # noqa: PLR0911
    """A noun that names the act as the subject of "include"/"be"/"join": "New additions to the list
    include X", "Other honorees include X", "The newly added entities are X", "These designations
    include X". Returns (tie, index of the verb) or None."""
    if tok.dep_ not in ("nsubj", "nsubjpass") or (
        tok.pos_ not in ("NOUN", "PROPN", "NUM") and tok.lower_ not in ("those", "others")
    ):
        return None
    verb = tok.head
    tr = lex.triggers
    low, lemma = tok.lower_, tok.lemma_.casefold()
    if verb.lemma_.casefold() not in COPULAS | {"join"}:
        # "Companies added to the list on Friday include X", parsed with "added" as the main verb
        cop = next(
            (
                c
                for c in verb.children
                if c.dep_ in ("ccomp", "advcl", "conj", "dep") and c.lemma_.casefold() in COPULAS and c.i > verb.i
            ),
            None,
        )
        act = _act_word(verb, lex) if verb.tag_ in ("VBN", "VBD") else None
        if (
            cop is not None
            and act is not None
            and lemma in MEMBER_NOUNS
            and not any(c.dep_ == "dobj" for c in verb.children)
        ):
            return act, cop.i
        return None
    if low in tr.blacklist.nouns or lemma in tr.blacklist.nouns:
        return "blacklist", verb.i
    if (low in tr.delisting.nouns or lemma in tr.delisting.nouns) and not _stock_exchange_sense(tok.sent):
        return "delisting", verb.i
    if low in tr.award.recipient_nouns or lemma in tr.award.recipient_nouns:
        return "award", verb.i
    noun = tok
    if tok.like_num or tok.lemma_.casefold() in QUANTITY_WORDS | {"one", "some", "all", "most"}:
        of = next((c for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"), None)
        pobj = next((o for o in of.children if o.dep_ == "pobj"), None) if of is not None else None
        if pobj is not None:
            noun, lemma = pobj, pobj.lemma_.casefold()  # "Four of the 15 individuals that were awarded ..."
    if lemma in MEMBER_NOUNS or low in ("those", "others"):  # "Those sanctioned include X"
        for c in noun.children:
            if c.dep_ in ("amod", "acl", "compound", "relcl") and c.i != noun.i:
                act = _act_word(c, lex)
                if act is not None:
                    return act, verb.i  # "the sanctioned entities are", "the companies added ... include"
    return None


def _sanctions_act(tok: Token) -> Tie | None:
    """ "imposed (full blocking) sanctions on X" is a listing, "lifted sanctions on X" / "removed
    blocking sanctions from X" a delisting: a verb with a sanctions noun as its object."""
    if not (tok.pos_ == "VERB" or tok.tag_.startswith("VB")):
        return None
    lemma = tok.lemma_.casefold()
    if lemma == "freeze" and any(c.dep_ == "dobj" and c.lemma_.casefold() in ("asset", "assets") for c in tok.children):
        return "blacklist"  # "Britain froze the assets of X"
    if lemma in ("target", "hit") and any(
        c.dep_ == "nsubj" and c.lemma_.casefold() in SANCTION_NOUNS for c in tok.children
    ):
        return "blacklist"  # "The sanctions target X, Y and Z"
    if lemma in ("hit", "slap", "target", "punish") and _with_sanctions(tok) and _is_passive(tok):
        return "blacklist"  # "X and Y were also hit with sanctions"
    if lemma not in IMPOSE_VERBS and lemma not in LIFT_VERBS:
        return None
    if not any(
        c.dep_ in ("dobj", "nsubjpass")
        and (
            c.lemma_.casefold() in SANCTION_NOUNS
            or (c.lemma_.casefold() == "order" and any(x.lower_ == "denial" for x in c.children))
        )
        for c in tok.children
    ):
        return None
    return "blacklist" if lemma in IMPOSE_VERBS else "delisting"


def _award_goes_to(tok: Token) -> bool:
    """ "The award (the medal, the Friendship Medal) went to X": a subject naming an award, a "to"."""
    subj = next((c for c in tok.children if c.dep_ == "nsubj"), None)
    if subj is None or not any(c.dep_ == "prep" and c.lower_ == "to" for c in tok.children):
        return False
    return subj.ent_type_ == "AWARD" or subj.lemma_.casefold() in AWARD_NOUNS


def _with_sanctions(tok: Token) -> bool:
    return any(
        c.dep_ == "prep" and c.lower_ == "with" and any(o.lemma_.casefold() in SANCTION_NOUNS for o in c.children)
        for c in tok.children
    )


def _state_adjective(tok: Token, lex: Lexicon, sent_has_list: bool) -> bool:
    """ "X remains sanctioned", "Huawei and HiSilicon, both of which are blacklisted", "X is already
    listed" (with a list nearby): a state verb with a listing participle as its complement."""
    for c in tok.children:
        if c.dep_ in ("acomp", "xcomp", "oprd", "attr") and c.lower_ in STATE_WORDS:
            if c.lower_ == "listed" and not (sent_has_list or _list_ref_in(_previous(tok.sent), lex)):
                return False
            if c.lower_ in ("designated", "listed") and any(x.dep_ == "prep" for x in c.children):
                return False  # "designated as a hub", "listed on the Nasdaq": not this sense
            return True
    return False


def _subject_to_sanctions(tok: Token) -> bool:
    """ "X is now subject to an asset freeze / to sanctions"."""
    return tok.dep_ == "acomp" and any(
        p.lower_ == "to" and any(o.lemma_.casefold() in SANCTION_NOUNS for o in p.children) for p in tok.children
    )


def _list_subject(tok: Token, lex: Lexicon) -> bool:
    """Is the subject of ``tok`` a list ("the list, which already includes Tencent")?"""
    for c in tok.children:
        if c.dep_ == "nsubj":
            subj = tok.head if c.lower_ in RELATIVE_PRONOUNS and tok.dep_ == "relcl" else c
            return _list_ref_in([subj, *subj.children], lex)
    return False


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
                if (
                    c.dep_ == "aux"
                    and c.lower_ == "to"
                    and tok.dep_ in ("xcomp", "advcl", "acl", "ccomp", "relcl")
                    and tok.head.lemma_.casefold() not in FACTUAL_INF_HEADS
                ):
                    return f"purpose or intent ('to {tok.text}' under '{tok.head.text}')"
        if tok is not trigger and tok.lemma_.casefold() in lemmas:
            return f"under '{tok.text}'"
        if tok.head.i != tok.i and any(x.text == ";" for x in tok.doc[min(tok.i, tok.head.i) : max(tok.i, tok.head.i)]):
            break  # "OFAC sanctioned X last year; the firm has appealed": two clauses, two statements
        if tok.dep_ in ("xcomp", "ccomp", "advcl", "acl", "conj", "pcomp", "acomp") and tok.head.i != tok.i:
            via_conj = tok.dep_ == "conj"
            tok = tok.head
            continue
        if tok.dep_ == "pobj" and tok.head.dep_ == "prep":  # "... for the company being blacklisted"
            via_conj = False
            tok = tok.head.head
            continue
        break
    return None


@dataclass
class Role:
    """Where the trigger's patient is: token indices, the phrase heads they hang from, and a name.
    ``free`` indices come from the surface fallback and need no dependency path."""

    idx: set[int] = field(default_factory=set)
    heads: set[int] = field(default_factory=set)
    names: list[str] = field(default_factory=list)
    free: set[int] = field(default_factory=set)
    right: set[int] = field(default_factory=set)  # open-ended surface fallback: only one enumeration of it counts

    def take(self, tok: Token, role: str, skip: set[int] | None = None) -> None:
        self.idx.update(x.i for x in tok.subtree if not skip or x.i not in skip)
        self.heads.add(tok.i)
        self.names.append(role)

    @property
    def name(self) -> str:
        return "+".join(self.names)


def _subject_or_antecedent(verb: Token, c: Token) -> Token:
    """The subject ``c`` of ``verb``, or the noun a relative pronoun subject stands for
    ("SMIC, which is already on the Entity List" -> SMIC)."""
    if c.lower_ in RELATIVE_PRONOUNS and verb.dep_ == "relcl":
        return verb.head
    if any(p.lower_ == "of" and any(o.lower_ in RELATIVE_PRONOUNS for o in p.children) for p in c.children):
        # "Huawei and HiSilicon, both of which are blacklisted": the names just before the comma (the
        # parse often hangs the clause on a noun further back: "components to Huawei and HiSilicon, ...")
        j = c.i - 1
        while j > 0 and c.doc[j].is_punct:
            j -= 1
        if c.doc[j].pos_ in ("PROPN", "NOUN") or c.doc[j].ent_type_ or verb.dep_ != "relcl":
            return c.doc[j]
        return verb.head
    return c


def _role_tokens(trig: Trigger) -> Role:
    """The trigger's patient (the entity the tie is about)."""
    t = trig.token
    role = Role()
    if trig.kind == "adjective":
        role.take(t.head, "modified noun", skip={t.i})
        return role
    if trig.kind == "nominal":
        verb = t.doc[trig.explain["verb"]]
        for c in verb.children:
            if c.dep_ in ("dobj", "attr", "nsubj", "oprd", "appos") and c.i != t.i and c.i > verb.i:
                role.take(c, "member (after the act noun)")
        _surface_right(verb, role)
        return role
    if trig.kind == "sanctions-noun" and t.lemma_.casefold() in ("target", "hit", "slap", "punish"):
        for c in t.children:
            if c.dep_ == "dobj":
                role.take(c, "object (the sanctions target)")
            elif c.dep_ == "nsubjpass":
                role.take(_subject_or_antecedent(t, c), "passive subject (hit with sanctions)")
        return role
    if trig.kind == "sanctions-noun":
        objects = [c for c in t.children if c.dep_ in ("dobj", "nsubjpass")]
        # "the denial order issued against X": the preposition may hang on a participle of the noun
        objects += [x for o in objects for x in o.children if x.dep_ == "acl" and x.tag_ == "VBN"]
        for p in [*t.children, *(x for o in objects for x in o.children)]:
            if p.dep_ in ("prep", "dative") and p.lower_ in ("on", "against", "upon", "from", "to", "off", "of"):
                objects_of_p = [o for o in p.children if o.dep_ == "pobj"]
                for o in objects_of_p:
                    role.take(o, f"target ({p.text} sanctions)")
                if not objects_of_p:
                    _surface_right(p, role)  # the parse lost the object of "from" in a long name
        return role
    if trig.kind == "award-goes":
        for c in t.children:
            if c.dep_ == "prep" and c.lower_ == "to":
                for o in c.children:
                    if o.dep_ == "pobj":
                        role.take(o, "recipient (the award went to)")
        return role
    if trig.kind == "recipient-noun":
        if t.dep_ == "appos":
            skip = {x.i for x in t.subtree}
            skip |= {x.i for c in t.head.children if c.dep_ in ("conj", "cc") for x in c.subtree}
            role.take(t.head, "name the recipient noun stands beside", skip=skip)
        else:
            for c in t.head.children:
                if c.dep_ == "nsubj":
                    role.take(c, "subject (is a recipient of)")
        return role
    if trig.kind == "subject-to":
        verb = t.head
        for c in verb.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                role.take(_subject_or_antecedent(verb, c), "subject (subject to)")
        return role
    if trig.kind == "continued-member":
        verb = t
        for c in verb.children:
            if c.dep_ in ("dobj", "attr", "oprd", "appos") and c.i > verb.i:
                role.take(c, "member (continued act)")
            if c.dep_ in ("nsubj", "nsubjpass") and trig.explain.get("among"):
                role.take(c, "member (among ... were)")
        if not trig.explain.get("among"):
            _surface_right(verb, role)
        return role
    if trig.kind == "continued-inverted":
        for c in t.subtree:
            if c.dep_ in ("attr", "nsubjpass", "nsubj") and c.i > t.i:
                role.take(c, "member (also ... were)")
        return role
    if trig.kind == "list-includes":
        for c in t.children:
            if c.dep_ in ("dobj", "attr"):
                role.take(c, "member of the list")
        return role
    if trig.kind in ("state", "award-state") or trig.kind == "award-subject" and not _is_passive(t):
        for c in t.children:
            if c.dep_ in ("nsubj", "nsubjpass"):
                role.take(_subject_or_antecedent(t, c), c.dep_)
        namely = next((x for x in t.doc[t.i + 1 : t.sent.end] if x.lower_ in ("namely", "including")), None)
        if namely is not None and trig.kind == "state":
            _surface_right(namely, role)  # "... remain on the list, namely A, B and C"
        _companions(t, role)
        return role
    passive = _is_passive(t)
    for c in t.children:
        if passive and c.dep_ == "nsubjpass":
            role.take(_subject_or_antecedent(t, c), "passive subject")
        elif not passive and c.dep_ in ("dobj", "dative"):
            role.take(c, "object" if c.dep_ == "dobj" else "recipient")
        elif c.dep_ in ("prep", "dative") and c.lower_ in ("to", "on", "upon") and trig.tie == "award":
            for o in c.children:
                if o.dep_ == "pobj":
                    role.take(o, "recipient (to)")
        elif c.dep_ == "nsubj" and trig.kind == "award-subject":
            role.take(c, "subject")
        elif c.dep_ == "nsubj" and trig.kind == "award-object" and _headline_passive(t):
            role.take(c, "subject (headline: 'X awarded the title')")
    if passive and not role.idx:
        for aux in t.children:
            if aux.dep_ == "auxpass" and aux.i > t.i:  # "Also designated today are X and Y"
                for x in aux.children:
                    if x.dep_ in ("attr", "nsubj", "nsubjpass"):
                        role.take(x, "member (designated ... are)")
    if passive and t.dep_ in ("acl", "amod"):
        head = t.head
        if trig.tie != "award":
            role.take(head, "noun the participle modifies", skip={x.i for x in t.subtree})
        if head.dep_ == "pobj" and head.head.lower_ == "among":  # "Among the companies added ... were X and Y"
            verb = head.head.head
            for c in verb.children:
                if c.dep_ in ("nsubj", "attr", "nsubjpass") and c.i != head.head.i:
                    role.take(c, "member (among ... were)")
        one = head.head.head if head.dep_ == "pobj" and head.head.lower_ == "of" else None
        if one is not None and one.dep_ == "appos" and (one.like_num or one.lower_ in ("one", "two", "three", "some")):
            role.take(one.head, "name 'one of the entities added' stands beside", skip={x.i for x in one.subtree})
        elif one is not None and one.dep_ == "attr" and one.lower_ in ("one", "among"):
            for c in one.head.children:
                if c.dep_ in ("nsubj", "nsubjpass"):
                    role.take(_subject_or_antecedent(one.head, c), "subject (is one of the entities added)")
    for c in t.children:
        if c.dep_ in ("dep", "appos", "npadvmod", "conj", "dobj") and any(
            p.dep_ == "prep" and p.lower_ == "among" and any(o.lower_ in ("them", "those", "which") for o in p.children)
            for p in c.children
        ):
            role.take(c, "members (among them)")  # "blacklisted 12 companies, among them X and Y"
        if c.dep_ in ("advcl", "xcomp", "conj") and c.tag_ == "VBG" and c.lemma_ in ("name", "include", "list"):
            for o in c.children:
                if o.dep_ == "dobj":
                    role.take(o, f"members ({c.text})")  # "added five firms to the list, naming X, Y and Z"
    for c in t.subtree:
        if (
            c.dep_ == "prep"
            and c.lower_ in ("including", "namely")
            and trig.tie != "award"
            and (
                c.head.i == t.i
                or c.head.ent_type_ == "LIST"
                or c.head.lemma_.casefold() in ("list", "blacklist")
                or c.head.i in role.heads  # "sanctioned seven people, including X"
            )
        ):
            role.take(c, f"members ({c.text})")  # "Eight companies were removed from the list, including X"
    if trig.tie == "award" and trig.kind == "award-object":
        for o in t.children:
            if o.dep_ == "dobj":
                for p in o.children:
                    if p.dep_ == "prep" and p.lower_ in ("on", "upon", "to"):
                        role.take(p, f"recipient ({p.text}, under the award)")  # "conferred the Medal on X"
    prep = trig.explain.get("linear_prep")
    if prep is not None and not any(c.dep_ in ("nsubjpass", "auxpass") for c in t.children):
        role.free.update(x.i for x in t.doc[t.i + 1 : prep] if x.dep_ != "poss" and x.head.dep_ != "poss")
        role.names.append("between verb and list (surface)")
    if not role.idx and not role.free and not role.right and t.dep_ == "conj":  # "blacklisted and sanctioned Huawei"
        return _role_tokens(Trigger(t.head, trig.tie, trig.kind))
    _companions(t, role)
    return role


def _surface_right(verb: Token, role: Role) -> None:
    """Tokens right of ``verb`` up to a clause break: the members a copula or "include" lists when the
    parse loses them in a long enumeration."""
    sent = verb.sent
    for x in verb.doc[verb.i + 1 : sent.end]:
        if x.lower_ in RELATIVE_PRONOUNS | {"while", "but", "whereas", "although"}:
            break
        if x.tag_ in ("VBD", "VBZ", "VBP", "MD") and not x.ent_type_ and x.i > verb.i + 1:
            break
        role.right.add(x.i)
    role.names.append("right of the verb (surface)")


def _headline_passive(t: Token) -> bool:
    """ "President Ji awarded the title of ..." in a headline means he was awarded it: a past
    participle whose object is "the title", with nobody it is given to and no auxiliary (a giver
    is written "awarded X the title" or "awarded the title to X")."""
    if t.tag_ != "VBN" and not (t.tag_ == "VBD" and t.sent.text.rstrip()[-1:] not in ".!?"):
        return False
    kids = list(t.children)
    if any(c.dep_ in ("aux", "auxpass", "dative") or (c.dep_ == "prep" and c.lower_ in ("to", "on")) for c in kids):
        return False
    return any(c.dep_ == "dobj" and c.lemma_.casefold() in ("title", "titles") for c in kids)


def _companions(t: Token, role: Role) -> None:
    """Entities the text puts beside the target in the same act: "alongside CATL", "along with X"."""
    for c in list(t.children):
        if c.dep_ == "prep" and (
            c.lower_ == "alongside"
            or (c.lower_ == "with" and c.i > 0 and t.doc[c.i - 1].lower_ in ("along", "together"))
        ):
            role.take(c, f"companion ({c.text})")


def _is_quantity(tok: Token) -> bool:
    return tok.like_num or tok.ent_type_ == "CARDINAL" or tok.lemma_.casefold() in QUANTITY_WORDS


def _in_target_phrase(tok: Token, role: Role) -> bool:
    """Does ``tok`` reach a role head through target-phrase steps only (see TARGET_DEPS)?"""
    seen = 0
    while tok.i not in role.heads and seen < 12:
        if tok.dep_ == "pobj" and tok.head.i in role.heads and tok.head.dep_ in ("dative", "prep"):
            return True  # "awarded the medal to X", "conferred it on X": the preposition the role took
        if tok.dep_ == "compound" and tok.head.lemma_.casefold() in RELATIONAL_NOUNS and not tok.head.ent_type_:
            return False
        if tok.dep_ in TARGET_DEPS:
            pass
        elif tok.dep_ in ("oprd", "dobj", "attr") and tok.head.lemma_ in ("name", "call") and tok.head.dep_ == "acl":
            pass  # "a schoolteacher named Lei Jun"
        elif tok.dep_ == "acl" and tok.lemma_ in ("name", "call"):
            pass
        elif tok.dep_ == "pobj" and tok.head.lower_ == "of" and _is_quantity(tok.head.head):
            pass  # "dozens of Chinese companies, including SMIC"
        elif tok.dep_ == "prep" and tok.lower_ == "of" and _is_quantity(tok.head):
            pass
        elif (
            tok.dep_ == "pobj"
            and tok.head.lower_ in ("from", "by")
            and tok.head.head.lemma_.casefold() in PRODUCT_NOUNS
        ):
            pass  # "surveillance gear from Hikvision"
        elif tok.dep_ == "prep" and tok.lower_ in ("from", "by") and tok.head.lemma_.casefold() in PRODUCT_NOUNS:
            pass
        elif tok.dep_ == "pobj" and tok.head.lower_ in MEMBER_PREPS:
            pass
        elif tok.dep_ == "prep" and tok.lower_ in MEMBER_PREPS:
            pass
        else:
            return False
        if tok.head.i == tok.i:
            return False
        tok = tok.head
        seen += 1
    return tok.i in role.heads


def _agent_tokens(t: Token) -> set[int]:
    """The doer: "by X" of a passive, subject of an active trigger (never a target)."""
    out: set[int] = set()
    for c in t.children:
        if c.dep_ == "agent" or (c.dep_ == "prep" and c.lower_ == "by"):
            out.update(x.i for x in c.subtree)
    if t.tag_ == "VBG" and t.dep_ in ("advcl", "csubj", "pcomp") and t.head is not t:
        # "Giving out the award to X, the chairman said ...": the main clause's subject gives it
        for c in t.head.children:
            if c.dep_ == "nsubj":
                out.update(x.i for x in c.subtree)
        main = t.head
        comma = next((x.i for x in t.doc[t.i + 1 : main.i] if x.text == ","), None)
        if main.i > t.i and comma is not None:
            out.update(range(comma, main.i))  # the giver parsed into the recipient's phrase
    return out


def _nested(c: Candidate, others: list[Candidate]) -> bool:
    """Is ``c`` a modifier inside another candidate's phrase ("Xiaomi" in "Xiaomi CEO Lei Jun", "Acme
    Port Group crane operator Li Ming"), or a person's employer ("Li Ming (Acme Port Group)")?"""
    doc = c.root.doc
    for o in others:
        if o is c or c.label != "ORG":
            continue
        if o.label == "PERSON" and o.tokens.stop <= c.tokens.start <= o.tokens.stop + 8:
            if _affiliation_gap(doc[o.tokens.stop : c.tokens.start]):
                return True
        if c.tokens.stop <= o.tokens.start and o.tokens.start - c.tokens.stop <= 4:
            between = doc[c.tokens.stop : o.tokens.start]
            if any(t.lower_ in ("and", "or", "&") for t in between):
                continue  # "Huawei and Jane Roe" are coordinated, not "Huawei CEO Jane Roe"
            if (
                o.label == "PERSON"
                and all(t.lower_ in LINK_WORDS or t.pos_ in ("NOUN", "PROPN") for t in between)
                and not all(t.is_punct for t in between)
            ):
                return True  # "Acme CEO Jane Roe", "Acme's chief executive officer Jane Roe"; not "Acme, Jane Roe"
            if len(between) and all(t.pos_ == "NOUN" and t.is_lower for t in between):
                return True  # "Acme unit Betacorp": a company word phrase between two names
    return False


AFFILIATION_PREPS = {"of", "at", "from", "with", "in"}


def _affiliation_gap(gap: Span) -> bool:
    """Does the gap between a person and the organisation after it only say where the person works:
    "of", "from", "(", ", a crane operator at", ", chief engineer of"?"""
    toks = [t for t in gap if not t.is_space]
    if [t.text for t in toks] == ["("]:
        return True
    if not toks or toks[-1].lower_ not in AFFILIATION_PREPS:
        return False
    body = toks[:-1]
    if body and body[0].text == ",":
        body = body[1:]
    return len(body) <= 9 and all(
        (t.pos_ in ("DET", "ADJ", "NOUN", "PROPN", "NUM") or t.text in ("-", "'s", "’s") or t.lower_ in ("of", "and"))
        and t.text not in (",", ";")
        for t in body
    )


def _norm_award(span: Span, lex: Lexicon) -> str:
    """An award as named: quotes and a trailing generic "award" dropped when the inner title is known."""
    if span.ent_id_ and span.ent_id_ in lex.award_aliases:
        return span.ent_id_
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
    key = _singular(inner)
    for award in lex.awards:
        if key == _singular(award):
            return award  # "National Model Workers" is the title "National Model Worker"
    return inner


def _singular(text: str) -> str:
    words = [w[:-1] if len(w) > 3 and w.endswith("s") and not w.endswith("ss") else w for w in text.casefold().split()]
    return " ".join(words)


def _acting(gov: Span) -> bool:
    """Does a government body act in its sentence ("OFAC designated", "by the Treasury", "OFAC's
    action", "the Treasury said"), rather than modify a noun ("disrupting EU border security")? Only
    an acting body in a neighbouring sentence names the list of an act."""
    root = gov.root
    if root.dep_ in ("compound", "amod", "nmod"):
        return root.head.lemma_.casefold() in ISSUER_HEAD_NOUNS  # "a Pentagon official", "Treasury sanctions"
    return root.dep_ in ("nsubj", "nsubjpass", "poss", "appos", "ROOT", "conj", "dobj") or (
        root.dep_ == "pobj" and root.head.lower_ in ("by", "from", "of", "under", "to", "at")
    )


# nouns a government body may modify and still speak for the act: "a Pentagon spokesperson"
ISSUER_HEAD_NOUNS = {
    "official", "spokesman", "spokeswoman", "spokesperson", "statement", "notice", "list", "blacklist",
    "action", "rule", "announcement", "designation", "sanction", "release", "order", "filing", "document",
    "decision", "move", "report", "website", "secretary", "department", "office", "agency", "determination",
}  # fmt: skip


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
                return (
                    _norm_award(e, lex),
                    ("sentence" if j == si else f"sentence {j - si:+d}"),
                    (1.0 if j == si else 0.85),
                )
            name = e.ent_id_ or lex.list_for_alias(e.text) or e.text
            return (
                name,
                ("list named in sentence" if j == si else f"list named in sentence {j - si:+d}"),
                (1.0 if j == si else 0.9),
            )
        if label == "LIST":
            govs = [e for e in sent.ents if e.label_ == "GOV" and (j == si or _acting(e))]
            if govs:
                issued = govs[0].ent_id_ or lex.list_for_issuer(govs[0].text)
                if issued:
                    src = f"issuer '{govs[0].text}'" + ("" if j == si else f" in sentence {j - si:+d}")
                    return issued, src, (0.95 if j == si else 0.9)
    if label == "LIST":
        for j in range(si - NEIGHBOURHOOD - 1, -1, -1):  # "the list" is the list named last before
            named = [e for e in sents[j].ents if e.label_ == "LIST"]
            if named:
                e = named[-1]
                return e.ent_id_ or lex.list_for_alias(e.text) or e.text, f"list named in sentence {j - si:+d}", 0.85
            issuers = [
                e
                for e in sents[j].ents
                if e.label_ == "GOV" and (e.ent_id_ or lex.list_for_issuer(e.text)) and _acting(e)
            ]
            if issuers:
                e = issuers[-1]
                name = e.ent_id_ or lex.list_for_issuer(e.text) or e.text
                return name, f"issuer '{e.text}' in sentence {j - si:+d}", 0.85
        return "unnamed government list", "no list or issuer named nearby", 0.75
    return None, "no award named nearby", 0.0


def _leader_links(doc: Doc, cands: list[Candidate], lex: Lexicon) -> dict[str, tuple[Candidate, str]]:
    """person key -> (company candidate, sentence) where the text says the person leads it."""
    roles = {r.casefold() for r in lex.leader_roles}
    links: dict[str, tuple[Candidate, str]] = {}
    people = [c for c in cands if c.label == "PERSON" and c.via_anaphor is None]
    orgs = [c for c in cands if c.label == "ORG" and c.via_anaphor is None and not c.gov]
    for p in people:
        for o in orgs:
            if p.root.sent != o.root.sent:
                continue
            if o.tokens.stop <= p.tokens.start:  # "Xiaomi CEO Lei Jun", "Xiaomi's founder Lei Jun"
                between = doc[o.tokens.stop : p.tokens.start]
                after = []
            else:  # "Lei Jun, chief executive of Xiaomi" / ", Xiaomi's CEO"
                between = doc[p.tokens.stop : o.tokens.start]
                after = list(doc[o.tokens.stop : min(o.tokens.stop + 3, len(doc))])
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


def _finding(
    c: Candidate,
    tie: Tie,
    reason: str,
    evidence: str,
    si: int,
    trig: Trigger,
    role: str,
    reason_src: str,
    reason_conf: float,
) -> Finding:
    base = 0.9
    conf = base * reason_conf * (0.9 if c.via_anaphor else 1.0)
    etype: EntityType = "PERSON" if c.label == "PERSON" else "ORG"
    if etype == "PERSON" and tie != "award" and len(c.tokens) == 1 and " " not in c.name and not c.entity_id:
        etype = "ORG"  # a lone unknown name put on a list ("OFAC designated Grinex") is an entity, not a person
    return Finding(
        entity=c.name,
        entity_type=etype,
        tie=tie,
        reason=reason,
        evidence=evidence,
        confidence=round(conf, 3),
        entity_id=c.entity_id,
        sentence_index=si,
        explain={
            "trigger": trig.token.text,
            "trigger_kind": trig.kind,
            "role": role,
            "reason_source": reason_src,
            "anaphor": c.via_anaphor,
            "confidence": {"role": base, "reason": reason_conf, "anaphor": 0.9 if c.via_anaphor else 1.0},
        },
    )


ENUM_SEPARATORS = {",", ";", "and", "or", "&", "plus", ":"}
ENUM_GLUE = ENUM_SEPARATORS | {
    "as",
    "well",
    "along",
    "with",
    "also",
    "namely",
    "including",
    "such",
    "(",
    ")",
    "•",
    "-",
    "–",
    "—",
    "the",
    "its",
    "their",
    "both",
    "a",
    "an",
    "'s",
    "’s",
    "among",
    "others",
    "other",
    "respectively",
}
ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii", "xiii", "xiv", "xv"}


def _gap_ok(gap: Span) -> bool:
    """Can the tokens between two names be an enumeration's separator ("X, Y", "X; and (ii) Y",
    "X, memory chip maker Y", "X, Thai Princess Y")? No verb, no preposition, no clause."""
    toks = [t for t in gap if not t.is_space]
    semis = [n for n, t in enumerate(toks) if t.text == ";"]
    if semis and 0 < semis[-1] < len(toks):
        # "A and its two aircraft, EW-1 and EW-2; and state-owned carrier B": a semicolon closes the
        # item before it (whatever it holds, short of a clause); only what follows must be a separator
        head = toks[: semis[-1]]
        if len(head) > 24 or any(t.tag_ in ("VBD", "VBZ", "VBP", "MD") and not t.ent_type_ for t in head):
            return False
        toks = toks[semis[-1] :]
    if len(toks) > 12 or not any(t.lower_ in ENUM_SEPARATORS for t in toks):
        return False
    # ", a pioneer of X's space programme, renowned scientist ...": an appositive may hold "of"
    appositive = len(toks) >= 3 and toks[0].text == "," and toks[1].lower_ in ("a", "an", "the")
    preps = [n for n, t in enumerate(toks) if t.lower_ in ("of", "for", "in", "at")]
    if appositive and preps and not any(t.text == "," for t in toks[preps[0] :]):
        return False  # ", a worker at Acme Co.": the name after the preposition is the employer, no member
    if any(t.lemma_.casefold() in RELATIONAL_NOUNS for t in toks):
        return False  # "X, a unit of Y": Y is no member
    for t in toks:
        if appositive and t.lower_ in ("of", "for", "in", "at"):
            continue
        if t.lower_ in ENUM_GLUE or t.lower_ in ROMAN or (t.like_num and len(t) <= 2):
            continue
        if t.ent_type_ in ("GPE", "NORP", "LOC"):
            continue
        if t.pos_ in ("NOUN", "ADJ", "PROPN") and t.lower_ not in RELATIVE_PRONOUNS and t.tag_ not in ("VBD", "VBZ"):
            continue
        if (t.tag_ == "VBN" and t.i > 0 and t.doc[t.i - 1].text == "-") or (
            t.tag_ in ("VB", "VBN", "VBG") and t.i + 1 < len(t.doc) and t.doc[t.i + 1].pos_ == "NOUN"
        ):
            continue  # "state-owned", "potash exporters" mis-tagged: a modifier inside a descriptor
        return False
    return True


def _enumeration(targets: list[Candidate], sent_cands: list[Candidate], blocked: set[int]) -> list[Candidate]:
    """The targets plus every name enumerated with one of them ("added A, B, C and D", "(i) A; (ii) B")."""
    if not targets:
        return targets
    order = sorted(sent_cands, key=lambda c: c.tokens.start)
    chosen = {id(c) for c in targets}
    doc = order[0].root.doc
    for n, c in enumerate(order):
        if id(c) not in chosen:
            continue
        for step in (-1, 1):
            j = n
            while 0 <= j + step < len(order):
                a, b = (order[j + step], order[j]) if step < 0 else (order[j], order[j + step])
                if a.tokens.stop > b.tokens.start:
                    break
                gap = doc[a.tokens.stop : b.tokens.start]
                nxt = order[j + step]
                mate = _past_employer(order, j, step, blocked)
                if mate is not None:
                    chosen.add(id(order[mate]))  # "A of X and B of Y", "A, a nurse at X, B, a welder ...": not X
                    j = mate
                    continue
                if any(t.i in blocked for t in gap) or nxt.root.i in blocked or not _gap_ok(gap):
                    break
                if _in_foreign_phrase(nxt.root, c.root):
                    break
                chosen.add(id(nxt))
                j += step
    return [c for c in order if id(c) in chosen]


def _listed_items(doc: Doc, role: Role, targets: list[Candidate], others: list[Candidate]) -> list[Candidate]:
    """The names of a list whose head noun is in the act's patient ("designated ... six companies,
    including the companies A, B and C"), or one of whose items already is a target: every item
    (the lists :mod:`.enumerations` read)."""
    if LIST_HEADS not in doc.spans or not others:
        return []
    taken = {i for c in targets for i in c.tokens}
    groups = {h.label_ for h in doc.spans[LIST_HEADS] if h.start in role.idx}
    groups |= {it.label_ for it in doc.spans[LIST_ITEMS] if any(i in taken for i in range(it.start, it.end))}
    if not groups:
        return []
    spans = {(it.start, it.end) for it in doc.spans[LIST_ITEMS] if it.label_ in groups}
    return [c for c in others if (c.tokens.start, c.tokens.stop) in spans]


def _past_employer(order: list[Candidate], j: int, step: int, blocked: set[int]) -> int | None:
    """In an enumeration of people with their employers, the index of the next person past the
    employer of the person at ``j`` (moving by ``step``), or None."""
    k = j + 2 * step
    if not 0 <= k < len(order):
        return None
    org = order[j + step]
    person, other = (order[j], order[k]) if step > 0 else (order[k], order[j])
    if org.label != "ORG" or person.label != "PERSON" or other.label != "PERSON":
        return None
    doc = org.root.doc
    if not (person.tokens.stop <= org.tokens.start and org.tokens.stop <= other.tokens.start):
        return None
    before, after = doc[person.tokens.stop : org.tokens.start], doc[org.tokens.stop : other.tokens.start]
    if any(t.i in blocked for t in [*before, *after]) or order[k].root.i in blocked:
        return None
    return k if _affiliation_gap(before) and _gap_ok(after) else None


def _modifies_a_noun(c: Candidate) -> bool:
    """Is the name only a modifier of a common noun ("Party secretary", "Acme engineers")?"""
    head = c.root.head
    return (
        c.root.dep_ == "compound"
        and head.i >= c.tokens.stop
        and head.pos_ == "NOUN"
        and head.is_lower
        and not head.ent_type_
        and c.via_anaphor is None
    )


def _unnamed_members(trig: Token, role: Role, lead_in: bool) -> bool:
    """Did the act name its patient only by a count or a plural ("designated seven officials",
    "is designating several executives", "the following individuals:")?"""
    doc = trig.doc
    for h in role.heads:
        head = doc[h]
        if head.tag_ != "NNS" or head.ent_type_:
            continue
        if lead_in or any(
            c.dep_ in ("nummod", "amod", "det") and (_is_quantity(c) or c.lower_ in ("following", "these", "the"))
            for c in head.children
        ):
            return True
    return False


def _described_subject(sent: Span, cands: list[Candidate]) -> Candidate | None:
    """The name a sentence opens with when the sentence only says who it is ("X is the deputy
    chairman of Y", "X (X) is a board member"), or None."""
    root = sent.root
    if root.lemma_.casefold() != "be" or not any(c.dep_ == "attr" for c in root.children):
        return None
    subj = next((c for c in root.children if c.dep_ == "nsubj"), None)
    first = next((t for t in sent if not t.is_space and t.text not in BULLETS), None)
    if subj is None or first is None:
        return None
    attr = next(c for c in root.children if c.dep_ == "attr")
    if any(t.ent_type_ == "GOV" for t in attr.subtree):
        return None  # "Jane Roe is the Treasury Secretary": the issuer's official
    for c in cands:
        if c.root.i == subj.i and c.tokens.start == first.i and c.via_anaphor is None:
            return c
    return None


def _own_patient(c: Candidate, role: Role) -> bool:
    """Is ``c`` the act's patient itself (a role head, or coordinated with one), not a name further in?"""
    tok = c.root
    for _ in range(3):
        if tok.i in role.heads:
            return True
        if tok.dep_ not in ("conj", "appos") or tok.head.i == tok.i:
            return False
        tok = tok.head
    return False


def _slot_names(doc: Doc, role: Role, cands: list[Candidate], lex: Lexicon) -> list[Candidate]:
    """Names the model left untagged in the very slot of the act ("OFAC designated Pavel Orlov of ..."):
    a capitalised proper-noun head of the role with its compounds; two or three plain words make a
    person, a company word or a single word an organisation."""
    out: list[Candidate] = []
    if not role.heads or _headline(doc[min(role.heads)].sent):
        return out  # a headline in title case: every word looks like a name
    taken = {i for c in cands for i in c.tokens}
    org_words = {w.casefold() for w in lex.org_words}
    for h in sorted(role.heads):
        tok = doc[h]
        if tok.pos_ != "PROPN" or not tok.is_title or tok.ent_type_ or tok.i in taken or tok.dep_ == "pobj":
            continue
        left = tok.i
        while left - 1 >= tok.sent.start and doc[left - 1].dep_ == "compound" and doc[left - 1].head.i == tok.i:
            left -= 1
        span = doc[left : tok.i + 1]
        opening = span[0].is_sent_start and not (len(span) == 1 and _name_not_word(span[0]))
        if any(t.ent_type_ or not t.is_title for t in span) or opening or len(span) > 4:
            continue
        if (span.start > 0 and doc[span.start - 1].text == "(") or (span.end < len(doc) and doc[span.end].text == ")"):
            continue  # "Acme Tanker (Dalian)": a place or form inside another name
        words = {t.lower_ for t in span}
        label = "PERSON" if 2 <= len(span) <= 3 and not words & org_words else "ORG"
        out.append(Candidate(span.text, label, range(span.start, span.end), tok))
    return out


def _name_not_word(tok: Token) -> bool:
    """A capitalised word opening a sentence that is a name, not an ordinary word capitalised by its
    place: a proper noun the page never writes in lower case and no stop word ("Skyfar, which was
    blacklisted ..." yes; "Sanctions were ..." no)."""
    if tok.pos_ != "PROPN" or tok.is_stop or not tok.is_alpha or len(tok) < 3:
        return False
    low = tok.lower_
    return not any(t.text == low for t in tok.doc)


def _headline(sent: Span) -> bool:
    """A title-case headline: small words capitalised too, or no closing stop and nearly every
    content word capitalised ("Treasury Removes Acme Addresses from Blacklist")."""
    if is_title_case(sent):
        return True
    toks = [t for t in sent if not t.is_space]
    content = [t for t in toks if t.is_alpha and not t.is_stop]
    return (
        len(content) >= 5
        and toks[-1].text not in (".", "!", "?", ":", '"', "”")
        and sum(1 for t in content if t.text[0].isupper()) >= 0.85 * len(content)
    )


def _surface_chain(parsed: list[Candidate], free: list[Candidate]) -> list[Candidate]:
    """Of the names a surface fallback found right of a verb, those in one enumeration with the first
    target ("include A, B and C, according to Reuters": not Reuters; "are A and B, suppliers to C":
    not C)."""
    if not free:
        return []
    order = sorted([*parsed, *free], key=lambda c: c.tokens.start)
    doc = order[0].root.doc
    chain = [order[0]]
    j = 0
    while j + 1 < len(order):
        prev, c = order[j], order[j + 1]
        mate = _past_employer(order, j, 1, set())
        if mate is not None:
            chain.append(order[mate])
            j = mate
            continue
        j += 1
        if c.tokens.start < prev.tokens.stop:
            continue
        if not _gap_ok(doc[prev.tokens.stop : c.tokens.start]):
            break
        chain.append(c)
    return [c for c in chain if any(c is f for f in free)]


def _in_foreign_phrase(mate: Token, seed: Token) -> bool:
    """Is ``mate`` inside a prepositional phrase the seed is not in ("At the Acme Conference, Jane Roe
    won ...": the conference is no member of the winners)?"""
    seed_line = {seed.i, *(a.i for a in seed.ancestors)}
    tok = mate
    for _ in range(12):
        if tok.i in seed_line or tok.head.i == tok.i:
            return False
        if tok.dep_ == "prep" and tok.lower_ not in MEMBER_PREPS and tok.i not in seed_line:
            return True
        tok = tok.head
    return False


def _ends_with_colon(sent: Span) -> bool:
    toks = [t for t in sent if not t.is_space]
    return bool(toks) and toks[-1].text == ":"


BULLETS = {"•", "·", "-", "–", "—", "*", "▪", "●", "○", "■", "◦"}


def _is_item(sent: Span, last: Act, n_names: int = 0) -> bool:
    """Is ``sent`` an item of an enumeration (a bullet, a "(iii) ..." fragment, a line without a verb)?"""
    toks = [t for t in sent if not t.is_space]
    if not toks:
        return False
    if toks[0].text in BULLETS or (toks[0].text == "(" and len(toks) > 2 and toks[1].lower_ in ROMAN):
        return True
    finite = [
        t
        for t in toks
        if t.tag_ in ("VBD", "VBZ", "VBP", "MD", "VBG")
        and not t.ent_type_
        and t.lower_ not in ("following", "including", "according")  # "a.k.a., the following two aliases"
        and not (t.tag_ == "VBG" and t.is_title)  # "Building 3", "Acme Trading": a name or address part
    ]
    # after an act that only counted its members ("Several companies were named."), a line of two or
    # more names without a verb names them
    listing = last.open_members and n_names >= 2
    if finite or len(toks) > (400 if last.lead_in or listing else 40):
        return False
    # after a lead-in ("... the following entities:") any short line; else only a fragment that goes on
    # with the enumeration the sentence before was cut in ("(China); (iii) ...")
    return last.lead_in or listing or toks[0].text in ("(", ";", ",") or toks[0].is_lower


ADDRESS_WORDS = {
    "road", "rd", "rd.", "street", "st.", "avenue", "ave", "ave.", "boulevard", "blvd", "lane", "district",
    "building", "bldg", "bldg.", "floor", "fl.", "room", "rm.", "suite", "tower", "block", "zone", "province",
    "village", "county", "township", "no.", "p.o.",
}  # fmt: skip


MAX_QUIET_LINES = 8


def _opens_with(sent: Span, c: Candidate) -> bool:
    """Does the line start with the name ``c`` (after bullets, item markers and a dash)?"""
    toks = [t for t in sent if not t.is_space]
    k = 0
    while k < len(toks) and (
        toks[k].text in BULLETS or toks[k].text in ("(", ")", ".", "—") or toks[k].lower_ in ROMAN | {"the"}
    ):
        k += 1
    while k < len(toks) and toks[k].like_num and k + 1 < len(toks) and toks[k + 1].text in (".", ")"):
        k += 2
    return k < len(toks) and toks[k].i >= c.tokens.start and toks[k].i < c.tokens.stop


def _item_parties(sent: Span, items: list[Candidate]) -> list[Candidate]:
    """The names an enumeration item lists as parties: those before its aliases ("a.k.a., the
    following two aliases: ...") and before its address ("Room 1201, Building 3, No. 88 ... Road")."""
    toks = [t for t in sent if not t.is_space]
    cut = sent.end
    low = " ".join(t.lower_ for t in toks)
    for marker in ALIAS_MARKERS:
        at = low.find(marker)
        if at >= 0:
            words = low[:at].count(" ")
            cut = min(cut, toks[min(words, len(toks) - 1)].i)
    for n, t in enumerate(toks):
        if t.lower_ in ADDRESS_WORDS and t.i < cut:
            k = n
            while k > 0 and (toks[k - 1].like_num or toks[k - 1].is_title) and toks[k - 1].text not in (",", ";"):
                k -= 1
            cut = toks[k].i
            break
    return [c for c in items if c.tokens.start < cut]


def _continuations(sent: Span, lex: Lexicon, last: Act, found: list[Trigger]) -> list[Trigger]:
    """Verbs that continue the act of a sentence before: "They are X", "Other firms added include X"
    (when the participle did not already trigger), "Among the nine companies were X", "It also added X"."""
    out: list[Trigger] = []
    taken = {t.token.i for t in found}
    for tok in sent:
        if tok.i in taken:
            continue
        lemma = tok.lemma_.casefold()
        if lemma in COPULAS | {"join"} and tok.dep_ in ("ROOT", "conj"):
            subj = next((c for c in tok.children if c.dep_ in ("nsubj", "nsubjpass")), None)
            among = next(
                (
                    c
                    for c in tok.children
                    if c.dep_ == "prep"
                    and c.lower_ == "among"
                    and any(o.lemma_.casefold() in MEMBER_NOUNS for o in c.children)
                ),
                None,
            )
            if among is not None and lemma == "be":
                out.append(Trigger(tok, last.tie, "continued-member", explain={"among": True}))
            elif subj is not None and (subj.lemma_.casefold() in MEMBER_NOUNS or subj.lower_ in MEMBER_NOUNS):
                out.append(Trigger(tok, last.tie, "continued-member"))
        elif (
            lemma in INVERTED_ACTS
            and tok.tag_ == "VBN"
            and last.tie == "blacklist"
            and any(c.lower_ == "also" for c in tok.children)
            and any(c.dep_ == "auxpass" and c.i > tok.i for c in tok.children)
        ):
            out.append(Trigger(tok, last.tie, "continued-inverted"))  # "Also targeted were X and Y"
        elif (
            lemma in lex.triggers.blacklist.needs_list
            and lemma not in ("include", "keep", "move")
            and (tok.pos_ == "VERB" or tok.tag_.startswith("VB"))
            and last.tie == "blacklist"
            and (
                any(c.lower_ in ("also", "too") for c in tok.children)
                or any(c.dep_ in ("nsubj", "nsubjpass") and c.lower_ in ("it", "they") for c in tok.children)
            )
        ):
            out.append(Trigger(tok, last.tie, "continued-verb"))
    return out


INVERTED_ACTS = {"target", "name", "designate", "sanction", "add", "list", "include", "blacklist", "hit"}


@dataclass
class Act:
    """The last act of listing, delisting or honouring stated, for the sentences that continue it
    ("They are ...", "Among the nine companies were ...", bullet items after "...:")."""

    tie: Tie
    reason: str
    reason_src: str
    reason_conf: float
    si: int
    evidence: str
    lead_in: bool = False  # the sentence ends with ":" (items follow)
    open_members: bool = False  # the act counted its members without naming them ("seven officials")
    items_until: int = -1  # last sentence index read as an item of this act
    quiet: int = 0  # lines without a name read since the last item (a heading, a note, an address)


def detect_ties(doc: Doc, lex: Lexicon) -> list[Finding]:
    """All findings in an annotated document, one per (entity, tie, reason), best evidence kept."""
    sents = list(doc.sents)
    cands = _candidates(doc, lex)
    raw: list[tuple[Finding, Candidate]] = []
    last: Act | None = None
    for si, sent in enumerate(sents):
        sent_cands = [c for c in cands if sent.start <= c.root.i < sent.end]
        acted = False
        triggers = find_triggers(sent, lex)
        if last is not None and si - last.si <= 2:
            triggers += _continuations(sent, lex, last, triggers)
        for trig in triggers:
            why_not = hedge(trig.token, lex)
            if why_not:
                continue
            found_reason: str | None
            if trig.kind.startswith("continued") and last is not None:
                found_reason, reason_src = last.reason, f"continues sentence {last.si - si:+d}"
                reason_conf = 0.9 * last.reason_conf
            else:
                found_reason, reason_src, reason_conf = _reason(trig, sents, si, lex)
            if found_reason is None:
                continue
            reason = found_reason
            if trig.kind == "nominal" and reason_src.startswith("no list") and last is None:
                continue  # "the additions include X" with no list or act anywhere near
            acted = True
            last = Act(
                trig.tie,
                reason,
                reason_src,
                reason_conf,
                si,
                sent.text.strip(),
                lead_in=_ends_with_colon(sent),
            )
            if last.lead_in:
                last.items_until = si
            role_obj = _role_tokens(trig)
            role = role_obj.name
            agent = _agent_tokens(trig.token)
            untagged = _slot_names(trig.token.doc, role_obj, sent_cands, lex)
            if untagged:
                sent_cands = sorted([*sent_cands, *untagged], key=lambda c: c.tokens.start)
            if not sent_cands:
                if trig.tie != "delisting" and _unnamed_members(trig.token, role_obj, last.lead_in):
                    last.open_members, last.items_until = True, si
                continue
            eligible = [c for c in sent_cands if c.root.i not in agent and c.root.i != trig.token.i]
            targets = [c for c in eligible if c.root.i in role_obj.idx and _in_target_phrase(c.root, role_obj)]
            targets += [c for c in eligible if c.root.i in role_obj.free and c not in targets]
            targets += _surface_chain(targets, [c for c in eligible if c.root.i in role_obj.right and c not in targets])
            if not targets and trig.tie != "award":
                # "imposed sanctions on seven oligarchs: A, B and C" - the members follow the colon
                colon = next((x.i for x in trig.token.doc[trig.token.i + 1 : sent.end] if x.text == ":"), None)
                if colon is not None:
                    targets = [c for c in sent_cands if c.tokens.start > colon and c.root.i not in agent]
            if not (trig.kind == "recipient-noun" and trig.token.dep_ == "appos"):
                # "X, a past recipient of the Y Award, and Z": the appositive describes X alone
                targets = _enumeration(targets, sent_cands, agent | {trig.token.i})
            targets += _listed_items(doc, role_obj, targets, [c for c in eligible if c not in targets])
            targets = [c for c in targets if not c.gov or (trig.tie != "award" and _own_patient(c, role_obj))]
            targets = [c for c in targets if not _modifies_a_noun(c)]
            targets = [c for c in targets if not _nested(c, targets)]
            if targets:
                last.items_until = si
            elif trig.tie != "delisting" and _unnamed_members(trig.token, role_obj, last.lead_in):
                last.open_members = True  # "OFAC designated seven officials." / "... the following individuals:"
                last.items_until = si
            for c in targets:
                raw.append(
                    (_finding(c, trig.tie, reason, sent.text.strip(), si, trig, role, reason_src, reason_conf), c)
                )
        if acted or last is None or last.items_until < si - 1:
            continue
        described = _described_subject(sent, sent_cands) if last.open_members else None
        if described is not None:
            # "Aleksei Voronin is the First Deputy Chairman of Varna Bank.": one of the members the act
            # before counted without naming them
            last.items_until = si
            f = _finding(
                described,
                last.tie,
                last.reason,
                last.evidence,
                si,
                Trigger(sent[0], last.tie, "continued-described"),
                "subject described after an act with unnamed members",
                f"continues sentence {last.si - si:+d}",
                0.9 * last.reason_conf,
            )
            raw.append((f, described))
            continue
        if all(t.is_space or t.text in BULLETS for t in sent):
            last.items_until = si  # a bullet the sentence splitter cut off its item
            continue
        if (sent_cands or (last.lead_in and last.quiet < MAX_QUIET_LINES)) and _is_item(sent, last, len(sent_cands)):
            # an item of the enumeration the act before began ("...are added to the Entity List:", bullets);
            # after a lead-in, a line without a verb (a country heading, a licence note, an address) keeps
            # the list open, and only a line that starts with a name names a member
            last.items_until = si
            items = [c for c in sent_cands if not _nested(c, sent_cands) and not (c.gov and last.tie == "award")]
            items = _item_parties(sent, items)
            if last.lead_in and items and not _opens_with(sent, items[0]):
                items = []
            last.quiet = 0 if items else last.quiet + 1
            item_trig = Trigger(sent[0], last.tie, "continued-item")
            for c in items:
                f = _finding(
                    c,
                    last.tie,
                    last.reason,
                    last.evidence,
                    si,
                    item_trig,
                    "item of an enumeration",
                    f"continues sentence {last.si - si:+d}",
                    0.9 * last.reason_conf,
                )
                raw.append((f, c))
    links = _leader_links(doc, cands, lex)
    propagated: list[Finding] = []
    for f, c in raw:
        if c.label == "PERSON" and c.key in links and f.tie in lex.propagate_ties:
            org, link_sentence = links[c.key]
            propagated.append(
                Finding(
                    entity=org.name,
                    entity_type="ORG",
                    tie=f.tie,
                    reason=f.reason,
                    evidence=f.evidence,
                    via=f.entity,
                    confidence=round(f.confidence * 0.9, 3),
                    entity_id=org.entity_id,
                    sentence_index=f.sentence_index,
                    explain={
                        **f.explain,
                        "propagated_from": f.entity,
                        "leader_link": link_sentence,
                        "confidence": {**f.explain["confidence"], "propagation": 0.9},
                    },
                )
            )
    return best_per_group(_named_over_implied([f for f, _ in raw] + propagated))


def _reason_strength(f: Finding) -> int:
    """How directly the sentence named the finding's list: 2 named in it, 1 implied by an issuer in
    it, 0 borrowed from elsewhere (a neighbour, the act continued, nothing)."""
    src = str(f.explain.get("reason_source", ""))
    if src == "list named in sentence":
        return 2
    return 1 if src.startswith("issuer") and " in sentence " not in src else 0


def _named_over_implied(findings: list[Finding]) -> list[Finding]:
    """One entity, one tie, two lists in neighbouring sentences, one of them only implied ("OFAC
    imposed sanctions on X. X was added to the CAPTA List."): the list the text names is the one meant."""
    out = []
    for f in findings:
        strength = _reason_strength(f)
        stronger = any(
            g.tie == f.tie
            and g.entity_key == f.entity_key
            and g.via == f.via
            and abs(g.sentence_index - f.sentence_index) <= NEIGHBOURHOOD
            and _reason_strength(g) > strength
            for g in findings
            if g is not f and f.tie != "award"
        )
        if not stronger:
            out.append(f)
    return out


def best_per_group(findings: list[Finding]) -> list[Finding]:
    """Keep one finding per (entity, tie, reason, via): the most confident, earliest on ties."""
    best: dict[tuple, Finding] = {}
    for f in findings:
        k = (f.entity_key, f.tie, f.reason.casefold(), f.via)
        cur = best.get(k)
        if cur is None or f.confidence > cur.confidence:
            best[k] = f
    return sorted(best.values(), key=lambda f: (f.sentence_index, f.entity, f.tie))
