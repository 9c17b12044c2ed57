"""Named marketing channels and how each source spells them (docs/METRICS.md).

`MAPPING` is the dbt seed `dbt_project/seeds/channel_mapping.csv` (`write_seed`); `channel_of` applies it
the way the pipeline must: values trimmed and lower-cased, `*` matches anything (empty included), the
row with the fewest `*` wins, no match is `unknown`. `Touch` is where one visitor came from: the UTM a
CRM form lead carries, the WooCommerce order attribution, and the Metrica row the visit counts in.
"""

from __future__ import annotations

import csv
import functools
import io
import random
from dataclasses import dataclass
from pathlib import Path

UNKNOWN = "unknown"
CHANNELS = ("Яндекс Директ", "Google Ads", "SEO", "Direct", "Referral", "Email", "Social", UNKNOWN)
SEED_COLUMNS = ("source_kind", "utm_source", "utm_medium", "traffic_source_id", "channel")
# source_kind "utm": a CRM lead's UTM fields or a site order's attribution; "metrica": a Metrica row.
MAPPING = (
    ("utm", "yandex", "cpc", "*", "Яндекс Директ"),
    ("utm", "google", "cpc", "*", "Google Ads"),
    ("utm", "yandex", "organic", "*", "SEO"),
    ("utm", "google", "organic", "*", "SEO"),
    ("utm", "(direct)", "(none)", "*", "Direct"),
    ("utm", "*", "referral", "*", "Referral"),
    ("utm", "newsletter", "email", "*", "Email"),
    ("utm", "vk", "social", "*", "Social"),
    ("utm", "telegram", "social", "*", "Social"),
    ("metrica", "yandex", "*", "ad", "Яндекс Директ"),
    ("metrica", "google", "*", "ad", "Google Ads"),
    ("metrica", "*", "*", "organic", "SEO"),
    ("metrica", "*", "*", "direct", "Direct"),
    ("metrica", "*", "*", "referral", "Referral"),
    ("metrica", "*", "*", "email", "Email"),
    ("metrica", "*", "*", "social", "Social"),
)
SEED_PATH = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds" / "channel_mapping.csv"


def _clean(value: str | None) -> str:
    return (value or "").strip().lower()


# Most specific rules first, so the first match is the answer.
_RULES = sorted(MAPPING, key=lambda row: sum(cell == "*" for cell in row[1:4]))


@functools.lru_cache(maxsize=4096)  # a few dozen distinct spellings, asked for every lead and visit row
def channel_of(source_kind: str, utm_source: str | None, utm_medium: str | None, traffic_source=None) -> str:
    values = (_clean(utm_source), _clean(utm_medium), _clean(traffic_source))
    for kind, *pattern, channel in _RULES:
        if kind == source_kind and all(p == "*" or p == v for p, v in zip(pattern, values, strict=True)):
            return channel
    return UNKNOWN


def seed_csv() -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(SEED_COLUMNS)
    writer.writerows(MAPPING)
    return out.getvalue()


def write_seed(path: Path = SEED_PATH) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(seed_csv(), encoding="utf-8")
    return path


@dataclass(frozen=True, slots=True)
class Touch:
    """One visit's origin. source_type is WooCommerce's (utm|organic|referral|typein|admin, "" = none)."""

    source_type: str
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    utm_term: str = ""
    referrer: str = ""
    traffic_source: str = ""  # Metrica lastTrafficSource id; "" = no visit behind it

    @property
    def channel(self) -> str:
        return channel_of("utm", self.utm_source, self.utm_medium)

    @property
    def visit_key(self) -> tuple[str, str | None, str | None, str | None] | None:
        """The Metrica row (traffic source, UTMSource, UTMMedium, UTMCampaign) this visit counts in.
        Metrica only knows UTM that was in the landing URL: organic, type-in and referral visits have none."""
        if not self.traffic_source:
            return None
        if self.source_type != "utm":
            return (self.traffic_source, None, None, None)
        return (self.traffic_source, self.utm_source, self.utm_medium, self.utm_campaign or None)


DIRECT_CAMPAIGNS = ("poisk_mebel", "poisk_tekstil", "rsya_retarget", "brand")
DIRECT_TERMS = ("купить диван", "шторы блэкаут", "посуда набор", "ковер в гостиную", "", "")
GOOGLE_CAMPAIGNS = ("search_dom", "pmax_all")
EMAIL_CAMPAIGNS = ("digest", "sale")
REFERRERS = ("dzen.ru", "pikabu.ru", "otzovik.com", "vc.ru")
CPA_NETWORKS = ("admitad", "cityads")


def _ads(rng: random.Random, engine: str) -> Touch:
    if engine == "yandex":
        campaign, term = rng.choice(DIRECT_CAMPAIGNS), rng.choice(DIRECT_TERMS)
        content = f"ad_{rng.randint(1, 40)}" if rng.random() < 0.6 else ""
        return Touch("utm", "yandex", "cpc", campaign, content, term, "https://yandex.ru/", "ad")
    campaign = rng.choice(GOOGLE_CAMPAIGNS)
    return Touch("utm", "google", "cpc", campaign, referrer="https://www.google.com/", traffic_source="ad")


def _organic(rng: random.Random) -> Touch:
    engine = "yandex" if rng.random() < 0.75 else "google"
    referrer = "https://ya.ru/" if engine == "yandex" else "https://www.google.com/"
    return Touch("organic", engine, "organic", referrer=referrer, traffic_source="organic")


def _referral(rng: random.Random) -> Touch:
    domain = rng.choice(REFERRERS)
    return Touch("referral", domain, "referral", referrer=f"https://{domain}/", traffic_source="referral")


def _social(rng: random.Random) -> Touch:
    if rng.random() < 0.65:
        campaign = rng.choice(("vk_posts", "vk_ads"))
        return Touch("utm", "vk", "social", campaign, referrer="https://vk.com/", traffic_source="social")
    return Touch("utm", "telegram", "social", "tg_channel", traffic_source="social")


def _typein(rng: random.Random) -> Touch:
    return Touch("typein", "(direct)", "(none)", traffic_source="direct")


def _email(rng: random.Random) -> Touch:
    return Touch("utm", "newsletter", "email", rng.choice(EMAIL_CAMPAIGNS), traffic_source="email")


def _cpa(rng: random.Random) -> Touch:
    """A CPA network's tagged link: UTM the seed does not know, so the lead's channel is unknown."""
    return Touch("utm", rng.choice(CPA_NETWORKS), "cpa", "offer", traffic_source="ad")


# (builder, weight for site forms → CRM leads, weight for site orders)
_KINDS = (
    (lambda rng: _ads(rng, "yandex"), 30, 24),
    (lambda rng: _ads(rng, "google"), 8, 7),
    (_organic, 22, 26),
    (_typein, 12, 16),
    (_referral, 6, 5),
    (_email, 6, 6),
    (_social, 9, 6),
    (_cpa, 3, 2),
    (lambda rng: Touch("admin"), 0, 4),  # typed in by a manager in the shop's admin: no visit
    (lambda rng: Touch(""), 0, 4),  # blocked cookies or a pre-8.5 order: no attribution at all
)
_FORM_WEIGHTS = [kind[1] for kind in _KINDS]
_SITE_WEIGHTS = [kind[2] for kind in _KINDS]
NO_TOUCH = Touch("")


def form_touch(rng: random.Random) -> Touch:
    return rng.choices(_KINDS, weights=_FORM_WEIGHTS)[0][0](rng)


def site_touch(rng: random.Random) -> Touch:
    return rng.choices(_KINDS, weights=_SITE_WEIGHTS)[0][0](rng)
