"""newswatch: ties between watched entities and blacklists or telling awards, from the news to Slack.

One article's way: ``crawler`` (or ``newswatch ingest``) hands a fetched page to
:func:`newswatch.pipeline.Pipeline.process`, which extracts (``nlp.extract``), annotates
(``nlp.annotate``), detects ties (``nlp.ties``), resolves names (``watchlist``), applies the
rules (``rules``), stores everything in one transaction (``store``) and leaves pending alerts
for the outbox (``alerts.outbox``) to deliver.
"""

__version__ = "0.1.0"
