"""The counter and its visits as the Metrica simulator's store (docs/sources/metrica.md):
`{"counter": {...}, "visits": [row, ...]}`, one row per day × traffic source × UTM (sandbox/world/visits.py).
"""

from __future__ import annotations

from sandbox.world.sources_model import Sources, bulk_allocation

COUNTER_ID = 44_147_844


def store(company) -> dict:
    with bulk_allocation():
        return metrica_store(company.sources)


def metrica_store(sources: Sources) -> dict:
    rows = [
        {
            "date": day.isoformat(),
            "traffic_source_id": key[0],
            "utm_source": key[1],
            "utm_medium": key[2],
            "utm_campaign": key[3],
            "visits": visits,
            "users": users,
        }
        for (day, key), (visits, users) in sources.visits.items()
    ]
    rows.sort(key=lambda row: row["date"])  # stable: within a day, the counter's own order
    counter = {"id": COUNTER_ID, "name": "Уютный дом", "site": "uyutdom.ru", "timezone": "Europe/Moscow"}
    return {"counter": counter, "visits": rows}
