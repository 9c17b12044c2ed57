-- Grain: one row per live invoice (Document_СчетНаОплатуКлиенту Ref_Key; БП 3.0 СчетНаОплатуПокупателю,
-- УНФ СчетНаОплату, renamed by the connector), posted or not. own_due_date is the invoice's own due date:
-- СрокОплаты, else (УТ 11) the earliest ДатаПлатежа of its payment schedule ЭтапыГрафикаОплаты; NULL when
-- neither is filled (0001-01-01 is no date): then the default payment term applies (receivables).
with

source as (
    {{ onec_live_versions(source('onec', 'invoices')) }}
),

live_invoices as (
    select
        _data,
        _extracted_at,
        _loaded_seq
    from source
    where not {{ onec_bool('_data', 'DeletionMark') }}
),

schedule_rows as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as invoice_id,
        {{ onec_tabular_rows('_data', 'ЭтапыГрафикаОплаты') }} as stage
    from live_invoices
),

schedule_due_dates as (
    select
        invoice_id,
        min(cast({{ onec_local_datetime('stage', 'ДатаПлатежа') }} as date)) as first_payment_date
    from schedule_rows
    group by invoice_id
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as invoice_id,
        {{ onec_text('_data', 'Number') }} as invoice_number,
        {{ onec_local_datetime('_data', 'Date') }} as invoice_datetime_local,
        {{ onec_bool('_data', 'Posted') }} as is_posted,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_ref('_data', 'Менеджер_Key') }} as manager_id,
        {{ onec_ref('_data', 'ЗаказКлиента_Key') }} as order_id,
        {{ onec_money('_data', 'СуммаДокумента') }} as document_amount,
        cast({{ onec_local_datetime('_data', 'СрокОплаты') }} as date) as header_due_date,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from live_invoices
),

final as (
    select
        renamed.invoice_id,
        renamed.invoice_number,
        renamed.invoice_datetime_local,
        cast(renamed.invoice_datetime_local as date) as invoice_date,
        {{ local_to_utc('renamed.invoice_datetime_local') }} as invoiced_at,
        renamed.is_posted,
        renamed.counterparty_id,
        renamed.manager_id,
        renamed.order_id,
        renamed.document_amount,
        coalesce(renamed.header_due_date, schedule_due_dates.first_payment_date) as own_due_date,
        renamed.data_version,
        renamed.extracted_at,
        renamed.loaded_seq
    from renamed
    left join schedule_due_dates on schedule_due_dates.invoice_id = renamed.invoice_id
)

select * from final
