{#- Receivables: invoices and the payments against them (docs/METRICS.md — Receivables). -#}

{#- Sort key of a 1C document number: its trailing digits as a number. 1C numbers are a prefix and a
    counter ("ЦБ-000123"), but a hand-typed number may be short and space-padded ("  99"): as text "99"
    sorts after "123", as a counter it comes first, as in 1C. Ties (and numbers without digits) fall back
    to the text, then to the key, in the models that sort. -#}
{% macro onec_number_order(number) -%}
    try_cast(regexp_extract({{ number }}, '([0-9]+)$', 1) as bigint)
{%- endmacro %}

{#- The invoices receivables are about: posted (staging has dropped deletion-marked ones) and dated on or
    before the as-of date. One definition for the allocation and the marts, so a draft cannot be paid in
    one and missing from the other. -#}
{% macro receivable_invoices() -%}
    select *
    from {{ ref('stg_onec__invoices') }}
    where is_posted
      and invoice_date <= {{ as_of_date() }}
{%- endmacro %}

{#- The payment parts of one kind of receipt (bank or cash), a complete query: one row per breakdown row
    (РасшифровкаПлатежа) of a live receipt, posted or not; a receipt without breakdown rows is one part of
    its СуммаДокумента naming no invoice (line_number 0). -#}
{% macro onec_payment_parts(relation, payment_kind) -%}
with

source as (
    {{ onec_live_versions(relation) }}
),

receipts as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as payment_id,
        {{ onec_text('_data', 'Number') }} as payment_number,
        {{ onec_local_datetime('_data', 'Date') }} as payment_datetime_local,
        {{ onec_bool('_data', 'Posted') }} as is_posted,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_money('_data', 'СуммаДокумента') }} as document_amount,
        coalesce(json_array_length(_data -> 'РасшифровкаПлатежа'), 0) as breakdown_rows,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _data,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
    where not {{ onec_bool('_data', 'DeletionMark') }}
),

breakdown as (
    select
        payment_id,
        {{ onec_tabular_rows('_data', 'РасшифровкаПлатежа') }} as part
    from receipts
),

parts as (
    select
        payment_id,
        {{ onec_int('part', 'LineNumber') }} as line_number,
        {{ onec_ref('part', 'СчетНаОплату_Key') }} as invoice_id,
        {{ onec_money('part', 'СуммаПлатежа') }} as amount
    from breakdown
    union all
    select
        payment_id,
        0 as line_number,
        cast(null as varchar) as invoice_id,
        document_amount as amount
    from receipts
    where breakdown_rows = 0
)

select
    receipts.payment_id,
    '{{ payment_kind }}' as payment_kind,
    receipts.payment_number,
    receipts.payment_datetime_local,
    cast(receipts.payment_datetime_local as date) as payment_date,
    receipts.is_posted,
    receipts.counterparty_id,
    receipts.document_amount,
    parts.line_number,
    parts.invoice_id,
    parts.amount,
    receipts.data_version,
    receipts.extracted_at,
    receipts.loaded_seq
from parts
inner join receipts on receipts.payment_id = parts.payment_id
{%- endmacro %}

{#- Every amount of a live receipt's breakdown (РасшифровкаПлатежа.СуммаПлатежа) fits DECIMAL(18, 2); the
    companion of onec_values_fit (which checks СуммаДокумента and goods lines), with the same message. -#}
{% test onec_payment_rows_fit(model, stream) %}
with

live as (
    {{ onec_live_versions(model) }}
),

rows_of_documents as (
    select
        _data ->> 'Ref_Key' as ref_key,
        _data ->> 'Number' as number,
        part ->> 'СуммаПлатежа' as value
    from live,
         unnest(coalesce(json_extract(_data, '$.РасшифровкаПлатежа[*]'), [])) as parts(part)
    where not {{ onec_bool('_data', 'DeletionMark') }}
),

unfit as (
    select * from rows_of_documents
    where value is not null
      and try_cast(value as decimal(18, 2)) is null
)

select
    count(*) as unfit_values,
    error(
        'onec.{{ stream }}: ' || count(*) || ' value(s) do not fit DECIMAL: '
        || string_agg('document ' || ref_key || ' № ' || coalesce(number, '?') || ' СуммаПлатежа=' || value,
                      '; ' order by ref_key)
    ) as message
from unfit
having count(*) > 0
{% endtest %}

{#- receivables_daily on the as-of date holds, per manager, exactly the receivables mart's outstanding
    amount and count: the event sums and the per-invoice allocation are two computations of one number. -#}
{% test outstanding_matches_receivables(model, receivables) %}
with

last_day as (
    select
        manager_id,
        outstanding_amount,
        outstanding_count
    from {{ model }}
    where day = (select max(day) from {{ model }})
),

per_invoice as (
    select
        manager_id,
        sum(outstanding_amount) as outstanding_amount,
        count(*) filter (where outstanding_amount > 0) as outstanding_count
    from {{ receivables }}
    group by manager_id
)

select
    coalesce(last_day.manager_id, per_invoice.manager_id) as manager_id,
    last_day.outstanding_amount as daily_amount,
    per_invoice.outstanding_amount as receivables_amount,
    last_day.outstanding_count as daily_count,
    per_invoice.outstanding_count as receivables_count
from last_day
full outer join per_invoice on per_invoice.manager_id is not distinct from last_day.manager_id
where last_day.outstanding_amount is distinct from per_invoice.outstanding_amount
   or last_day.outstanding_count is distinct from per_invoice.outstanding_count
{% endtest %}
