"""Yandex.Metrica visits per day × traffic source × UTM, made to fit the leads.

A row's visits are about 32 × the month's daily average of leads that came through it (weekdays busier
than weekends), and never fewer than 20 × that day's own leads: visits ≫ leads, with the leads' own
yearly rhythm. Rows nobody visited that day do not exist, as in Metrica. The Reporting API's shape of
them is systems/metrica/export.py (beside this package).
"""

from __future__ import annotations

import calendar
import random
from collections import Counter
from datetime import date, timedelta

from sandbox.world.channels import CPA_NETWORKS, DIRECT_CAMPAIGNS, EMAIL_CAMPAIGNS, GOOGLE_CAMPAIGNS
from sandbox.world.reference import HISTORY_START
from sandbox.world.sources_model import Lead, Sources

VISITS_PER_LEAD = 32
MIN_VISITS_PER_LEAD = 20
NO_UTM = (None, None, None)
# Visits that never turn into a lead through the site, as a share of all lead-bearing visits.
BACKGROUND = {("internal", *NO_UTM): 0.01, ("social", *NO_UTM): 0.02}


def visit_keys() -> list[tuple]:
    """Every (traffic source id, UTMSource, UTMMedium, UTMCampaign) the counter records."""
    keys = [("ad", "yandex", "cpc", c) for c in DIRECT_CAMPAIGNS] + [
        ("ad", "google", "cpc", c) for c in GOOGLE_CAMPAIGNS
    ]
    keys += [("organic", *NO_UTM), ("direct", *NO_UTM), ("referral", *NO_UTM)]
    keys += [("email", "newsletter", "email", c) for c in EMAIL_CAMPAIGNS]
    keys += [("social", "vk", "social", "vk_posts"), ("social", "vk", "social", "vk_ads")]
    keys += [("social", "telegram", "social", "tg_channel")] + [
        ("ad", n, "cpa", "offer") for n in CPA_NETWORKS
    ]
    return keys + list(BACKGROUND)


def _weekday_factor(day: date) -> float:
    return 0.8 if day.weekday() >= 5 else 1.08  # averages to 1 over a week


def lead_cells(leads: list[Lead]) -> Counter:
    return Counter((lead.created.date(), lead.touch.visit_key) for lead in leads if lead.touch.visit_key)


def build_visits(sources: Sources, as_of: date, rng: random.Random) -> None:
    cells = lead_cells(sources.leads)
    monthly = Counter()
    for (day, key), count in cells.items():
        monthly[day.year, day.month, key] += count
    keys, day = visit_keys(), HISTORY_START
    while day <= as_of:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        means = {
            key: monthly[day.year, day.month, key] / days_in_month * VISITS_PER_LEAD * _weekday_factor(day)
            for key in keys
            if key not in BACKGROUND
        }
        total = sum(means.values())
        means.update({key: share * total for key, share in BACKGROUND.items()})
        for key in keys:
            visits = round(means[key] * rng.uniform(0.85, 1.15))
            if leads := cells.get((day, key), 0):
                visits = max(visits, MIN_VISITS_PER_LEAD * leads + rng.randint(0, 9))
            if visits:
                sources.visits[day, key] = [visits, max(1, round(visits * rng.uniform(0.8, 0.93)))]
        day += timedelta(days=1)


def revise_day(sources: Sources, day: date, new_leads: list[Lead], rng: random.Random) -> None:
    """Metrica revises recent days: tonight's leads bring their visits to the as-of day."""
    for (lead_day, key), count in lead_cells(new_leads).items():
        if lead_day == day:
            cell = sources.visits.setdefault((day, key), [0, 0])
            extra = count * rng.randint(MIN_VISITS_PER_LEAD + 5, VISITS_PER_LEAD + 8)
            cell[0] += extra
            cell[1] += max(1, round(extra * 0.88))


def revise_away(sources: Sources, day: date) -> tuple | None:
    """Metrica's revision also removes rows: robots filtered out of a recent day take a whole (day, source,
    UTM) group with them. The smallest group of `day` that no lead came from goes (ties by key; no random
    draw, so the rest of the night is as before). Returns its key, or None when the day has no such group."""
    from_leads = {key for (lead_day, key) in lead_cells(sources.leads) if lead_day == day}
    groups = [(cell[0], key) for (cell_day, key), cell in sources.visits.items() if cell_day == day]
    candidates = sorted(
        ((visits, key) for visits, key in groups if key not in from_leads),
        key=lambda group: (group[0], tuple(part or "" for part in group[1])),  # a blank UTM tag is None
    )
    if not candidates:
        return None
    key = candidates[0][1]
    del sources.visits[(day, key)]
    return key
