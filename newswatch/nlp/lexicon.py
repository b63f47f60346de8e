"""The lexicon: awards, government lists, tie triggers and hedges, loaded from ``lexicon.yaml``."""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import Field

from ..config import Strict, read_yaml, validate

# Common nouns that stand for an award: the annotator tags '"Hero of Labour" medal' as AWARD with
# them, and the tie rules accept "awarded the prize" because of them. ("order" is not one: "awarded
# an order for ten ships" is a contract; "Order of ..." is a title shape the annotator knows.)
AWARD_NOUNS = frozenset(
    {"award", "prize", "medal", "honour", "honor", "trophy", "title", "decoration", "distinction", "accolade"}
)


class ListDef(Strict):
    name: str
    aliases: list[str] = []
    issuers: list[str] = []


class BlacklistTriggers(Strict):
    standalone: list[str] = []
    needs_list: list[str] = []
    adjectives: list[str] = []
    list_subject: list[str] = []
    nouns: list[str] = []


class DelistingTriggers(Strict):
    standalone: list[str] = []
    needs_list: list[str] = []
    nouns: list[str] = []


class AwardTriggers(Strict):
    recipient_subject: list[str] = []
    recipient_object: list[str] = []
    recipient_nouns: list[str] = []


class Triggers(Strict):
    blacklist: BlacklistTriggers = BlacklistTriggers()
    delisting: DelistingTriggers = DelistingTriggers()
    award: AwardTriggers = AwardTriggers()


class Hedges(Strict):
    negation: list[str] = []
    modal: list[str] = []
    lemmas: list[str] = []


class Lexicon(Strict):
    awards: list[str] = []
    award_aliases: dict[str, list[str]] = Field(default_factory=dict)
    lists: list[ListDef] = []
    list_nouns: list[str] = []
    triggers: Triggers = Triggers()
    hedges: Hedges = Hedges()
    company_anaphors: list[str] = []
    leader_roles: list[str] = Field(default_factory=list)
    propagate_ties: list[str] = Field(default_factory=lambda: ["award"])
    org_words: list[str] = Field(default_factory=list)
    legal_forms: list[str] = Field(default_factory=list)
    prefix_forms: list[str] = Field(default_factory=list)
    name_heads: list[str] = Field(default_factory=list)
    of_heads: list[str] = Field(default_factory=list)

    def list_for_alias(self, text: str) -> str | None:
        """Canonical list name for a list alias as written, or None."""
        low = " ".join(text.casefold().split())
        for lst in self.lists:
            if low == lst.name.casefold() or any(low == a.casefold() for a in lst.aliases):
                return lst.name
        return None

    def list_for_issuer(self, text: str) -> str | None:
        """Canonical list of the issuer named ``text`` ("The US Department of Defence" -> DoD list)."""
        low = " ".join(text.casefold().replace("’", "'").split())
        for prefix in ("the ", "u.s. ", "us ", "united states "):
            if low.startswith(prefix):
                low = low[len(prefix) :]
        for lst in self.lists:
            for issuer in lst.issuers:
                iss = issuer.casefold()
                for prefix in ("u.s. ", "us "):
                    if iss.startswith(prefix):
                        iss = iss[len(prefix) :]
                if low == iss:
                    return lst.name
        return None

    def list_named_in(self, text: str) -> str | None:
        """The list a descriptive name names: the longest alias (else issuer) of a list found in
        ``text`` as whole words ("SDN List (Iran-related, E.O. 13846)" -> OFAC SDN List,
        "OFAC full blocking sanctions" -> OFAC SDN List), or None."""
        low = f" {_fold(text)} "
        best: tuple[int, int, str] | None = None
        for lst in self.lists:
            for rank, names in ((1, [lst.name, *lst.aliases]), (0, lst.issuers)):
                for name in names:
                    key = _fold(name)
                    if key and f" {key} " in low:
                        cand = (rank, len(key), lst.name)
                        if best is None or cand > best:
                            best = cand
        return best[2] if best else None


def _fold(text: str) -> str:
    """Case-folded words of ``text`` without punctuation (for whole-word containment)."""
    return " ".join(re.sub(r"[^\w]+", " ", text.casefold().replace("’", "'").replace("'s", "")).split())


def load_lexicon(path: Path) -> Lexicon:
    """Read and validate the lexicon file."""
    return validate(Lexicon, read_yaml(path), path)
