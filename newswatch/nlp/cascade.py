"""The cascade's first pass: which sentences of a page need the full spaCy pipeline.

A tie needs an act of listing, delisting or honouring, and every way the tie rules
(:mod:`.ties`) read one starts from a word of a small vocabulary: a list named or a list noun,
a sanctions word ("sanction", "blacklisted", "designated", "asset freeze"), a removal word
("delist", "removal"), an award word ("award", "prize", "medal", "honour", a named honour) or a
recipient noun ("winner", "laureate"), in English or Chinese. Generic verbs ("add", "remove",
"receive") only make a tie with such a word in their sentence or the one before. So a sentence
without that vocabulary is only read by the tie rules as the *neighbourhood* of one that has it,
and a page without it holds no tie at all.

:class:`Vocabulary` finds that vocabulary with one Aho-Corasick pass over the page (the same kind
of automaton the gazetteer uses); :func:`select` then picks, in the cheap sentences of
:func:`sentences` (no parser):

* **core** sentences: those with tie vocabulary;
* their **neighbourhood**: ``BACK`` sentences before (the company "it" or "the company" means,
  three sentences back in the tie rules; the list named nearby, two either side) and ``FORWARD``
  after (continued acts: "They are ...", "It also added ...", two sentences on), extended while
  the text goes on with an enumeration (bullets, fragments, the items after a lead-in ending in
  ":", over up to ``MAX_QUIET_LINES`` headings and notes without a verb between them) or with
  sentences that may continue the act ("Among the companies were ...");
* **anchors**, single sentences that the annotator and the tie rules read from anywhere in the
  page: where a name of a core sentence first appears (a lone "Lei" is the "Lei Jun" named
  earlier; an abbreviation's definition; "the Company" defined in a filing) and where it appears
  next (a name tagged ORG in one place is an ORG everywhere), where a person named in a core
  sentence is said to lead a company (an honour goes to the company *via* its leader), and the
  last issuer named before a core ("the list" is the one its issuer keeps).

The windows become one text (:attr:`Selection.text`), pieces in page order with a short neutral
sentence (:data:`GAP`) between pieces that are not adjacent, so the parser reads one document
and the tie rules keep what they carry from sentence to sentence (the last act, names introduced
earlier), while no enumeration or continued act runs across a gap. :meth:`Selection.to_page`
maps offsets in that text back to the page. When the windows cover most of the page the whole
page is parsed instead (``Selection.whole``). The gazetteer's hits (found by the conductor, the
watchlists are not this room's) are handed in as positions: their words count as names of the
core sentences they are in, and the hits outside every window are reported
(``Selection.outside``) so their mentions are still stored.

Pure: text and positions in, ranges out.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import ahocorasick

from .lexicon import AWARD_NOUNS, Lexicon
from .ties import (
    ANAPHOR_WINDOW,
    COPULAS,
    IMPOSE_VERBS,
    ISSUER_VERBS,
    LIFT_VERBS,
    MAX_QUIET_LINES,
    MEMBER_NOUNS,
    NEIGHBOURHOOD,
    SANCTION_NOUNS,
    STATE_WORDS,
)
from .zh.lexicon import ZhLexicon

# sentences read before and after a core one: the tie rules' anaphor window and reason
# neighbourhood, one more each because the cheap split cuts some sentences the parser keeps whole
BACK = ANAPHOR_WINDOW + 1
FORWARD = max(NEIGHBOURHOOD, 2) + 2
EXTEND_MAX = 80  # sentences an enumeration or continued act may add after the neighbourhood
ANCHORS_MAX = 12  # anchor sentences per page
WHOLE_SHARE = 0.7  # windows covering this share of the page's characters: parse the whole page
# between two pieces that are not adjacent in the page: a sentence with a finite verb, no name and
# no act, so no enumeration and no continued act runs across the gap
GAP = "\n\nThere is more.\n\n"

BULLETS = "•·-–—*▪●○■◦"
# words after which ". " does not end a sentence (the parser keeps "Co. Ltd" and "Mr. Lei" together)
ABBREVIATIONS = {
    "co", "corp", "inc", "ltd", "plc", "llc", "no", "jr", "sr", "st", "mr", "ms", "mrs", "dr", "gov", "sen",
    "rep", "dept", "u.s", "u.k", "e.o", "vs", "gen", "lt", "col", "prof", "est", "approx", "fig", "jan", "feb",
    "aug", "sept", "oct", "nov", "dec",
}  # fmt: skip
SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*\s+|[。！？；][”’」』）)]*")
DATELINE_DASH = re.compile(r"\s(?:-|--|—|–|---)\s+")
DATELINE_TOKEN = re.compile(r"[^\W\d_]+|\d+|[^\w\s]")
NAME_WORD = re.compile(r"\b[A-Z][\w&'’.-]*[\w]|\b[A-Z]\b")
NOT_NAMES = {
    "The", "A", "An", "In", "On", "At", "It", "Its", "He", "She", "His", "Her", "They", "Their", "This",
    "That", "These", "Those", "But", "And", "Or", "As", "For", "With", "By", "From", "To", "Of", "If", "When",
    "While", "After", "Before", "Mr", "Ms", "Mrs", "Dr", "I", "We", "Our", "You", "There", "Also", "Some",
}  # fmt: skip
# words that may carry an act on from a sentence before ("They are ...", "Among the firms were ...")
CALENDAR = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "January", "February", "March",
    "April", "May", "June", "July", "August", "September", "October", "November", "December",
}  # fmt: skip
CONTINUERS = {"they", "these", "those", "also", "too", "among", "include", "includes", "included", "including"}
FINITE = re.compile(
    r"\b(is|are|was|were|has|have|had|said|says|will|would|can|could|did|does|do|may|might|must|should)\b"
)

LIST, LIST_NOUN, ACT, AWARD = "list", "list-noun", "act", "award"  # tie vocabulary: a list named, "list" ...
ISSUER, ROLE, WEAK, MEMBER = "issuer", "role", "weak", "member"  # anchors and weak words
AWARD_VERB, LIST_ACT, LIST_VERB, MASK = "award-verb", "list-act", "list-verb", "mask"
ACT_NOUN, COPULA, SANCTION_NOUN, IMPOSE = "act-noun", "copula", "sanction-noun", "impose"
NOT_ACT_WORDS = {"include", "name", "keep", "move", "identify", "give", "hand"}  # as the tie rules' act words
MEMBER_GAP = 24  # characters between a member noun and its act word ("the companies added", "added firms")
MASKS = ["in addition", "in addition to"]  # stock phrases holding a tie word
# "on the list", "added to its trade blacklist", "removed from the list": a list noun read as a place
LIST_PLACE = re.compile(r"\b(?:on|onto|in|into|to|off|from|under)\s+(?:\S+\s+){0,5}?(?:black\s?)?lists?\b", re.I)
ALSO = re.compile(r"\b(?:also|too)\b", re.I)
IRREGULAR = {
    "put": ["put", "puts", "putting"], "keep": ["kept"], "take": ["took", "taken"], "give": ["gave", "given"],
    "strike": ["struck", "stricken"], "win": ["won"], "get": ["got", "gotten"], "hold": ["held"],
}  # fmt: skip
STRONG = (LIST, LIST_NOUN, ACT, AWARD)


def sentences(text: str) -> list[tuple[int, int]]:
    """Cheap sentence ranges ``(start, end)``: every line is one or more sentences, cut after
    ``.!?`` (not after a known abbreviation nor before a lower-case word) and after Chinese
    sentence punctuation. No parser: the cascade decides what the parser reads."""
    out: list[tuple[int, int]] = []
    for line in re.finditer(r"[^\n]+", text):
        start, end = line.span()
        pos = start
        cut = _dateline_end(text, start, end)
        if cut is not None:  # "WASHINGTON (Wirewatch) - ": a sentence of its own
            out.append(_trimmed(text, start, cut))
            pos = cut
        for m in SENTENCE_END.finditer(text, start, end):
            cut = m.end()
            if cut >= end:
                break
            if text[m.start()] == ".":
                before = text[pos : m.start()].rsplit(None, 1)
                word = before[-1].casefold().lstrip("(\"'“") if before else ""
                if word in ABBREVIATIONS or (len(word) == 1 and word.isalpha()):
                    continue
            if text[cut].islower():
                continue
            if text[pos:cut].strip():
                out.append(_trimmed(text, pos, cut))
            pos = cut
        if text[pos:end].strip():
            out.append(_trimmed(text, pos, end))
    return out


def _dateline_end(text: str, start: int, end: int) -> int | None:
    """Where a wire or press dateline at a line start ends ("WASHINGTON (Wirewatch) - "), as the
    annotator's sentence hints cut it: a capitalised first word, a dash within the first 14 tokens,
    every word before it capitalised; None when the line has none."""
    m = DATELINE_DASH.search(text, start, min(end, start + 200))
    if m is None or m.end() >= end:
        return None
    toks = DATELINE_TOKEN.findall(text, start, m.start())
    if not toks or len(toks) > 13 or not (toks[0].isalpha() and toks[0].isupper() and len(toks[0]) > 1):
        return None
    if any(t.isalpha() and not (t.isupper() or t.istitle()) for t in toks):
        return None
    return m.end()


def _trimmed(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _verb_forms(verb: str) -> list[str]:
    """A verb's inflections, regular and the few irregular ones the triggers use."""
    out = [verb, verb + "s", verb + "es", verb + "ed", verb + "d", verb + "ing", *IRREGULAR.get(verb, [])]
    if verb.endswith("e"):
        out.append(verb[:-1] + "ing")
    if verb[-1] not in "aeiouwxy" and verb[-2:-1] in tuple("aeiou"):
        out += [verb + verb[-1] + "ed", verb + verb[-1] + "ing"]  # "dropped", "conferred" (and some never written)
    if verb.endswith("y") and verb[-2:-1] not in tuple("aeiou"):
        out += [verb[:-1] + "ied", verb[:-1] + "ies"]
    return out


