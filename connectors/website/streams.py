"""The website's one stream: WooCommerce orders, keyed by id, over a `date_modified_gmt` window."""

from __future__ import annotations

from contract.records import StreamSpec

CURSOR_FIELD = "date_modified_gmt"
STREAMS: tuple[StreamSpec, ...] = (StreamSpec("orders", "orders", "window", ("id",), CURSOR_FIELD),)
