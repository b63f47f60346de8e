"""Synthetic news pages for the throughput benchmark: varied, about 600 words, real-world boilerplate.

Pages are generated deterministically from a seed, so two runs measure the same work. About one page
in eight states a tie (a blacklisting, a delisting or an award) so the rules and the alert path run
too; the rest are ordinary business and technology copy naming the same companies.
"""

from __future__ import annotations

import html
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

COMPANIES = [
    "Xiaomi",
    "Huawei",
    "DJI",
    "SMIC",
    "Hikvision",
    "Dahua",
    "ZTE",
    "Tencent",
    "CATL",
    "Hesai",
    "Luokung",
    "Lenovo",
    "Oppo",
    "Vivo",
    "BYD",
    "Alibaba",
    "Baidu",
    "Apple",
    "Samsung",
    "Qualcomm",
    "Nvidia",
    "Intel",
    "Micron",
    "Sony",
    "Ericsson",
    "Nokia",
    "Siemens",
    "Foxconn",
    "TSMC",
    "Arm",
]
PEOPLE = [
    "Lei Jun",
    "Ren Zhengfei",
    "Frank Wang",
    "Pony Ma",
    "Robin Zeng",
    "Tim Cook",
    "Jensen Huang",
    "Lisa Su",
    "Pat Gelsinger",
    "Cristiano Amon",
    "Sanjay Mehrotra",
    "Wang Chuanfu",
    "Eddie Wu",
]
ROLES = ["chief executive", "CEO", "founder", "chairman", "president"]
LISTS = ["the Entity List", "the Chinese Military Companies List", "the OFAC SDN List", "the FCC Covered List"]
AWARDS = ["the National May Day Labour Medal", "the Outstanding Builder of Socialism award", "the Asia Business Prize"]
TOPICS = [
    "smartphone shipments",
    "chip supply",
    "electric vehicles",
    "cloud revenue",
    "battery prices",
    "data-centre demand",
    "lidar sensors",
    "drone exports",
    "5G equipment",
    "memory prices",
]
FILLER = [
    "{c} said its {t} rose in the quarter, helped by demand in Southeast Asia and Europe.",
    "Analysts at several brokerages raised their forecasts for {c} after the results.",
    "The company plans to spend more on research and development next year, {p} told investors.",
    "Shares of {c} closed higher in Hong Kong, while the wider market was little changed.",
    "{c} launched a new product line aimed at mid-range buyers, with prices starting below $300.",
    "Industry data showed {t} slowing in the second half as inventories built up.",
    "A spokesperson for {c} declined to comment on the timing of the next launch event.",
    "Suppliers including {c2} are expected to benefit from the expansion, according to a research note.",
    "{p}, the {r} of {c}, said the firm would keep investing through the downturn.",
    "Regulators in the European Union are reviewing the market for {t}, people familiar said.",
    "The firm's gross margin improved to 21 percent from 18 percent a year earlier.",
    "Competition in {t} has intensified as newer entrants cut prices to win share.",
    "{c} and {c2} have been in talks over a licensing agreement, two people said.",
    "The quarterly report also showed higher spending on marketing in overseas markets.",
    "Investors will watch for guidance on {t} when the company reports next month.",
]
TIES = [
    "The US Commerce Department added {c} to {l} on Tuesday, citing national security concerns.",
    "The Pentagon designated {c} on {l}, according to a notice published on Wednesday.",
    "{c} was removed from {l} after a federal court ruled in its favour.",
    "{p}, the {r} of {c}, received {a} in Beijing this week.",
]
BOILERPLATE_TOP = """<header class="site-header"><a href="/">TechWire Daily</a>
<nav><ul><li><a href="/news/">News</a></li><li><a href="/markets/">Markets</a></li>
<li><a href="/gadgets/">Gadgets</a></li><li><a href="/policy/">Policy</a></li><li><a href="/about/">About</a></li>
</ul></nav><form class="search"><input name="q" placeholder="Search"></form></header>
<div class="ad-slot">- Advertisement -</div>"""
BOILERPLATE_SIDE = """<aside class="widget"><h3>Must read</h3><ul>{items}</ul></aside>
<div class="newsletter">Sign up for our newsletter. Get the day's top tech stories in your inbox.</div>"""
BOILERPLATE_BOTTOM = """<div class="share">Share this: Facebook Twitter LinkedIn Email</div>
<div class="related"><h3>Related posts</h3><ul>{items}</ul></div>
<div id="comments"><h3>Leave a Reply</h3><form><textarea name="comment"></textarea>
<input name="author" placeholder="Name*"><input name="email" placeholder="Email*">
<button>Post Comment</button></form></div>
<footer><p>&copy; 2026 TechWire Daily. All rights reserved.</p><a href="/privacy/">Privacy</a>
<a href="/terms/">Terms</a><a href="/contact/">Contact</a></footer>"""