def _forms(word: str) -> list[str]:
    """A word and its plural: keys of short words must end where the word ends."""
    return [word, word + "s"] if not word.endswith("s") else [word]


@dataclass(frozen=True)
class Hit:
    """One vocabulary word found in a page: character offsets and its kind."""

    start: int
    end: int
    kind: str  # list | list-noun | act | award (tie vocabulary); issuer, role (anchors); weak, member
    key: str


class Vocabulary:
    """The tie vocabulary of the English and Chinese lexicons (plus the words the tie rules
    themselves know: sanctions nouns, state words, recipient and member nouns) in one Aho-Corasick
    automaton over the lower-cased page. An English key matches at a word start; a key of five
    letters or more also matches as the start of a longer word ("sanction" in "sanctioned"), a
    shorter one only as a whole word or its plural ("list", "lists"; "SDN")."""

    def __init__(self, lexicon: Lexicon, zh: ZhLexicon | None = None) -> None:
        self.kinds: dict[str, dict[str, bool]] = {}  # key -> kind -> matched as a whole word only
        tr = lexicon.triggers
        for lst in lexicon.lists:
            for name in (lst.name, *lst.aliases):
                self._add(name, LIST, whole=True)  # the annotator's ruler tags them as whole words
            for issuer in lst.issuers:
                self._add(issuer, ISSUER, whole=True)
        for noun in (*lexicon.list_nouns, "blacklist", "watchlist", "black list"):
            self._add(noun, LIST_NOUN)
        # verbs (and "designat-") match as the start of a word: "sanctioned", "blacklisting"
        for word in (*tr.blacklist.standalone, *tr.delisting.standalone, *ISSUER_VERBS, "designat", "unblacklist"):
            self._add(word, ACT)
        # nouns and adjectives as written (the lexicon lists their plurals): not "additional"
        for word in (*tr.blacklist.adjectives, *(w for w in STATE_WORDS if w != "listed"), "denial order"):
            self._add(word, ACT, whole=True)
        # nouns naming the act make a tie as the subject of "include"/"be" ("New additions to the list
        # include ..."), a recipient also beside an honour ("X, a recipient of the Y Award")
        for word in (*tr.blacklist.nouns, *tr.delisting.nouns, *tr.award.recipient_nouns):
            self._add(word, ACT_NOUN, whole=True)
        for verb in (*COPULAS, "join"):
            for form in (*_verb_forms(verb), *(("is", "are", "was", "were", "been", "being") if verb == "be" else ())):
                self._add(form, COPULA, whole=True)
        self._add("among", COPULA, whole=True)
        # a sanctions noun is an act as the object of imposing or lifting ("imposed a freeze on")
        for word in SANCTION_NOUNS:
            self._add(word, SANCTION_NOUN, whole=True)
        for verb in (*IMPOSE_VERBS, *LIFT_VERBS, "subject"):
            for form in _verb_forms(verb):
                self._add(form, IMPOSE, whole=True)
        for award in (*lexicon.awards, *lexicon.award_aliases):
            self._add(award, AWARD, whole=True)
        for variants in lexicon.award_aliases.values():
            for award in variants:
                self._add(award, AWARD, whole=True)
        for noun in (*AWARD_NOUNS, "order of", "hero of", "time100", "time 100"):
            self._add(noun, AWARD)
        # an honour makes a tie only with a verb of receiving or giving ("won the prize", "was
        # awarded the title"); the recipient nouns ("winner", "laureate") are acts of their own
        for verb in (*tr.award.recipient_subject, *tr.award.recipient_object):
            for form in _verb_forms(verb.lower()):
                self._add(form, AWARD_VERB, whole=True)
        for verb in (*tr.blacklist.needs_list, *tr.delisting.needs_list, "remove", "delete"):
            for form in _verb_forms(verb.lower()):
                self._add(form, LIST_ACT, whole=True)
        for verb in (*tr.blacklist.list_subject, "remain", "stay"):
            for form in _verb_forms(verb.lower()):
                self._add(form, LIST_VERB, whole=True)
        for phrase in MASKS:
            self._add(phrase, MASK, whole=True)
        for role in lexicon.leader_roles:
            self._add(role, ROLE)
        # "Other firms added on Wednesday include ...": a member noun with an act word names an act
        # (after one stated earlier on the page)
        # (the act words of the tie rules' nominal acts: not "include", "name", "give" ...)
        weak = [*tr.blacklist.needs_list, "remove", "delete", *tr.award.recipient_object]
        for verb in (v for v in weak if v not in NOT_ACT_WORDS):
            for form in _verb_forms(verb.lower()):
                self._add(form, WEAK, whole=True)
        for noun in MEMBER_NOUNS:
            for form in (noun, noun + "s", noun[:-1] + "ies" if noun.endswith("y") else noun + "es"):
                self._add(form, MEMBER, whole=True)
        if zh is not None:
            for named in zh.lists:
                for w in (*named.aliases, *named.keywords):
                    self._add(w, LIST)
            for named in zh.awards:
                for w in (*named.aliases, *named.keywords):
                    self._add(w, AWARD)
            for w in zh.list_nouns:
                self._add(w, LIST_NOUN)
            for w in zh.award_nouns:
                self._add(w, AWARD)
            t = zh.triggers
            for w in (*t.blacklist, *t.sanction, *t.delisting):
                self._add(w, ACT)
            for w in (*t.award_subject, *t.award_object):
                self._add(w, ACT)
            for issuers in zh.issuers.values():
                for w in issuers:
                    self._add(w, ISSUER)
            for w in zh.leader_roles:
                self._add(w, ROLE)
        auto = ahocorasick.Automaton(ahocorasick.STORE_ANY, ahocorasick.KEY_STRING)
        for key, kinds in self.kinds.items():
            auto.add_word(key, (key, tuple(sorted(kinds.items()))))
        auto.make_automaton()
        self.automaton = auto

    def _add(self, word: str, kind: str, *, whole: bool = False) -> None:
        key = " ".join(word.lower().replace("’", "'").split())
        if not key:
            return
        whole = whole or len(key) < 5
        keys = _forms(key) if _is_latin(key) and whole else [key]
        for k in keys:
            kinds = self.kinds.setdefault(k, {})
            kinds[kind] = kinds.get(kind, True) and whole

    def find(self, text: str) -> list[Hit]:
        """Every vocabulary word in ``text``, in text order (overlaps kept)."""
        low = _lower_same_length(text)
        out: list[Hit] = []
        for end_idx, (key, kinds) in self.automaton.iter(low):
            start, end = end_idx - len(key) + 1, end_idx + 1
            ends_word = True
            if _is_latin(key):
                if start > 0 and (low[start - 1].isalnum()):
                    continue
                ends_word = not (end < len(low) and low[end].isalnum())
            out.extend(Hit(start, end, kind, key) for kind, whole in kinds if ends_word or not whole)
        masks = [h for h in out if h.kind == MASK]
        if masks:  # "in addition" is no addition to a list
            out = [h for h in out if h.kind == MASK or not any(m.start <= h.start and h.end <= m.end for m in masks)]
        out.sort(key=lambda h: (h.start, h.end))
        return out


