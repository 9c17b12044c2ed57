"""Metrica's one stream: visits and users per day × last traffic source × UTM tags (Reporting API)."""

from __future__ import annotations

from contract.records import StreamSpec

DEFAULT_URL = "https://api-metrika.yandex.net"
DATA_PATH = "stat/v1/data"
KEY_FIELDS = ("date", "traffic_source_id", "utm_source", "utm_medium", "utm_campaign")
# A blank UTM part is a real group ("visits without that tag"), not a missing key; date and traffic
# source must be there.
STREAMS: tuple[StreamSpec, ...] = (
    StreamSpec(
        "visits",
        DATA_PATH,
        "window",
        KEY_FIELDS,
        "date",
        blank_key_fields=frozenset({"utm_source", "utm_medium", "utm_campaign"}),
    ),
)
