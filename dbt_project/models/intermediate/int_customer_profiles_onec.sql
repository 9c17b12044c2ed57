-- Grain: one row per customer (customer_id) with at least one live 1C counterparty: who the customer is by
-- 1C, the accounting record. The primary counterparty is the member with the latest posted shipment (people
-- update the card they use), else the smallest Ref_Key; name and full name come from it, phone, e-mail,
-- city, legal form and ИНН from it or, when it lacks one, from the next member in that order. Phones and
-- e-mails are the identity keys of int_counterparties_resolved: a switchboard never shows.
with

resolved as (
    select * from {{ ref('int_counterparties_resolved') }}
),

shipments as (
    select * from {{ ref('int_onec_documents') }}
    where document_type = 'sale'
),

latest_shipments as (
    select
        counterparty_id,
        max(document_datetime_local) as last_shipment_datetime_local
    from shipments
    group by counterparty_id
),

ranked_members as (
    select
        resolved.*,
        row_number() over (
            partition by resolved.customer_id
            order by latest_shipments.last_shipment_datetime_local desc nulls last, resolved.counterparty_id
        ) as member_rank
    from resolved
    left join latest_shipments on latest_shipments.counterparty_id = resolved.counterparty_id
),

final as (
    select
        customer_id,
        min_by(counterparty_id, member_rank) as primary_counterparty_id,
        min_by(counterparty_name, member_rank) as name,
        min_by(coalesce(full_name, counterparty_name), member_rank) as full_name,
        min_by(phone, member_rank) filter (where phone is not null) as phone,
        min_by(email, member_rank) filter (where email is not null) as email,
        min_by(city, member_rank) filter (where city is not null) as city,
        min_by(legal_form, member_rank) filter (where legal_form is not null) as legal_form,
        min_by(inn, member_rank) filter (where inn is not null) as inn,
        count(*) as counterparty_count
    from ranked_members
    group by customer_id
)

select * from final