def _is_latin(key: str) -> bool:
    return any("a" <= ch <= "z" for ch in key)


def _lower_same_length(text: str) -> str:
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in text)


@dataclass
class Piece:
    """A run of page text in :attr:`Selection.text`: ``page_start``..``page_end`` of the page is
    ``text_start``.. of the selection's text."""

    page_start: int
    page_end: int
    text_start: int
    why: str  # core | neighbourhood | anchor


@dataclass
class Selection:
    """What the cascade picked on one page (see the module docstring)."""

    sentences: list[tuple[int, int]]
    pieces: list[Piece] = field(default_factory=list)
    text: str = ""
    whole: bool = False  # parse the whole page
    core: list[int] = field(default_factory=list)  # sentence numbers with tie vocabulary
    outside: list[int] = field(default_factory=list)  # gazetteer hits (their numbers) outside every piece
    vocabulary: dict[str, int] = field(default_factory=dict)  # hits per kind
    page_chars: int = 0

    @property
    def parsed(self) -> str:
        """``all``, ``windows`` or ``none``."""
        return "all" if self.whole else "windows" if self.pieces else "none"

    def why(self) -> str:
        """One line for ``explain``: what was parsed and why."""
        n = len(self.sentences)
        if self.whole:
            return f"parsed whole: tie vocabulary in {len(self.core)} of {n} sentences, windows cover most of the page"
        if not self.pieces:
            return (
                f"not parsed: none of its {n} sentences has list, sanction, removal or award vocabulary, so no "
                f"sentence can hold a tie; listed names found by the gazetteer: {len(self.outside)}"
            )
        chars = sum(p.page_end - p.page_start for p in self.pieces)
        return (
            f"parsed in windows: tie vocabulary in {len(self.core)} of {n} sentences; {len(self.pieces)} pieces, "
            f"{chars} of {self.page_chars} characters; listed names outside them (gazetteer): {len(self.outside)}"
        )

    def explain(self) -> dict[str, object]:
        return {
            "parsed": self.parsed,
            "why": self.why(),
            "sentences": len(self.sentences),
            "core_sentences": self.core,
            "windows": [[p.page_start, p.page_end] for p in self.pieces],
            "vocabulary": self.vocabulary,
        }

    def to_page(self, pos: int) -> int:
        """An offset into :attr:`text` as an offset into the page (a gap maps to the next piece)."""
        starts = [p.text_start for p in self.pieces]
        i = max(0, bisect.bisect_right(starts, pos) - 1)
        p = self.pieces[i]
        return min(p.page_end, p.page_start + max(0, pos - p.text_start))

    def in_gap(self, pos: int) -> bool:
        """Is offset ``pos`` of :attr:`text` inside a :data:`GAP` (no page text)?"""
        starts = [p.text_start for p in self.pieces]
        i = bisect.bisect_right(starts, pos) - 1
        return i < 0 or pos >= self.pieces[i].text_start + (self.pieces[i].page_end - self.pieces[i].page_start)

    def sentence_at(self, page_pos: int) -> int:
        """The number of the cheap sentence holding page offset ``page_pos`` (the last one starting
        before it)."""
        return max(0, bisect.bisect_right([s for s, _ in self.sentences], page_pos) - 1)


