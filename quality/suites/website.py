"""What is checked on landed WooCommerce orders (raw_website.orders; docs/sources/website.md).

A completed site order that never reached 1C is a sale (docs/METRICS.md — Sale): its `total` is revenue
and its `date_completed_gmt` the sale's moment; every order, any status, is a customer record and a
funnel step.
Amounts arrive as strings and dates as offset-less text, and staging casts both with a plain CAST.
"""

from __future__ import annotations

import datetime as dt

from quality.checks import (
    StreamChecks,
    amount,
    at_least,
    garbled,
    in_set,
    is_null,
    latest,
    moment,
    not_null,
    number,
    offending,
    text,
    unique,
)

SCHEMA = "raw_website"
# WooCommerce core order statuses (docs/sources/website.md); `checkout-draft` is core too (the block
# checkout's draft, WooCommerce ≥ 6.3). Trashed orders stay listed with status `trash`. Anything else is
# a plugin's own status ("shipped", "delivered", …): counted as not a sale, which is right only if it is
# not one.
CORE_STATUSES = [
    "pending",
    "processing",
    "on-hold",
    "completed",
    "cancelled",
    "refunded",
    "failed",
    "trash",
    "checkout-draft",
]
CURRENCIES = ["RUB"]  # money is RUB (docs/METRICS.md): there is no exchange-rate step to add other currencies
MONEY_FIELDS = ["total", "discount_total", "shipping_total", "total_tax"]
DATE_FIELDS = [f"{name}{suffix}" for name in ("date_created", "date_modified", "date_completed", "date_paid")
               for suffix in ("", "_gmt")]  # fmt: skip
LINE_NUMBERS = ["quantity", "price", "subtotal", "total", "total_tax"]
# The customer's own words on the order: what a site order contributes to a customer's name.
NAME_FIELDS = ["$.billing.first_name", "$.billing.last_name", "$.billing.company"]


def _money(path: str, json: str = "_data") -> str:
    """As staging casts it (DECIMAL(18, 2)): text that does not fit is `amounts_not_numeric`'s to name, so
    an overflowing amount fails one check, not two."""
    return f"try_cast({text(path, json)} as decimal(18, 2))"


def _utc(field: str) -> str:
    """The `<field>_gmt` moment (UTC), as staging reads it; the site-local fallback only matters for very
    old WooCommerce, whose orders have no `_gmt` at all."""
    return f"coalesce(try_cast({text(field + '_gmt')} as timestamp), try_cast({text(field)} as timestamp))"


def _orders(now: dt.datetime) -> StreamChecks:
    has_contact = f"coalesce({text('$.billing.phone')}, {text('$.billing.email')}) is not null"
    sql = f"""
        select _id as order_id,
               try_cast({text("id")} as bigint) as id,
               {text("number")} as number,
               lower({text("status")}) as status,
               {text("currency")} as currency,
               {offending(MONEY_FIELDS, "decimal(18, 2)")} as amounts_not_numeric,
               {_money("total")} as total,
               {garbled(NAME_FIELDS)} as names_garbled,
               {offending(DATE_FIELDS, "timestamp")} as dates_not_parseable,
               {_utc("date_created")} as created_at,
               {_utc("date_completed")} as completed_at,
               case when lower({text("status")}) = 'completed' then {_utc("date_completed")} is not null
                    end as completed_has_date,
               {has_contact} as has_phone_or_email
        from {latest(SCHEMA, "orders")} as latest"""
    checks = [
        not_null("id", "the key is WooCommerce's integer order id (line items and CRM leads point at it)"),
        unique("id", "one order per id: two keys that are one number would be two orders in staging"),
        not_null("number", "the order number is what 1C carries: without it a sale can be counted twice"),
        not_null("status", "every order has a status: it decides whether the order is a sale"),
        in_set(
            "status",
            CORE_STATUSES,
            "a WooCommerce core status; a plugin's status is counted as no sale",
            "warning",
        ),
        in_set("currency", CURRENCIES, "amounts are RUB: another currency would be added up as roubles"),
        is_null(
            "amounts_not_numeric", "amounts are numeric text: staging casts them (revenue of site sales)"
        ),
        amount("total", "an order total is ≥ 0 and ≤ MAX_AMOUNT_RUB: it is a site sale's revenue"),
        is_null(
            "names_garbled", "the buyer's name is text, not mojibake or U+FFFD (a wrong charset on the way)"
        ),
        is_null("dates_not_parseable", "dates parse as ISO date-times: staging casts them"),
        not_null("created_at", "date_created_gmt is there: orders are counted by their creation date"),
        moment("created_at", now, "date_created_gmt is not in the future"),
        moment("completed_at", now, "date_completed_gmt (a site sale's moment) is not in the future"),
        in_set(
            "completed_has_date",
            [True],
            "a completed order has date_completed (without it, its last change is taken as the sale's "
            "moment)",
            "warning",
        ),
        in_set(
            "has_phone_or_email",
            [True],
            "an order has a billing phone or email (else it cannot be linked to a customer)",
            "warning",
        ),
    ]
    return StreamChecks("website.orders", sql, checks, key="order_id")


def _order_lines() -> StreamChecks:
    sql = f"""
        select latest._id || '/' || coalesce(line ->> 'id', '?') as order_line,
               {offending(LINE_NUMBERS, "decimal(18, 3)", "line")} as numbers_not_numeric,
               {number("quantity", "line")} as quantity,
               {_money("total", "line")} as total
        from {latest(SCHEMA, "orders")} as latest,
             unnest(coalesce(json_extract(latest._data, '$.line_items[*]'), [])) as lines(line)"""
    checks = [
        is_null("numbers_not_numeric", "quantities and amounts are numeric: staging casts them"),
        at_least("quantity", 0, "a line quantity is not negative (refunds are separate records)"),
        amount("total", "a line total is ≥ 0 and ≤ MAX_AMOUNT_RUB: site sales' product revenue sums it"),
    ]
    return StreamChecks("website.order_lines", sql, checks, key="order_line")


def website_checks(now: dt.datetime, landed_streams: set[str]) -> list[StreamChecks]:
    """The suites for the website streams that hold landed records."""
    return [_orders(now), _order_lines()] if "orders" in landed_streams else []
