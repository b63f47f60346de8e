"""Alerts: rules that decide (``rules``), messages (``message``), sinks (``sinks``) and the
outbox that delivers pending alerts exactly once (``outbox``)."""