def select(
    text: str, vocabulary: Vocabulary, names: Sequence[tuple[int, int]] = (), *, whole_share: float = WHOLE_SHARE
) -> Selection:
    """The windows of ``text`` the full pipeline must read (see the module docstring).
    ``names``: the gazetteer's hits ``(start, end)`` in ``text``."""
    sents = sentences(text)
    sel = Selection(sentences=sents, page_chars=len(text))
    if not sents:
        return sel
    starts = [s for s, _ in sents]

    def at(pos: int) -> int:
        return max(0, bisect.bisect_right(starts, pos) - 1)

    kinds_of: list[set[str]] = [set() for _ in sents]
    weak_at: dict[int, list[Hit]] = {}
    for h in vocabulary.find(text):
        kinds_of[at(h.start)].add(h.kind)
        sel.vocabulary[h.kind] = sel.vocabulary.get(h.kind, 0) + 1
        if h.kind in (WEAK, MEMBER):
            weak_at.setdefault(at(h.start), []).append(h)
    strong = [i for i, k in enumerate(kinds_of) if _tie_words(text, sents, kinds_of, i)]
    # after an act, a member noun with an act word may state another ("Other firms added include ...")
    core = [i for i in range(len(sents)) if i in strong or (strong and i > strong[0] and _member_act(weak_at.get(i)))]
    sel.core = core
    name_hits = [(at(s), s, e) for s, e in names]
    if not core:
        sel.outside = list(range(len(names)))
        return sel
    chosen: dict[int, str] = {}
    for c in core:
        for i in range(max(0, c - BACK), min(len(sents), c + FORWARD + 1)):
            chosen.setdefault(i, "neighbourhood")
        chosen[c] = "core"
    _extend(text, sents, chosen)
    _anchors(text, sents, chosen, core, kinds_of, name_hits)
    covered = sum(sents[i][1] - sents[i][0] for i in chosen)
    if covered >= whole_share * sum(e - s for s, e in sents):
        sel.whole = True
        return sel
    _assemble(text, sents, chosen, sel)
    sel.outside = [
        n for n, (_, s, e) in enumerate(name_hits) if not any(p.page_start <= s and e <= p.page_end for p in sel.pieces)
    ]
    return sel


