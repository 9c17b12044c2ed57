-- Grain: one row per amoCRM lead that is not deleted (lead_id), both pipelines, with its channel and its
-- customer (docs/METRICS.md — Channel). Deleted leads (spam, a form sent twice) never count anywhere.
--
-- channel: the seed (source_kind 'utm') applied to the lead's UTM_SOURCE / UTM_MEDIUM; no UTM → 'unknown'.
-- customer: the customer of the lead's main contact (the first linked contact when none is marked main).
-- created_month: the first day of the company-local month of creation.
with

leads as (
    select * from {{ ref('stg_amocrm__leads') }}
    where not is_deleted
),

lead_contacts as (
    select * from {{ ref('stg_amocrm__lead_contacts') }}
),

identity as (
    select * from {{ ref('int_identity_records') }}
    where source = 'amocrm'
),

spellings as (
    select distinct utm_source, utm_medium
    from leads
),

spelling_channels as (
    select
        utm_source,
        utm_medium,
        {{ channel_of('utm', 'spellings.utm_source', 'spellings.utm_medium') }} as channel
    from spellings
),

lead_contact_customers as (
    select
        lead_contacts.lead_id,
        lead_contacts.contact_id,
        identity.customer_id,
        lead_contacts.contact_id = leads.main_contact_id as is_main_contact
    from lead_contacts
    inner join leads on leads.lead_id = lead_contacts.lead_id
    inner join identity on identity.record_id = cast(lead_contacts.contact_id as varchar)
),

-- The main contact if it is live, else the smallest live contact linked to the lead.
lead_customers as (
    select
        lead_id,
        first(contact_id order by is_main_contact desc nulls last, contact_id) as contact_id,
        first(customer_id order by is_main_contact desc nulls last, contact_id) as customer_id
    from lead_contact_customers
    group by lead_id
),

final as (
    select
        leads.lead_id,
        leads.lead_name,
        leads.pipeline_id,
        leads.status_id,
        leads.is_won,
        leads.is_lost,
        not leads.is_won and not leads.is_lost as is_open,
        leads.price,
        leads.responsible_user_id,
        leads.created_at,
        leads.created_date,
        cast(date_trunc('month', leads.created_date) as date) as created_month,
        leads.closed_at,
        leads.closed_date,
        leads.utm_source,
        leads.utm_medium,
        leads.utm_campaign,
        coalesce(spelling_channels.channel, 'unknown') as channel,
        lead_customers.contact_id,
        lead_customers.customer_id
    from leads
    left join spelling_channels
        on spelling_channels.utm_source is not distinct from leads.utm_source
        and spelling_channels.utm_medium is not distinct from leads.utm_medium
    left join lead_customers on lead_customers.lead_id = leads.lead_id
)

select * from final
