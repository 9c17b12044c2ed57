-- Grain: one row per customer (customer_id) with at least one contact outside 1C: when and how the
-- company first heard from them (docs/METRICS.md — Maturation period, Channel).
--
-- first_contact_at: the earliest of the customer's leads (not deleted), live CRM contacts, site orders (any
-- status) and calls. acquisition_channel: the channel of the earliest lead or site order — the touches
-- that carry a visit's attribution (a contact is created with its first lead; a call carries none); on a
-- tie the site order wins (the shop's lead is created from it); 'unknown' when the customer only called or
-- only has a contact. 1C documents are not contacts: a customer only 1C knows has no row here.
with

identity as (
    select * from {{ ref('int_identity_records') }}
),

leads as (
    select * from {{ ref('int_leads_attributed') }}
    where customer_id is not null
),

site_orders as (
    select * from {{ ref('int_site_orders_resolved') }}
),

crm_contacts as (
    select * from {{ ref('stg_amocrm__contacts') }}
    where not is_deleted
),

calls as (
    select * from {{ ref('stg_amocrm__calls') }}
),

-- A call belongs to the customer of its lead, else of its contact.
call_customers as (
    select
        calls.call_uniq,
        calls.created_at,
        coalesce(leads.customer_id, identity.customer_id) as customer_id
    from calls
    left join leads on leads.lead_id = calls.lead_id
    left join identity on identity.record_key = 'amocrm:' || calls.contact_id
),

touches as (
    select customer_id, created_at, 'site_order' as touch_type, 1 as tie_rank, channel,
        cast(order_id as varchar) as touch_id
    from site_orders
    union all
    select customer_id, created_at, 'lead', 2, channel, cast(lead_id as varchar)
    from leads
    union all
    select identity.customer_id, crm_contacts.created_at, 'crm_contact', 3, null,
        cast(crm_contacts.contact_id as varchar)
    from crm_contacts
    inner join identity on identity.record_key = 'amocrm:' || crm_contacts.contact_id
    union all
    select customer_id, created_at, 'call', 4, null, call_uniq
    from call_customers
),

dated_touches as (
    select * from touches
    where customer_id is not null
      and created_at is not null
),

final as (
    select
        customer_id,
        min(created_at) as first_contact_at,
        cast(timezone('{{ var("timezone") }}', timezone('UTC', min(created_at))) as date)
            as first_contact_date,
        first(touch_type order by created_at, tie_rank, touch_id) as first_contact_type,
        -- a customer who only called or only has a contact did reach us, by a channel nobody recorded
        coalesce(
            first(channel order by created_at, tie_rank, touch_id) filter (where channel is not null),
            'unknown'
        ) as acquisition_channel,
        count(*) filter (where touch_type = 'lead') as lead_count,
        count(*) filter (where touch_type = 'call') as call_count
    from dated_touches
    group by customer_id
)

select * from final