def _member_act(hits: list[Hit] | None) -> bool:
    """A member noun next to an act word: "the companies added", "honoured entrepreneurs"."""
    if not hits:
        return False
    members = [h for h in hits if h.kind == MEMBER]
    return any(
        w.kind == WEAK and (0 <= m.start - w.end <= MEMBER_GAP or 0 <= w.start - m.end <= MEMBER_GAP)
        for w in hits
        for m in members
    )


def _tie_words(text: str, sents: list[tuple[int, int]], kinds_of: list[set[str]], i: int) -> bool:
    """Can sentence ``i`` state a tie? A list named or an act word ("sanctioned", "delisting",
    "winner"); an honour with a verb of receiving or giving, or with a list noun (its roll); a list
    noun with a listing verb, read as a place ("on the list"), or before a sentence that goes on
    with "also" and a listing verb."""
    k = kinds_of[i]
    if k & {LIST, ACT} or (AWARD in k and k & {AWARD_VERB, LIST_NOUN}):
        return True  # an honour given, received, or with its roll ("劳动模范名单如下：", "list of medallists")
    if ACT_NOUN in k and k & {COPULA, AWARD}:
        return True
    if SANCTION_NOUN in k and IMPOSE in k:
        return True
    if LIST_NOUN not in k:
        return False
    if k & {LIST_ACT, LIST_VERB} or LIST_PLACE.search(text, *sents[i]):
        return True
    return i + 1 < len(sents) and LIST_ACT in kinds_of[i + 1] and bool(ALSO.search(text, *sents[i + 1]))


