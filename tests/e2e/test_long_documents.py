"""A text longer than one spaCy call takes (a long filing) is analysed in windows: the ties at its
start, in its middle and at its end are all found, each once, and the article is stored."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from click.testing import CliRunner

from newswatch.commands import cli
from newswatch.nlp.windows import windows
from tests.support.alerts import config_dir

FILLER = (
    "The annual report discusses revenue, margins and the outlook for shoppers in some detail, "
    "region by region, with the usual cautions about currencies and freight costs."
)


def _long_page(paragraphs: int) -> tuple[str, int]:
    body = ["<p>The US Department of Commerce added Quillmoor Robotics to the Entity List on Monday.</p>"]
    body += [f"<p>Paragraph {i}: {FILLER}</p>" for i in range(paragraphs)]
    body.insert(len(body) // 2, "<p>The Treasury Department sanctioned Brackwater Shipping Ltd in March.</p>")
    body.append("<p>The Pentagon removed Ostrava Lens Works from its Chinese military companies list.</p>")
    html = f"<html><head><title>A long filing</title></head><body><article>{''.join(body)}</article></body></html>"
    return html, len(html)


def test_windows_cover_the_text_end_at_breaks_and_overlap() -> None:
    text = "".join(f"Sentence {i} is here.\n" for i in range(5000))
    got = windows(text, 10_000, 1_000)
    assert got[0][0] == 0 and got[-1][1] == len(text)
    for (s1, e1), (s2, e2) in zip(got, got[1:], strict=False):
        assert s2 < e1 <= e2, "consecutive windows overlap"
        assert e1 - s2 >= 500, "and share enough for the neighbourhood"
        assert text[e1 - 1] == "\n" and text[s2 - 1] == "\n", "cut at paragraph breaks"
        assert e1 - s1 <= 10_000
    assert windows("short", 10_000, 1_000) == [(0, 5)]


def test_a_text_too_long_for_one_pass_is_analysed_in_windows(tmp_path: Path) -> None:
    cfg = config_dir(tmp_path)
    settings = yaml.safe_load((cfg / "settings.yaml").read_text())
    settings["nlp"].update({"window_chars": 10_000, "window_overlap_chars": 1_500})
    (cfg / "settings.yaml").write_text(yaml.safe_dump(settings))
    html, size = _long_page(400)  # ~70 000 characters of text: seven windows or more
    page = tmp_path / "long.html"
    page.write_text(html, encoding="utf-8")
    r = CliRunner().invoke(
        cli,
        [
            "--config",
            str(cfg),
            "--db",
            str(tmp_path / "n.db"),
            "ingest",
            "--html",
            str(page),
            "--url",
            "https://filings.example/10-k",
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert len(out["article"]["text"]) > 60_000
    ties = [(f["entity"], f["tie"]) for f in out["findings"]]
    assert ("Quillmoor Robotics", "blacklist") in ties, ties
    assert ("Brackwater Shipping Ltd", "blacklist") in ties, ties
    assert ("Ostrava Lens Works", "delisting") in ties, ties
    assert len(ties) == len(set(ties)), "a tie in an overlap is found once"
    starts = [e["start"] for e in out["entities"]]
    assert starts == sorted(starts) and len(starts) == len(set((e["start"], e["label"]) for e in out["entities"]))
    text = out["article"]["text"]
    for e in out["entities"]:
        assert text[e["start"] : e["end"]] == e["text"], e  # offsets are the article's, not a window's


def test_a_filing_over_a_million_characters_is_analysed_not_refused(tmp_path: Path) -> None:
    # spaCy refuses texts over 1,000,000 characters in one call; long tokens (a table of figures)
    # keep this quick while the text is over that limit.
    body = ["<p>The US Department of Commerce added Quillmoor Robotics to the Entity List on Monday.</p>"]
    body += ["<p>" + " ".join(f"{p:04d}{i:086d}" for i in range(120)) + "</p>" for p in range(105)]
    body.append("<p>The Pentagon removed Ostrava Lens Works from its Chinese military companies list.</p>")
    page = tmp_path / "10k.html"
    page.write_text(f"<html><head><title>10-K</title></head><body><article>{''.join(body)}</article></body></html>")
    r = CliRunner().invoke(
        cli,
        ["--db", str(tmp_path / "n.db"), "ingest", "--html", str(page), "--url", "https://sec.example/10-k", "--json"],
    )
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert len(out["article"]["text"]) > 1_000_000
    ties = {(f["entity"], f["tie"]) for f in out["findings"]}
    assert {("Quillmoor Robotics", "blacklist"), ("Ostrava Lens Works", "delisting")} <= ties, ties
