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
    its СуммаДокумента naming nothing (line_number 0). -#}
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
        {{ onec_ref('part', 'СчетНаОплату_Key') }} as paid_document_id,
        {{ onec_money('part', 'СуммаПлатежа') }} as amount
    from breakdown
    union all
    select
        payment_id,
        0 as line_number,
        cast(null as varchar) as paid_document_id,
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
    parts.paid_document_id,
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

{#- First in, first out within a queue: the amounts (rows with counterparty_id, queue_id, payment_sequence
    and unlinked_amount) pay the invoices (counterparty_id, queue_id, invoice_sequence, invoice_id,
    invoice_date, unpaid_amount) of the same counterparty and queue, both in their order. Each is an
    interval on the queue's running total; a piece is paid where an amount's interval overlaps an
    invoice's. One row per (amount, invoice) piece: the amount's columns, paid_invoice_id, invoice_date,
    invoice_sequence and allocated_amount. -#}
{% macro pay_in_queue(amounts, invoices) -%}
select
    amounts.* exclude (ends_at),
    invoices.invoice_id as paid_invoice_id,
    invoices.invoice_date,
    invoices.invoice_sequence,
    least(invoices.ends_at, amounts.ends_at)
        - greatest(invoices.ends_at - invoices.unpaid_amount, amounts.ends_at - amounts.unlinked_amount)
        as allocated_amount
from (
    select
        *,
        sum(unlinked_amount) over (
            partition by counterparty_id, queue_id order by payment_sequence rows unbounded preceding
        ) as ends_at
    from {{ amounts }}
) as amounts
inner join (
    select
        *,
        sum(unpaid_amount) over (
            partition by counterparty_id, queue_id order by invoice_sequence rows unbounded preceding
        ) as ends_at
    from {{ invoices }}
) as invoices
    on invoices.counterparty_id = amounts.counterparty_id
    and invoices.queue_id = amounts.queue_id
    and invoices.ends_at - invoices.unpaid_amount < amounts.ends_at
    and amounts.ends_at - amounts.unlinked_amount < invoices.ends_at
{%- endmacro %}

{#- What is left of each amount (unlinked_amount) or invoice (unpaid_amount) after `pieces` (rows with
    payment_id and line_number, or paid_invoice_id, and allocated_amount) took their share; rows with
    nothing left are dropped. `key` is 'part' or 'invoice'. -#}
{% macro left_after(rows, pieces, key) -%}
{%- set column = 'unlinked_amount' if key == 'part' else 'unpaid_amount' -%}
{%- set group_by = 'payment_id, line_number' if key == 'part' else 'paid_invoice_id' -%}
select
    remaining.* replace (remaining.{{ column }} - coalesce(taken.amount, 0) as {{ column }})
from {{ rows }} as remaining
left join (
    select {{ group_by }}, sum(allocated_amount) as amount
    from {{ pieces }}
    group by {{ group_by }}
) as taken
{%- if key == 'part' %}
    on taken.payment_id = remaining.payment_id and taken.line_number = remaining.line_number
{%- else %}
    on taken.paid_invoice_id = remaining.invoice_id
{%- endif %}
where remaining.{{ column }} - coalesce(taken.amount, 0) > 0
{%- endmacro %}
