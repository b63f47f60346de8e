"""The datasette plugin of ``newswatch ui``: links between the records.

An alert's entity opens that entity's timeline; an alert key (in the overview, the timeline and the
triage log) opens the alert's row, where datasette lists the findings and sources that point to it.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlencode

import markupsafe
from datasette import Response, hookimpl
from datasette.utils.asgi import Base400
from datasette.views.base import DatasetteError

log = logging.getLogger(__name__)

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


@hookimpl
def handle_exception(datasette: Any, request: Any, exception: Exception) -> Any:
    """Errors as datasette shows them, logged in one line: datasette's own handler prints the whole
    traceback with its local variables (request headers among them) for every bad request."""

    async def inner() -> Any:
        title = None
        info: dict[str, Any] = {}
        if isinstance(exception, Base400):
            status, message = exception.status, exception.args[0]
        elif isinstance(exception, DatasetteError):
            status, info, title = exception.status, dict(exception.error_dict), exception.title
            message = markupsafe.Markup(exception.message) if exception.message_is_html else exception.message
        else:
            status, message = 500, str(exception)
            log.error("newswatch ui: %s %s failed", request.method, request.path, exc_info=exception)
        if status < 500:
            log.info("newswatch ui: %s %s: %s %s", request.method, request.path, status, message)
        info.update({"ok": False, "error": message, "status": status, "title": title})
        if request.path.split("?")[0].endswith(".json"):
            return Response.json(info, status=status)
        template = datasette.jinja_env.select_template([f"{status}.html", "error.html"])
        page = await template.render_async(
            dict(info, urls=datasette.urls, app_css_hash=datasette.app_css_hash(), menu_links=lambda: [])
        )
        return Response.html(page, status=status)

    return inner
