"""The company's invoices and the payments received against them (sandbox/world/receivables.py) as each
configuration records them.

УТ 11 keeps an invoice's due date in its payment schedule (one row, 100 %; no row when the invoice has no
date of its own); БП 3.0 and УНФ in the header's СрокОплаты (an empty date when none). A payment's
breakdown (РасшифровкаПлатежа) names what it pays: УТ 11 the settlement object (`Заказ_Key`: the invoice or
the customer order, which УТ 11's invoice names in `ЗаказКлиента_Key`) with `Сумма`, БП 3.0 and УНФ
`СчетНаОплату_Key` with `СуммаПлатежа`.
"""

from __future__ import annotations

from sandbox.systems.onec.export_names import DUE_IN_SCHEDULE, INVOICE_SCHEDULE, PAYMENT_SECTION, Names
from sandbox.systems.onec.export_records import (
    EMPTY_DATE,
    by_key,
    document_header,
    document_number,
    has_quirk,
    local,
    money,
)
from sandbox.world.receivables import Invoice, Receipt, ReceiptPart, Receivables
from sandbox.world.reference import ZERO_GUID

# A receipt that pays no invoice is sometimes saved with no breakdown at all: then its whole amount is
# one unlinked part (docs/METRICS.md, "Receivables").
NO_BREAKDOWN_PERCENT = 30


def invoice_record(invoice: Invoice, names: Names) -> dict:
    record = document_header(
        names.invoices,
        names,
        ref_key=invoice.ref_key,
        version=invoice.version,
        deletion_mark=invoice.deletion_mark,
        number=document_number(invoice.number, names),
        moment=invoice.date,
        posted=invoice.posted,
        card_key=invoice.card_key,
        manager_key=invoice.manager_key,
        amount=invoice.amount,
    )
    if names.invoice_order_link:
        record[names.invoice_order_link] = invoice.order_key
    if names.invoice_due == DUE_IN_SCHEDULE:
        schedule = []
        if invoice.due_date:
            schedule.append(
                {
                    "Ref_Key": invoice.ref_key,
                    "LineNumber": "1",
                    "ДатаПлатежа": local(invoice.due_date),
                    "ПроцентПлатежа": 100,
                    "СуммаПлатежа": money(invoice.amount),
                }
            )
        record[INVOICE_SCHEDULE] = schedule
    else:
        record["СрокОплаты"] = local(invoice.due_date) if invoice.due_date else EMPTY_DATE
    return record


def receipt_set(receipt: Receipt, names: Names) -> str:
    return {"bank": names.bank_receipts, "cash": names.cash_receipts}[receipt.kind]


def paid_document(part: ReceiptPart, names: Names, invoice_keys: set[str]) -> str:
    """What a breakdown row names: a payment naming the customer's order keeps it where the field may hold
    one (УТ 11: it pays that order's invoices) and names nothing where it may hold an invoice only."""
    if names.payment_names_any_document or part.invoice_key in invoice_keys:
        return part.invoice_key
    return ZERO_GUID


def receipt_record(receipt: Receipt, names: Names, invoice_keys: set[str]) -> dict:
    entity_set = receipt_set(receipt, names)
    record = document_header(
        entity_set,
        names,
        ref_key=receipt.ref_key,
        version=receipt.version,
        deletion_mark=receipt.deletion_mark,
        number=document_number(receipt.number, names),
        moment=receipt.date,
        posted=receipt.posted,
        card_key=receipt.card_key,
        manager_key=receipt.manager_key,
        amount=receipt.amount,
    )
    parts = receipt.parts
    unlinked_whole = len(parts) == 1 and parts[0].invoice_key == ZERO_GUID
    if unlinked_whole and has_quirk(receipt.ref_key, "no-breakdown", NO_BREAKDOWN_PERCENT):
        parts = []
    record[PAYMENT_SECTION] = [
        {
            "Ref_Key": receipt.ref_key,
            "LineNumber": str(i),
            names.payment_invoice_field: paid_document(part, names, invoice_keys),
            names.payment_amount_field: money(part.amount),
        }
        for i, part in enumerate(parts, start=1)
    ]
    return record


def receivables_sets(receivables: Receivables, names: Names) -> dict[str, list[dict]]:
    """Entity set → records: the configuration's invoices, bank receipts and cash receipts."""
    sets: dict[str, list[dict]] = {
        names.invoices: [invoice_record(i, names) for i in receivables.invoices],
        names.bank_receipts: [],
        names.cash_receipts: [],
    }
    invoice_keys = {invoice.ref_key for invoice in receivables.invoices}
    for receipt in receivables.receipts:
        sets[receipt_set(receipt, names)].append(receipt_record(receipt, names, invoice_keys))
    return {name: by_key(records) for name, records in sets.items()}
