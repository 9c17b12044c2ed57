-- Grain: one row per customer (customer_id): an identity component of live counterparties, plus an
-- "orphan" customer per counterparty that has posted documents but no live card (deletion-marked,
-- deleted or never landed), so that every sale belongs to exactly one customer.
-- Name, phone, email, city and legal form come from the primary counterparty: the member with the
-- latest posted shipment, else the smallest Ref_Key; a missing phone/email falls back to other members.
with

resolved as (
    select * from {{ ref('int_counterparties_resolved') }}
),

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
    where is_posted
),

returns as (
    select * from {{ ref('stg_onec__returns') }}
    where is_posted
),

latest_shipments as (
    select
        counterparty_id,
        max(shipment_datetime_local) as last_shipment_datetime_local
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

resolved_customers as (
    select
        customer_id,
        min_by(counterparty_id, member_rank) as primary_counterparty_id,
        min_by(counterparty_name, member_rank) as name,
        min_by(phone, member_rank) filter (where phone is not null) as phone,
        min_by(email, member_rank) filter (where email is not null) as email,
        min_by(city, member_rank) filter (where city is not null) as city,
        min_by(legal_form, member_rank) filter (where legal_form is not null) as legal_form,
        min_by(inn, member_rank) filter (where inn is not null) as inn,
        count(*) as counterparty_count,
        true as has_live_counterparty
    from ranked_members
    group by customer_id
),

document_counterparties as (
    select counterparty_id from shipments
    union
    select counterparty_id from returns
),

orphan_customers as (
    select
        document_counterparties.counterparty_id as customer_id,
        document_counterparties.counterparty_id as primary_counterparty_id,
        cast(null as varchar) as name,
        cast(null as varchar) as phone,
        cast(null as varchar) as email,
        cast(null as varchar) as city,
        cast(null as varchar) as legal_form,
        cast(null as varchar) as inn,
        0 as counterparty_count,
        false as has_live_counterparty
    from document_counterparties
    anti join resolved on resolved.counterparty_id = document_counterparties.counterparty_id
    where document_counterparties.counterparty_id is not null
),

final as (
    select * from resolved_customers
    union all by name
    select * from orphan_customers
)

select * from final
