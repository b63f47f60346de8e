"""Chinese articles (simplified and traditional): their own annotator and tie rules, producing the
same border types as the English pipeline (a spaCy ``Doc`` for the resolve stage, ``Finding`` rows).

Pure like the rest of ``nlp/``: text in, annotations out.

- :mod:`.text`: traditional -> simplified (OpenCC tables), inline pinyin residue dropped, with a
  map back to the original characters, so evidence and names stay verbatim;
- :mod:`.lexicon`: ``lexicon_zh.yaml`` (lists, honours, triggers, hedges, name shapes), mapped to
  the canonical English reasons of ``lexicon.yaml``;
- :mod:`.annotate`: organisations by their shapes (…有限公司, …集团, …研究所), people by their
  roles (董事长雷军, 雷军（小米集团创始人）), lists, honours, watchlist aliases; a ``Doc``;
- :mod:`.ties`: 将…列入…清单, …被移出…, …荣获…称号, 向…颁发…, with hedges and leaders' honours
  passed on to their organisation ``via`` the person.
"""

from __future__ import annotations

from .annotate import ChineseNlp, ZhAnnotated
from .lexicon import ZhLexicon, load_zh_lexicon
from .text import is_chinese

__all__ = ["ChineseNlp", "ZhAnnotated", "ZhLexicon", "is_chinese", "load_zh_lexicon"]
