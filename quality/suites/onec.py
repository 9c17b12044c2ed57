"""What is checked on landed 1C data: one narrow DataFrame per stream and its expectations.

The frames are built by DuckDB from the latest live version of every landed record (not just this
run's batch): a bad record landed last night must keep blocking publish until the source fixes it,
even when tonight's run lands nothing new. GX then validates the frames as pandas DataFrames
(GX's SQL path over DuckDB is broken upstream: docs/ENVIRONMENT.md).
"""

from __future__ import annotations

import datetime as dt

from quality.checks import Check, StreamChecks

DOCUMENT_STREAMS = ("customer_orders", "shipments", "returns")
CATALOG_STREAMS = ("counterparties", "products", "users", "price_types")
KNOWN_VAT_RATES = [
    "НДС20",
    "НДС22",
    "НДС18",
    "НДС10",
    "НДС0",
    "БезНДС",
    "НДС20_120",
    "НДС10_110",
    "НДС5",
    "НДС7",
]


def _latest(stream: str) -> str:
    return f"""(select _data from raw_onec.{stream}
               qualify row_number() over (partition by _id order by _loaded_seq desc) = 1
               and not _deleted)"""


def _document_checks(stream: str, now: dt.datetime) -> StreamChecks:
    sql = f"""
        select _data->>'Ref_Key' as ref_key,
               -- A record with a document's system fields is a document of this stream's kind; anything
               -- else (a catalog or register row from a mis-set entity set name) is not something the
               -- marts know how to count.
               case when json_exists(_data, '$.Number') and json_exists(_data, '$.Posted')
                         and json_exists(_data, '$.Date') then '{stream}'
                    else 'not a 1C document' end as doc_kind,
               _data->>'Date' as date_text,
               try_strptime(_data->>'Date', '%Y-%m-%dT%H:%M:%S') as doc_date,
               try_cast(_data->>'СуммаДокумента' as double) as amount,
               case when try_cast(_data->>'СуммаДокумента' as double) is null
                    then _data->>'СуммаДокумента' end as amount_not_numeric,
               _data->>'Posted' as posted
        from {_latest(stream)} as latest
        where coalesce(_data->>'DeletionMark', 'false') <> 'true'
    """
    checks = [
        Check("ExpectColumnValuesToNotBeNull", {"column": "ref_key"}, why="every document has a key"),
        Check("ExpectColumnValuesToBeUnique", {"column": "ref_key"}, why="one live version per key"),
        Check("ExpectColumnValuesToNotBeNull", {"column": "doc_date"}, why="Date parses as a datetime"),
        Check(
            "ExpectColumnValuesToBeBetween",
            {"column": "doc_date", "min_value": dt.datetime(2000, 1, 1), "max_value": now},
            why="document dates are not in the future nor before 2000",
        ),
        # The non-numeric text itself (null when numeric or absent): failures show the bad value.
        Check(
            "ExpectColumnValuesToBeNull", {"column": "amount_not_numeric"}, why="СуммаДокумента is numeric"
        ),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "doc_kind", "value_set": [stream]},
            why="the records are documents of the kind the stream declares",
        ),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "posted", "value_set": ["true", "false"]},
            why="Posted is a boolean: only posted documents are sales",
        ),
    ]
    return StreamChecks(suite=f"onec.{stream}", sql=sql, checks=checks)


def _line_checks(stream: str) -> StreamChecks:
    sql = f"""
        select latest._data->>'Ref_Key' as ref_key,
               line->>'Номенклатура_Key' as product_key,
               try_cast(line->>'Сумма' as double) as line_amount,
               case when try_cast(line->>'Сумма' as double) is null
                    then line->>'Сумма' end as line_amount_not_numeric,
               line->>'СтавкаНДС' as vat_rate
        from {_latest(stream)} as latest,
             unnest(coalesce(json_extract(latest._data, '$.Товары[*]'), [])
                    || coalesce(json_extract(latest._data, '$.Услуги[*]'), [])) as lines(line)
    """
    checks = [
        Check("ExpectColumnValuesToNotBeNull", {"column": "product_key"}, why="each line names a product"),
        Check(
            "ExpectColumnValuesToBeNull", {"column": "line_amount_not_numeric"}, why="line Сумма is numeric"
        ),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "vat_rate", "value_set": KNOWN_VAT_RATES, "mostly": 0.99},
            severity="warning",
            why="VAT rates are ones 1C knows",
        ),
    ]
    return StreamChecks(suite=f"onec.{stream}_lines", sql=sql, checks=checks)


def _catalog_checks(stream: str) -> StreamChecks:
    sql = f"""select _data->>'Ref_Key' as ref_key, trim(_data->>'Description') as description
              from {_latest(stream)} as latest"""
    checks = [
        Check("ExpectColumnValuesToNotBeNull", {"column": "ref_key"}, why="every catalog item has a key"),
        Check("ExpectColumnValuesToBeUnique", {"column": "ref_key"}, why="one live version per key"),
        Check(
            "ExpectColumnValuesToNotBeNull",
            {"column": "description", "mostly": 0.99},
            severity="warning",
            why="items have names (a blank one shows as a blank row in the marts)",
        ),
    ]
    return StreamChecks(suite=f"onec.{stream}", sql=sql, checks=checks)


def onec_checks(now: dt.datetime, landed_streams: set[str]) -> list[StreamChecks]:
    """The suites for the 1C streams that exist in the warehouse."""
    suites = [_catalog_checks(s) for s in CATALOG_STREAMS if s in landed_streams]
    for stream in DOCUMENT_STREAMS:
        if stream in landed_streams:
            suites.append(_document_checks(stream, now))
            suites.append(_line_checks(stream))
    return suites