def _extend(text: str, sents: list[tuple[int, int]], chosen: dict[int, str]) -> None:
    """Go on past a window's end while the page goes on with an enumeration or a continued act."""
    i = 0
    n = len(sents)
    while i < n:
        if i not in chosen or i + 1 >= n or i + 1 in chosen:
            i += 1
            continue
        # i is the last sentence of a window
        added = 0
        quiet = 0  # lines without a verb or a name after a lead-in: a heading, a note (as the tie rules read them)
        lead_in = _in_enumeration(text, sents, chosen, i)
        j = i + 1
        while j < n and added < EXTEND_MAX and j not in chosen:
            s = text[sents[j][0] : sents[j][1]]
            before = text[sents[j - 1][0] : sents[j - 1][1]].rstrip()
            lead_in = lead_in or before.endswith(":")
            if _item_like(s, lead_in) or _continues(s) or _continues(before):
                quiet = 0
            elif lead_in and quiet < MAX_QUIET_LINES and not FINITE.search(s) and len(s.split()) <= 40:
                quiet += 1
            else:
                break
            chosen[j] = "neighbourhood"
            added += 1
            j += 1
        while j - 1 > i and quiet and chosen.get(j - 1) == "neighbourhood":
            del chosen[j - 1]  # no trailing headings or notes after the last item
            j -= 1
            quiet -= 1
        i = j


def _in_enumeration(text: str, sents: list[tuple[int, int]], chosen: dict[int, str], i: int) -> bool:
    """Does the window ending at sentence ``i`` end inside the items of a lead-in ("...:")?"""
    k = i
    while k in chosen:
        s = text[sents[k][0] : sents[k][1]]
        if s.rstrip().endswith(":"):
            return True
        if not _item_like(s, True) and (FINITE.search(s) or len(s.split()) > 40):
            return False  # prose: a heading or a note without a verb keeps the list going
        k -= 1
    return False


