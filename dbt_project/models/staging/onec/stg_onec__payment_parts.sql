-- Grain: one row per payment part (payment_id, line_number): a row of the breakdown РасшифровкаПлатежа of
-- a live bank receipt (Document_ПоступлениеБезналичныхДенежныхСредств) or cash receipt
-- (Document_ПриходныйКассовыйОрдер), posted or not (БП 3.0 and УНФ sets renamed by the connector). A receipt
-- without breakdown rows is one part of its СуммаДокумента naming nothing, line_number 0. paid_document_id
-- is what the row names (СчетНаОплату_Key; in УТ 11 its Заказ, an invoice or a customer order): what that
-- pays is the allocation's question (int_receivable_allocations). Macro onec_payment_parts.
with

bank_parts as (
    {{ onec_payment_parts(source('onec', 'bank_receipts'), 'bank') }}
),

cash_parts as (
    {{ onec_payment_parts(source('onec', 'cash_receipts'), 'cash') }}
),

final as (
    select * from bank_parts
    union all
    select * from cash_parts
)

select * from final
