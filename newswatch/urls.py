"""URL canonicalization: one URL identity for "already stored" checks across runs."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Parameters that only track the click, never select content.
TRACKING_PREFIXES = ("utm_", "mc_", "pk_", "hsa_", "_hs")
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "gbraid",
        "wbraid",
        "msclkid",
        "yclid",
        "igshid",
        "twclid",
        "ocid",
        "cmpid",
        "cmp",
        "ncid",
        "sr_share",
        "smid",
        "smtyp",
        "ito",
        "_ga",
        "_gl",
        "mkt_tok",
        "oly_anon_id",
        "oly_enc_id",
        "vero_id",
        "wt.mc_id",
        "xtor",
        "ref_src",
        "s_cid",
    }
)


def is_tracking_param(name: str) -> bool:
    """True for query parameters that track a click (utm_*, fbclid, ...)."""
    low = name.lower()
    return low in TRACKING_PARAMS or low.startswith(TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """Canonical form of ``url``: scheme and host lowercased, default port, fragment and
    tracking parameters removed, remaining query sorted (w3lib rules).

    >>> canonicalize("HTTPS://Example.com:443/a?utm_source=x&b=2&a=1#top")
    'https://example.com/a?a=1&b=2'
    """
    parts = urlsplit(url.strip())
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not is_tracking_param(k)]
    host = (parts.hostname or "").lower()
    port = parts.port
    scheme = parts.scheme.lower()
    if port and not ((scheme == "http" and port == 80) or (scheme == "https" and port == 443)):
        host = f"{host}:{port}"
    cleaned = urlunsplit((scheme, host, parts.path or "/", urlencode(query), ""))
    return canonicalize_url(cleaned, keep_fragments=False)
