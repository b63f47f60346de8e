"""Outbox speed: N synthetic pending alerts (plus one later source each) delivered by the real
slack_sdk client to the local Slack-compatible test server over HTTP on 127.0.0.1.

    .venv/bin/python bench/alert_outbox.py [--alerts 500]

Prints alerts/s for posting, replies/s (thread reply + chat.update of the parent), and the
time to recover a crashed batch (every alert left in `sending`, looked up in the history).
Never run by CI. The test server answers at once, so this measures newswatch + slack_sdk +
SQLite overhead, not Slack (which allows about 1 message per second per channel).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from newswatch.alerts.outbox import deliver_pending  # noqa: E402
from newswatch.alerts.sinks import SlackSink  # noqa: E402
from newswatch.config import AlertSettings, SlackSettings  # noqa: E402
from newswatch.store import dumps, open_db, write_transaction  # noqa: E402
from tests.support.slack_server import SlackServer  # noqa: E402


def seed(db, n: int) -> None:
    now = "2026-01-01T00:00:00+00:00"
    with write_transaction(db):
        for i in range(n):
            key = f"bench{i:06d}"
            payload = {
                "entity": f"Entity {i}",
                "tie": "blacklist",
                "reason": "Entity List",
                "evidence": f"Entity {i} was added to the Entity List.",
                "confidence": 0.9,
                "severity": "high",
                "url": f"https://news.example/{i}",
                "title": f"Story {i}",
                "published": "2026-01-01",
            }
            db["alerts"].insert(
                {
                    "key": key,
                    "group_key": key,
                    "status": "pending",
                    "attempts": 0,
                    "entity": payload["entity"],
                    "tie": "blacklist",
                    "reason": "Entity List",
                    "severity": "high",
                    "payload": dumps(payload),
                    "sources": 2,
                    "created_at": now,
                    "updated_at": now,
                    "last_seen_at": now,
                    "text": payload["title"],
                }
            )
            db["alert_sources"].insert(
                {
                    "alert_key": key,
                    "article_id": i * 2 + 1,
                    "url": payload["url"],
                    "title": "first",
                    "reply_status": "first",
                    "attempts": 0,
                }
            )
            db["alert_sources"].insert(
                {
                    "alert_key": key,
                    "article_id": i * 2 + 2,
                    "url": f"https://other.example/{i}",
                    "title": f"Other {i}",
                    "reply_status": "pending",
                    "attempts": 0,
                }
            )


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--alerts", type=int, default=500)
    args = ap.parse_args()
    with SlackServer() as server, tempfile.TemporaryDirectory() as tmp:
        sink = SlackSink.from_env(SlackSettings(), {"SLACK_BOT_TOKEN": "xoxb-bench", "SLACK_API_URL": server.base_url})
        db = open_db(Path(tmp) / "bench.db")
        seed(db, args.alerts)
        t0 = time.perf_counter()
        report = deliver_pending(db, sink, settings=AlertSettings())
        total = time.perf_counter() - t0
        posts = server.count("chat.postMessage")
        print(
            f"alerts={args.alerts} sent={len(report.sent)} replies={len(report.replies)} "
            f"chat.postMessage={posts} chat.update={server.count('chat.update')} total={total:.2f}s "
            f"-> {(len(report.sent) + len(report.replies)) / total:.0f} messages/s"
        )
        db.execute("update alerts set status = 'sending', claimed_at = ?", [time.time()])
        t0 = time.perf_counter()
        again = deliver_pending(db, sink, settings=AlertSettings())
        dt = time.perf_counter() - t0
        print(
            f"crash recovery: {len(again.recovered)} alerts found in history, "
            f"{server.count('chat.postMessage') - posts} re-posted, {dt:.2f}s "
            f"({len(again.recovered) / dt:.0f} alerts/s)"
        )


if __name__ == "__main__":
    main()
