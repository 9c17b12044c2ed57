-- Grain: one row per lead (lead_id) created by the end of the as-of date, deleted leads excluded, with its
-- first response (docs/METRICS.md — Lead response time): the earlier of its first call_out note made by the lead's
-- responsible manager (note created_by) and its first completed task (completion = the task's updated_at),
-- both at or after the lead's creation and by the end of the as-of date. A client's call_in or a
-- colleague's call_out is not a response. NULL response columns: nobody has responded yet.
with

leads as (
    select * from {{ ref('stg_amocrm__leads') }}
    where not is_deleted
      and created_at < {{ pipeline_cutoff_utc() }}
),

calls as (
    select * from {{ ref('stg_amocrm__calls') }}
    where created_at < {{ pipeline_cutoff_utc() }}
),

tasks as (
    select * from {{ ref('stg_amocrm__tasks') }}
    where completed_at < {{ pipeline_cutoff_utc() }}
),

first_calls as (
    select
        leads.lead_id,
        min(calls.created_at) as first_call_out_at,
        arg_min(calls.call_uniq, (calls.created_at, calls.call_uniq)) as first_call_uniq
    from leads
    inner join calls
        on calls.lead_id = leads.lead_id
        and calls.direction = 'out'
        and calls.created_by = leads.responsible_user_id
        and calls.created_at >= leads.created_at
    group by leads.lead_id
),

first_tasks as (
    select
        leads.lead_id,
        min(tasks.completed_at) as first_task_completed_at,
        arg_min(tasks.task_id, (tasks.completed_at, tasks.task_id)) as first_task_id
    from leads
    inner join tasks
        on tasks.lead_id = leads.lead_id
        and tasks.is_completed
        and tasks.completed_at >= leads.created_at
    group by leads.lead_id
),

responses as (
    select
        leads.lead_id,
        leads.pipeline_id,
        leads.responsible_user_id,
        leads.created_at,
        leads.created_date,
        first_calls.first_call_out_at,
        first_calls.first_call_uniq,
        first_tasks.first_task_completed_at,
        first_tasks.first_task_id,
        least(first_calls.first_call_out_at, first_tasks.first_task_completed_at) as first_response_at
    from leads
    left join first_calls on first_calls.lead_id = leads.lead_id
    left join first_tasks on first_tasks.lead_id = leads.lead_id
),

final as (
    select
        lead_id,
        pipeline_id,
        responsible_user_id,
        created_at,
        created_date,
        first_call_out_at,
        first_call_uniq,
        first_task_completed_at,
        first_task_id,
        first_response_at,
        -- a call and a task in the same second: the call (the client heard a manager)
        case
            when first_response_at is null then null
            when first_response_at = first_call_out_at then 'call'
            else 'task'
        end as first_response_type,
        first_response_at is not null as is_responded,
        {{ minutes_between('created_at', 'first_response_at') }} as response_minutes,
        coalesce(
            {{ minutes_between('created_at', 'first_response_at') }} <= {{ response_sla_minutes() }}, false
        ) as is_within_sla
    from responses
)

select * from final