def _item_like(s: str, lead_in: bool) -> bool:
    """An item of an enumeration: a bullet, a fragment going on with the one before, or after a
    lead-in a line that is not a sentence of prose."""
    head = s.lstrip()[:1]
    if not head or head in BULLETS or head in "(;," or head.islower():
        return True
    return lead_in and not FINITE.search(s) and _names_someone(s) and len(s.split()) <= 300


def _names_someone(s: str) -> bool:
    """Does a line name someone (an item the tie rules can take)? Two capitalised words in a row,
    or a capitalised word after the first that is no weekday or month."""
    words = re.findall(r"[\w&.'’-]+", s)
    caps = [i for i, w in enumerate(words) if w[:1].isupper() and w.rstrip(".") not in CALENDAR]
    return any(b == a + 1 for a, b in zip(caps, caps[1:], strict=False)) or any(i > 0 for i in caps)


def _continues(s: str) -> bool:
    """A sentence that may carry an act on ("They are ...", "Among the nine companies were ...")."""
    words = set(re.findall(r"[a-z]+", s.lower()))
    return bool(words & CONTINUERS) and bool(words & (MEMBER_NOUNS | {w + "s" for w in MEMBER_NOUNS}))


def _anchors(
    text: str,
    sents: list[tuple[int, int]],
    chosen: dict[int, str],
    core: list[int],
    kinds_of: list[set[str]],
    name_hits: list[tuple[int, int, int]],
) -> None:
    """Single sentences before a core one that the tie rules read from anywhere in the page."""
    added = 0

    def take(i: int) -> None:
        nonlocal added
        if i not in chosen and added < ANCHORS_MAX:
            chosen[i] = "anchor"
            added += 1

    award_page = any(AWARD in kinds_of[c] for c in core)
    words_at: dict[str, int] = {}  # a name word -> first core sentence holding it
    for c in core:
        s, e = sents[c]
        for m in NAME_WORD.finditer(text, s, e):
            w = m.group().rstrip(".")
            if w not in NOT_NAMES and len(w) > 1:
                words_at.setdefault(w, c)
        for si, hs, he in name_hits:
            if si == c:
                for w in text[hs:he].split():
                    words_at.setdefault(w, c)
    for w, c in words_at.items():
        pattern = re.compile(r"(?<![\w])" + re.escape(w) + r"(?![\w])")
        first_role = None
        for i in range(c):
            s, e = sents[i]
            if not pattern.search(text, s, e):
                continue
            if i not in chosen:
                take(i)
            if award_page and first_role is None and ROLE in kinds_of[i]:
                first_role = i
                take(i)
            if not award_page or first_role is not None:
                break
        # one name, one sense per article: the annotator tags a name ORG wherever it is one elsewhere
        for i in range(c + 1, len(sents)):
            if pattern.search(text, *sents[i]):
                take(i)
                break
    for c in core:
        near = range(max(0, c - NEIGHBOURHOOD), min(len(sents), c + NEIGHBOURHOOD + 1))
        if any(kinds_of[i] & {LIST, ISSUER} for i in near):
            continue  # the reason is read there
        for i in range(c - 1, -1, -1):
            if kinds_of[i] & {LIST, ISSUER}:
                take(i)
                break


def _assemble(text: str, sents: list[tuple[int, int]], chosen: dict[int, str], sel: Selection) -> None:
    """The chosen sentences as pieces of one text, in page order, :data:`GAP` between pieces that
    are not adjacent in the page."""
    parts: list[str] = []
    pos = 0
    prev = -2
    for i in sorted(chosen):
        s, e = sents[i]
        if i == prev + 1 and sel.pieces:
            last = sel.pieces[-1]
            parts.append(text[last.page_end : e])
            pos += e - last.page_end
            last.page_end = e
            if chosen[i] == "core":
                last.why = "core"
        else:
            if sel.pieces:
                parts.append(GAP)
                pos += len(GAP)
            sel.pieces.append(Piece(s, e, pos, chosen[i]))
            parts.append(text[s:e])
            pos += e - s
        prev = i
    sel.text = "".join(parts)
