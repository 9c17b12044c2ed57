"""What is checked on landed 1C data: one narrow DataFrame per stream and its expectations.

The frames are built by DuckDB from the latest live version of every landed record (not just this
run's batch): a bad record landed last night must keep blocking publish until the source fixes it,
even when tonight's run lands nothing new. GX then validates the frames as pandas DataFrames
(GX's SQL path over DuckDB is broken upstream: docs/ENVIRONMENT.md).
"""

from __future__ import annotations

import datetime as dt

from quality.checks import (
    MAX_AMOUNT_RUB,
    Check,
    StreamChecks,
    amount,
    daily_jumps,
    garbled,
    is_null,
    jump_checks,
    moment,
)

# Absent streams (orders in БП 3.0) have no rows, so their checks have nothing to fail on.
GOODS_STREAMS = ("customer_orders", "shipments", "service_acts", "returns")  # documents with goods lines
DOCUMENT_STREAMS = (*GOODS_STREAMS, "invoices", "bank_receipts", "cash_receipts")
# УНФ lands every receipt of goods as "returns" (a return is one operation kind of it): only returns count.
CUSTOMER_RETURN = "coalesce(_data->>'ВидОперации', 'ВозвратОтПокупателя') like 'Возврат%'"
# 1C keeps every amount positive, a return's too: the kind of document says which way money moves, and
# int_onec_documents signs a return −1 (dbt_project/DECISIONLOG.md). A negative СуммаДокумента or line
# Сумма is therefore wrong for every kind: on a return it would add revenue, on a shipment subtract it.
AMOUNT_WHY = (
    "is ≥ 0 and ≤ MAX_AMOUNT_RUB: 1C keeps amounts positive for every kind (a return's sign is its kind)"
)
NAME_FIELDS = ["Description", "НаименованиеПолное"]
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
        select _data->>'Ref_Key' as ref_key, _data->>'Number' as number,
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
        moment("doc_date", now, "document dates are not in the future nor before 2000"),
        # The non-numeric text itself (null when numeric or absent): failures show the bad value.
        Check(
            "ExpectColumnValuesToBeNull", {"column": "amount_not_numeric"}, why="СуммаДокумента is numeric"
        ),
        amount("amount", f"СуммаДокумента {AMOUNT_WHY}"),
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
    return StreamChecks(suite=f"onec.{stream}", sql=sql, checks=checks, labels=("number",))


def _line_checks(stream: str) -> StreamChecks:
    sql = f"""
        select latest._data->>'Ref_Key' as ref_key, latest._data->>'Number' as number,
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
        amount("line_amount", f"line Сумма {AMOUNT_WHY}"),
        Check(
            "ExpectColumnValuesToBeInSet",
            {"column": "vat_rate", "value_set": KNOWN_VAT_RATES, "mostly": 0.99},
            severity="warning",
            why="VAT rates are ones 1C knows",
        ),
    ]
    return StreamChecks(suite=f"onec.{stream}_lines", sql=sql, checks=checks, labels=("number",))


def _catalog_checks(stream: str) -> StreamChecks:
    sql = f"""select _data->>'Ref_Key' as ref_key, trim(_data->>'Description') as description,
                     {garbled(NAME_FIELDS)} as names_garbled
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
        is_null("names_garbled", "names are text, not mojibake or U+FFFD (a wrong charset on the way)"),
    ]
    return StreamChecks(suite=f"onec.{stream}", sql=sql, checks=checks)


def _daily_sales(landed_streams: set[str]) -> StreamChecks:
    """Posted shipments minus returns per document day, and the counterparties that bought that day. An
    amount another check rejects (negative, impossible) is left out: it is that check's line, not a jump."""
    signs = {"shipments": 1, "service_acts": 1, "returns": -1}
    documents = " union all ".join(
        f"""select cast(try_strptime(_data->>'Date', '%Y-%m-%dT%H:%M:%S') as date) as day,
                   {sign} * try_cast(_data->>'СуммаДокумента' as double) as amount,
                   case when {sign} > 0 then _data->>'Контрагент_Key' end as buyer
            from {_latest(stream)} as latest
            where _data->>'Posted' = 'true' and coalesce(_data->>'DeletionMark', 'false') <> 'true'
              and try_cast(_data->>'СуммаДокумента' as double) between 0 and {MAX_AMOUNT_RUB}
              and {CUSTOMER_RETURN}"""
        for stream, sign in signs.items()
        if stream in landed_streams
    )
    daily = f"""select day, sum(amount) as revenue, count(distinct buyer) as buyers
                from ({documents}) as documents where day is not null group by day"""
    return StreamChecks("onec.daily_sales", daily_jumps(daily), jump_checks("1C"), key="day")


def onec_checks(now: dt.datetime, landed_streams: set[str]) -> list[StreamChecks]:
    """The suites for the 1C streams that exist in the warehouse."""
    suites = [_catalog_checks(s) for s in CATALOG_STREAMS if s in landed_streams]
    for stream in DOCUMENT_STREAMS:
        if stream in landed_streams:
            suites.append(_document_checks(stream, now))
        if stream in landed_streams and stream in GOODS_STREAMS:
            suites.append(_line_checks(stream))
    if "shipments" in landed_streams:
        suites.append(_daily_sales(landed_streams))
    return suites
