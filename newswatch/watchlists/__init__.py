"""Watchlists: importers of real list formats, DB storage, normalization and the name matcher.

The pipeline-facing class is :class:`newswatch.watchlist.Watchlist`.
"""