@dataclass
class GenPage:
    """One generated page: its path on the bench server, its HTML and its publication time."""

    path: str
    title: str
    html: str
    published: datetime


def _sentence(rng: random.Random, template: str) -> str:
    c, c2 = rng.sample(COMPANIES, 2)
    return template.format(
        c=c,
        c2=c2,
        p=rng.choice(PEOPLE),
        r=rng.choice(ROLES),
        t=rng.choice(TOPICS),
        l=rng.choice(LISTS),
        a=rng.choice(AWARDS),
    )


def make_page(i: int, rng: random.Random, words: int = 600) -> GenPage:
    """Build page ``i``: a headline, about ``words`` words of body in paragraphs, boilerplate around."""
    company = rng.choice(COMPANIES)
    title = f"{company} {rng.choice(['reports', 'faces', 'bets on', 'expands in', 'rethinks'])} {rng.choice(TOPICS)}"
    paras: list[str] = []
    count = 0
    if rng.random() < 0.125:
        tie = _sentence(rng, rng.choice(TIES))
        paras.append(tie)
        count += len(tie.split())
    while count < words:
        para = " ".join(_sentence(rng, rng.choice(FILLER)) for _ in range(rng.randint(2, 5)))
        paras.append(para)
        count += len(para.split())
    published = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(minutes=17 * i)
    links = "".join(
        f'<li><a href="/news/{rng.randint(0, 10_000)}.html">{html.escape(_sentence(rng, FILLER[3]))}</a></li>'
        for _ in range(5)
    )
    body = "\n".join(f"<p>{html.escape(p)}</p>" for p in paras)
    doc = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>{html.escape(title)} | TechWire Daily</title>
<meta property="og:title" content="{html.escape(title)}">
<meta name="author" content="Staff Reporter">
<meta property="article:published_time" content="{published.isoformat()}">
</head><body>{BOILERPLATE_TOP}
<main><article><h1 class="entry-title">{html.escape(title)}</h1>
<div class="byline">By Staff Reporter · {published:%B %d, %Y}</div>
<div class="entry-content">{body}</div></article>
{BOILERPLATE_SIDE.format(items=links)}</main>
{BOILERPLATE_BOTTOM.format(items=links)}</body></html>"""
    return GenPage(path=f"/news/{i:06d}.html", title=title, html=doc, published=published)


def generate(n: int, seed: int = 7) -> list[GenPage]:
    """``n`` pages from one seed."""
    rng = random.Random(seed)
    return [make_page(i, rng) for i in range(n)]


def rss(pages: list[GenPage], base: str) -> str:
    """An RSS 2.0 feed listing ``pages``."""
    items = "".join(
        f"<item><title>{html.escape(p.title)}</title><link>{base}{p.path}</link>"
        f"<pubDate>{p.published:%a, %d %b %Y %H:%M:%S +0000}</pubDate></item>"
        for p in pages
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>TechWire Daily</title>'
        f"<link>{base}/</link><description>bench</description>{items}</channel></rss>"
    )


def sitemap(pages: list[GenPage], base: str) -> str:
    """A sitemap listing ``pages`` with lastmod."""
    urls = "".join(f"<url><loc>{base}{p.path}</loc><lastmod>{p.published.isoformat()}</lastmod></url>" for p in pages)
    return f'<?xml version="1.0" encoding="utf-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
