-- Grain: one row per (month, channel) with any visits or leads: the funnel visits → leads → won deals →
-- paying customers → revenue of each marketing channel (docs/METRICS.md — Channel conversion).
-- month = the company-local month of the visit (Metrica) or of the lead's creation: won deals,
-- paying customers and revenue belong to the month the lead was created in, whenever it was won.
-- Deleted leads never count. Only visits and leads dated on or before var('as_of_date') count.
with

visits as (
    select * from {{ ref('stg_metrica__visits') }}
    where visit_date <= {{ as_of_date() }}
),

leads as (
    select * from {{ ref('int_leads_attributed') }}
    where created_date <= {{ as_of_date() }}
),

visit_spellings as (
    select distinct traffic_source_id, utm_source, utm_medium
    from visits
),

visit_channels as (
    select
        traffic_source_id,
        utm_source,
        utm_medium,
        {{
            channel_of(
                'metrica',
                'visit_spellings.utm_source',
                'visit_spellings.utm_medium',
                'visit_spellings.traffic_source_id',
            )
        }} as channel
    from visit_spellings
),

monthly_visits as (
    select
        cast(date_trunc('month', visits.visit_date) as date) as month,
        visit_channels.channel,
        sum(visits.visits) as visits
    from visits
    inner join visit_channels
        on visit_channels.traffic_source_id is not distinct from visits.traffic_source_id
        and visit_channels.utm_source is not distinct from visits.utm_source
        and visit_channels.utm_medium is not distinct from visits.utm_medium
    group by all
),

monthly_leads as (
    select
        created_month as month,
        channel,
        count(*) as leads,
        count(*) filter (where is_won) as won_deals,
        -- a won lead whose contact no longer resolves to a customer still paid: it counts as its own payer
        count(distinct coalesce(customer_id, 'amocrm-lead:' || lead_id)) filter (where is_won)
            as paying_customers,
        sum(price) filter (where is_won) as revenue
    from leads
    group by all
),

joined as (
    select
        coalesce(monthly_visits.month, monthly_leads.month) as month,
        coalesce(monthly_visits.channel, monthly_leads.channel) as channel,
        coalesce(monthly_visits.visits, 0) as visits,
        coalesce(monthly_leads.leads, 0) as leads,
        coalesce(monthly_leads.won_deals, 0) as won_deals,
        coalesce(monthly_leads.paying_customers, 0) as paying_customers,
        coalesce(monthly_leads.revenue, 0) as revenue
    from monthly_visits
    full outer join monthly_leads
        on monthly_leads.month = monthly_visits.month
        and monthly_leads.channel = monthly_visits.channel
),

final as (
    select
        cast(month as date) as month,
        cast(channel as varchar) as channel,
        cast(visits as bigint) as visits,
        cast(leads as integer) as leads,
        cast(won_deals as integer) as won_deals,
        cast(paying_customers as integer) as paying_customers,
        cast(revenue as decimal(18, 2)) as revenue,
        {{ money_per('revenue', 'won_deals') }} as average_check,
        cast(leads / nullif(visits, 0) as double) as visit_to_lead_rate,
        cast(won_deals / nullif(leads, 0) as double) as lead_to_won_rate,
        cast(paying_customers / nullif(won_deals, 0) as double) as won_to_paying_rate,
        cast(paying_customers / nullif(leads, 0) as double) as lead_to_paying_rate,
        {{ money_per('revenue', 'leads') }} as revenue_per_lead
    from joined
)

select * from final
