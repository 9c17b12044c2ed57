-- Grain: one row per (month, manager_id): leads created in the company-local month (by the end of the
-- as-of date, deleted leads excluded) by their responsible manager, and how fast the manager first
-- responded (int_lead_first_response: first call_out by that manager or first completed task).
-- manager_id is NULL for leads nobody is responsible for.
with

responses as (
    select * from {{ ref('int_lead_first_response') }}
),

users as (
    select * from {{ ref('stg_amocrm__users') }}
),

by_manager_month as (
    select
        cast(date_trunc('month', created_date) as date) as month,
        responsible_user_id as manager_id,
        count(*) as leads,
        count(*) filter (where is_responded) as responded_leads,
        count(*) filter (where first_response_type = 'call') as responded_by_call,
        count(*) filter (where first_response_type = 'task') as responded_by_task,
        count(*) filter (where is_within_sla) as responded_within_sla,
        quantile_cont(response_minutes, 0.5) as median_response_minutes,
        quantile_cont(response_minutes, 0.9) as p90_response_minutes
    from responses
    group by all
),

final as (
    select
        by_manager_month.month,
        by_manager_month.manager_id,
        users.user_name as manager_name,
        cast(by_manager_month.leads as integer) as leads,
        cast(by_manager_month.responded_leads as integer) as responded_leads,
        cast(by_manager_month.responded_by_call as integer) as responded_by_call,
        cast(by_manager_month.responded_by_task as integer) as responded_by_task,
        cast(by_manager_month.responded_within_sla as integer) as responded_within_sla,
        cast(by_manager_month.responded_leads / by_manager_month.leads as double) as response_rate,
        cast(by_manager_month.responded_within_sla / by_manager_month.leads as double) as within_sla_share,
        cast(by_manager_month.median_response_minutes as double) as median_response_minutes,
        cast(by_manager_month.p90_response_minutes as double) as p90_response_minutes,
        cast({{ response_sla_minutes() }} as integer) as sla_minutes,
        {{ as_of_date() }} as as_of_date
    from by_manager_month
    left join users on users.user_id = by_manager_month.manager_id
)

select * from final
