"""The investigator's view: the store in a browser (datasette), and exports of an entity's record.

:mod:`.server` starts datasette on the store with the metadata of ``metadata.yaml`` and the links of
:mod:`.plugin`; :mod:`.export` writes an entity timeline as CSV or JSON. Slack messages link to an
alert's row here when ``ui.base_url`` is set (:func:`newswatch.alerts.message.record_url`).
"""

from __future__ import annotations

from pathlib import Path


def database_name(db_file: str | Path) -> str:
    """The name datasette serves a database file under (its stem: ``demo`` for ``demo.db``)."""
    return Path(db_file).stem
