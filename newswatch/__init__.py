"""newswatch: ties between watched entities and blacklists or telling awards, from the news to Slack.

One article's way: ``crawler`` (or ``newswatch ingest``) hands a fetched page to
:meth:`newswatch.pipeline.Pipeline.process`, which extracts (``nlp.extract``), annotates
(``nlp.annotate``), resolves names (``watchlists.resolve``), detects ties (``nlp.ties``), applies
the rules (``alerts.rules``), stores everything in one transaction (``articles`` and
``alerts.groups``) and leaves pending alerts for the outbox (``alerts.outbox``) to deliver.
"""

__version__ = "0.1.0"
