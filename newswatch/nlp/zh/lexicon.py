"""The Chinese lexicon (``lexicon_zh.yaml``, bundled in ``newswatch/defaults/``): lists, honours, triggers,
hedges, name shapes.

Every entry is written in simplified characters (traditional text is converted before matching);
``reason`` is the canonical English name the English lexicon uses, so one tie reported in either
language has one reason.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ...config import Strict, read_yaml, validate
from .text import to_simplified, traditional_forms


class ZhNamed(Strict):
    reason: str
    aliases: list[str] = []
    keywords: list[str] = []


class ZhTriggers(Strict):
    blacklist: list[str] = []
    sanction: list[str] = []
    delisting: list[str] = []
    award_subject: list[str] = []
    award_object: list[str] = []


class ZhLexicon(Strict):
    lists: list[ZhNamed] = []
    list_nouns: list[str] = []
    issuers: dict[str, list[str]] = {}
    awards: list[ZhNamed] = []
    award_nouns: list[str] = []
    triggers: ZhTriggers = ZhTriggers()
    hedges: list[str] = []
    org_suffixes: list[str] = []
    org_generic: list[str] = []
    leader_roles: list[str] = []
    other_roles: list[str] = []
    surnames: str = ""

    def simplified(self) -> ZhLexicon:
        """The same lexicon with every word in simplified characters (a traditional entry still matches)."""
        data = self.model_dump()

        def conv(x: object) -> object:
            if isinstance(x, str):
                return to_simplified(x)  # the English reasons are left as they are
            if isinstance(x, list):
                return [conv(v) for v in x]
            if isinstance(x, dict):
                return {k: conv(v) for k, v in x.items()}
            return x

        return ZhLexicon.model_validate(conv(data))

    def _map_words(self, each: Callable[[list[str]], list[str]]) -> ZhLexicon:
        """The same lexicon with ``each`` applied to every word list the page's first pass (the
        cascade's vocabulary) reads: lists, honours, nouns, triggers, issuers, leader roles."""
        out = self.model_copy(deep=True)
        for named in (*out.lists, *out.awards):
            named.aliases = each(named.aliases)
            named.keywords = each(named.keywords)
        out.list_nouns = each(out.list_nouns)
        out.award_nouns = each(out.award_nouns)
        t = out.triggers
        for kind in ("blacklist", "sanction", "delisting", "award_subject", "award_object"):
            setattr(t, kind, each(getattr(t, kind)))
        out.issuers = {k: each(v) for k, v in out.issuers.items()}
        out.leader_roles = each(out.leader_roles)
        return out

    def with_traditional(self) -> ZhLexicon:
        """Every word also in its traditional forms (after the simplified one): the cascade reads the
        page as written, so a traditional page ("榮獲", "實體清單") meets its vocabulary too."""

        def both(words: list[str]) -> list[str]:
            out = list(words)
            for w in words:
                out += sorted(traditional_forms(w) - set(out))
            return out

        return self._map_words(both)

    def simplified_only(self) -> ZhLexicon:
        """Without the traditional forms :meth:`with_traditional` added: the annotator and the tie
        rules read the simplified text."""
        return self._map_words(lambda words: [w for w in words if to_simplified(w) == w])

    def canonical(self, text: str) -> str | None:
        """The reason of the longest list or honour alias ``text`` holds (simplified), or None."""
        best: tuple[int, str] | None = None
        for named in self.lists + self.awards:
            for alias in named.aliases:
                if alias and alias in text and (best is None or len(alias) > best[0]):
                    best = (len(alias), named.reason)
        return best[1] if best else None

    def reasons(self) -> set[str]:
        """Every canonical reason this lexicon can give."""
        return {n.reason for n in self.lists + self.awards} | set(self.issuers)


def load_zh_lexicon(path: Path) -> ZhLexicon:
    """Read and validate ``lexicon_zh.yaml``; entries are converted to simplified characters, then
    given their traditional forms too (:meth:`ZhLexicon.with_traditional`)."""
    return validate(ZhLexicon, read_yaml(path), path).simplified().with_traditional()
