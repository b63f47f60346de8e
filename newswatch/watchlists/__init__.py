"""Watchlists: importers of real list formats, DB storage, normalization, the name matcher, and the
resolve stage that ties names in articles to watched entities.

:class:`Watchlist` holds one process's entities and their index; :class:`Resolver` is the stage.
"""

from .importers import load_watchlist_yaml
from .model import WatchEntity
from .normalize import normalize_name
from .resolve import Resolver
from .watchlist import Watchlist

__all__ = ["Resolver", "WatchEntity", "Watchlist", "load_watchlist_yaml", "normalize_name"]
