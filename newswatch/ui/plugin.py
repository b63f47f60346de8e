"""The datasette plugin of ``newswatch ui``: links between the records.

An alert's entity opens that entity's timeline; an alert key (in the overview, the timeline and the
triage log) opens the alert's row, where datasette lists the findings and sources that point to it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import markupsafe
from datasette import hookimpl

ENTITY_LINKED = {"alerts", "alert_overview", "open_alerts", "triage_log", "entity_timeline", "findings"}
KEY_LINKED = {"alert_overview", "open_alerts", "triage_log", "entity_timeline"}


def _get(row: Any, column: str) -> Any:
    try:
        return row[column]
    except (KeyError, IndexError):
        return None


# Column descriptions (metadata.yaml) fold away under one line instead of filling the screen.
FOLD_COLUMN_NOTES = """
document.querySelectorAll("dl.column-descriptions").forEach(function (dl) {
  var box = document.createElement("details"), title = document.createElement("summary");
  title.textContent = "What the columns mean";
  dl.parentNode.insertBefore(box, dl);
  box.appendChild(title);
  box.appendChild(dl);
});
"""


@hookimpl
def extra_body_script() -> str:
    return FOLD_COLUMN_NOTES


@hookimpl
def render_cell(row: Any, value: Any, column: str, table: str | None, database: str, datasette: Any) -> Any:
    if not table or not isinstance(value, str) or not value:
        return None
    if column in ("entity", "subject") and table in ENTITY_LINKED:
        href = datasette.urls.table(database, "entity_timeline") + "?" + urlencode({"subject": value})
        return markupsafe.Markup('<a class="nw-entity" href="{}">{}</a>').format(href, value)
    if column in ("key", "alert_key") and table in KEY_LINKED:
        alert_id = _get(row, "alert_id")
        if alert_id is None:
            return None
        href = datasette.urls.row(database, "alerts", str(alert_id))
        return markupsafe.Markup('<a class="nw-alert" href="{}">{}</a>').format(href, value)
    return None
