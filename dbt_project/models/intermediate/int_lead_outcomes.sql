-- Grain: one row per lead (lead_id) created by the end of the as-of date, deleted leads excluded: where it
-- stood at that moment (its last visit in int_lead_stage_history) — open in a stage, won or lost — with
-- its amount, manager, loss reason and sales cycle.
with

leads as (
    select * from {{ ref('stg_amocrm__leads') }}
),

history as (
    select * from {{ ref('int_lead_stage_history') }}
),

users as (
    select * from {{ ref('stg_amocrm__users') }}
),

loss_reasons as (
    select * from {{ ref('stg_amocrm__loss_reasons') }}
),

current_visits as (
    select * from history
    where is_current
),

visit_counts as (
    select
        lead_id,
        count(*) as visits
    from history
    group by lead_id
),

outcomes as (
    select
        current_visits.lead_id,
        current_visits.pipeline_id,
        current_visits.pipeline_name,
        current_visits.status_id,
        current_visits.stage_name,
        current_visits.stage_sort,
        case current_visits.status_id when 142 then 'won' when 143 then 'lost' else 'open' end as outcome,
        current_visits.entered_at as stage_entered_at,
        -- closed when it entered 142/143; a lead created closed (no events) keeps the record's closed_at
        case
            when current_visits.is_closed_stage and current_visits.visit_number = 1
                then coalesce(leads.closed_at, current_visits.entered_at)
            when current_visits.is_closed_stage then current_visits.entered_at
        end as closed_at,
        leads.lead_name,
        leads.price,
        leads.responsible_user_id,
        leads.loss_reason_id,
        leads.created_at,
        leads.created_date,
        leads.main_contact_id,
        visit_counts.visits
    from current_visits
    inner join leads on leads.lead_id = current_visits.lead_id
    inner join visit_counts on visit_counts.lead_id = current_visits.lead_id
),

final as (
    select
        outcomes.lead_id,
        outcomes.lead_name,
        outcomes.pipeline_id,
        outcomes.pipeline_name,
        outcomes.status_id,
        outcomes.stage_name,
        outcomes.stage_sort,
        outcomes.outcome,
        outcomes.outcome = 'open' as is_open,
        outcomes.outcome = 'won' as is_won,
        outcomes.outcome = 'lost' as is_lost,
        outcomes.price,
        outcomes.responsible_user_id,
        users.user_name as responsible_user_name,
        case when outcomes.outcome = 'lost' then outcomes.loss_reason_id end as loss_reason_id,
        case
            when outcomes.outcome = 'lost' then coalesce(loss_reasons.loss_reason_name, 'Не указана')
        end as loss_reason_name,
        outcomes.created_at,
        outcomes.created_date,
        outcomes.stage_entered_at,
        outcomes.closed_at,
        {{ amocrm_local_date('outcomes.closed_at') }} as closed_date,
        {{ days_between('outcomes.created_at', 'outcomes.closed_at') }} as cycle_days,
        cast(outcomes.visits as integer) as visits,
        outcomes.main_contact_id
    from outcomes
    left join users on users.user_id = outcomes.responsible_user_id
    left join loss_reasons on loss_reasons.loss_reason_id = outcomes.loss_reason_id
)

select * from final
