"""The clean site model as WooCommerce REST v3 order JSON (docs/sources/website.md).

Amounts are strings with two decimals, dates come twice (site-local and `_gmt`, neither with an offset),
`customer_id` is 0 for guests, line items carry the 1C Артикул as `sku`, and the order attribution of
WooCommerce ≥ 8.5 sits in `meta_data` as `_wc_order_attribution_*`. Item and meta ids grow across
orders like the database's auto-increment.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sandbox.world.sources_model import MSK_OFFSET, SiteOrder, Sources, bulk_allocation

SITE = "https://uyutdom.ru"
PAYMENT_TITLES = {
    "yookassa_bank_card": "Банковская карта (ЮKassa)",
    "cod": "Оплата при получении",
    "bacs": "Банковский перевод по счёту",
}
_WEBKIT = "AppleWebKit/537.36 (KHTML, like Gecko)"
AGENTS = {
    "Mobile": f"Mozilla/5.0 (Linux; Android 13; SM-A536B) {_WEBKIT} Chrome/120.0 Mobile Safari/537.36",
    "Desktop": f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) {_WEBKIT} Chrome/120.0 Safari/537.36",
    "Tablet": "Mozilla/5.0 (iPad; CPU OS 17_2 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
}


def amount(kopecks: int) -> str:
    return f"{kopecks // 100}.{kopecks % 100:02d}"


def number(kopecks: int) -> int | float:
    return kopecks // 100 if kopecks % 100 == 0 else kopecks / 100


def dates(name: str, moment: datetime | None) -> dict:
    if moment is None:
        return {name: None, f"{name}_gmt": None}
    gmt = moment - MSK_OFFSET
    return {name: moment.isoformat(timespec="seconds"), f"{name}_gmt": gmt.isoformat(timespec="seconds")}


def _hash(order: SiteOrder, salt: str) -> bytes:
    return hashlib.blake2b(f"{salt}:{order.order_id}".encode(), digest_size=8).digest()


def attribution(order: SiteOrder) -> list[tuple[str, str]]:
    touch = order.touch
    if not touch.source_type:
        return []
    device = ("Mobile", "Mobile", "Desktop", "Tablet")[_hash(order, "device")[0] % 4]
    pairs = [("source_type", touch.source_type)]
    if touch.source_type != "admin":
        pairs += [
            ("referrer", touch.referrer),
            ("utm_source", touch.utm_source),
            ("utm_medium", touch.utm_medium),
            ("utm_campaign", touch.utm_campaign),
            ("utm_content", touch.utm_content),
            ("session_pages", str(2 + _hash(order, "pages")[0] % 12)),
            ("session_count", "1"),
            ("device_type", device),
            ("user_agent", AGENTS[device]),
        ]
    return [(f"_wc_order_attribution_{key}", value) for key, value in pairs if value]


def line_items(order: SiteOrder, next_id) -> list[dict]:
    return [
        {
            "id": next_id(),
            "name": line.name,
            "product_id": line.product_id,
            "variation_id": 0,
            "quantity": line.qty,
            "tax_class": "",
            "subtotal": amount(line.amount),
            "subtotal_tax": "0.00",
            "total": amount(line.amount),
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": [],
            "sku": line.sku,
            "price": number(line.price),
            "image": {"id": "", "src": ""},
            "parent_name": None,
        }
        for line in order.lines
    ]


def shipping_lines(order: SiteOrder, next_id) -> list[dict]:
    if not order.shipping and order.lines and order.lines[0].sku.startswith("GIFT-"):
        return []  # an e-certificate ships nowhere
    title, method = ("Доставка курьером", "flat_rate") if order.shipping else ("Самовывоз", "local_pickup")
    return [
        {
            "id": next_id(),
            "method_title": title,
            "method_id": method,
            "instance_id": "1",
            "total": amount(order.shipping),
            "total_tax": "0.00",
            "taxes": [],
            "meta_data": [],
        }
    ]


def order_record(order: SiteOrder, next_item, next_meta) -> dict:
    items = line_items(order, next_item)
    meta = [("is_vat_exempt", "no"), *attribution(order)]
    checkout = order.touch.source_type != "admin"
    ip = _hash(order, "ip")
    record = {
        "id": order.order_id,
        "parent_id": 0,
        "status": order.status,
        "currency": "RUB",
        "version": "8.9.3",
        "prices_include_tax": True,
        **dates("date_created", order.created),
        **dates("date_modified", order.modified),
        "discount_total": "0.00",
        "discount_tax": "0.00",
        "shipping_total": amount(order.shipping),
        "shipping_tax": "0.00",
        "cart_tax": "0.00",
        "total": amount(order.total),
        "total_tax": "0.00",
        "customer_id": order.customer_id,
        "order_key": f"wc_order_{_hash(order, 'key').hex()[:13]}",
        "billing": dict(order.billing),
        "shipping": {k: v for k, v in order.billing.items() if k != "email"},
        "payment_method": order.payment,
        "payment_method_title": PAYMENT_TITLES[order.payment],
        "transaction_id": _hash(order, "txn").hex() if order.paid and order.payment != "cod" else "",
        "customer_ip_address": f"{ip[0] % 180 + 10}.{ip[1]}.{ip[2]}.{ip[3] % 250 + 1}" if checkout else "",
        "customer_user_agent": "",
        "created_via": "checkout" if checkout else "admin",
        "customer_note": "",
        **dates("date_completed", order.completed),
        **dates("date_paid", order.paid),
        "cart_hash": _hash(order, "cart").hex() * 2 if checkout else "",
        "number": order.number,
        "meta_data": [{"id": next_meta(), "key": key, "value": value} for key, value in meta],
        "line_items": items,
        "tax_lines": [],
        "shipping_lines": shipping_lines(order, next_item),
        "fee_lines": [],
        "coupon_lines": [],
        "refunds": [],
        "payment_url": f"{SITE}/checkout/order-pay/{order.order_id}/?pay_for_order=true&key=wc_order",
        "is_editable": order.status == "pending",
        "needs_payment": order.status in ("pending", "failed"),
        "needs_processing": True,
        "currency_symbol": "₽",
        "_links": {
            "self": [{"href": f"{SITE}/wp-json/wc/v3/orders/{order.order_id}"}],
            "collection": [{"href": f"{SITE}/wp-json/wc/v3/orders"}],
        },
    }
    if order.customer_id:
        record["_links"]["customer"] = [{"href": f"{SITE}/wp-json/wc/v3/customers/{order.customer_id}"}]
    return record


def website_store(sources: Sources) -> dict:
    """`{"orders": [...]}`, newest first as WooCommerce lists them by default; a fresh structure each call.
    A trashed order is stored with status `trash` (the simulator hides it from `status=any`); one deleted
    for good is absent, though it keeps its item and meta ids: the database never hands them out again."""
    counters = {"item": 30_000, "meta": 150_000}

    def counter(kind: str):
        def next_id() -> int:
            counters[kind] += 1
            return counters[kind]

        return next_id

    ordered = sorted(sources.site_orders, key=lambda o: o.order_id)
    records = [order_record(o, counter("item"), counter("meta")) for o in ordered]
    kept = [record for record, order in zip(records, ordered, strict=True) if order.deleted_at is None]
    return {"orders": kept[::-1]}


def store(company) -> dict:
    """The company's web shop as the simulator's store: `{"orders": [...]}`."""
    with bulk_allocation():
        return website_store(company.sources)
