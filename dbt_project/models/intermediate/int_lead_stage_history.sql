-- Grain: one row per visit of a lead to a pipeline status (lead_id, visit_number), as known at the end of
-- the as-of date. The history (docs/METRICS.md — Time in stage) is the value_before of the lead's first
-- lead_status_changed event (the stage it was created in, entered at created_at), then each event's
-- value_after (entered at the event); a lead without events has one visit, its current status. A visit
-- ends when the next one starts. Deleted leads, and leads or events after the as-of date, are out.
with

leads as (
    select * from {{ ref('stg_amocrm__leads') }}
    where not is_deleted
      and created_at < {{ pipeline_cutoff_utc() }}
),

status_changes as (
    select * from {{ ref('stg_amocrm__lead_status_changes') }}
    where created_at < {{ pipeline_cutoff_utc() }}
),

statuses as (
    select * from {{ ref('stg_amocrm__pipeline_statuses') }}
),

pipelines as (
    select * from {{ ref('stg_amocrm__pipelines') }}
),

lead_changes as (
    select
        status_changes.lead_id,
        status_changes.event_id,
        status_changes.created_at,
        status_changes.created_by,
        status_changes.pipeline_before,
        status_changes.status_before,
        status_changes.pipeline_after,
        status_changes.status_after,
        row_number() over (
            partition by status_changes.lead_id
            order by status_changes.created_at, status_changes.event_id
        ) as change_number
    from status_changes
    inner join leads on leads.lead_id = status_changes.lead_id
),

first_changes as (
    select * from lead_changes
    where change_number = 1
),

-- The stage the lead was created in: before its first move, or where it still is when it never moved.
entry_visits as (
    select
        leads.lead_id,
        1 as visit_number,
        case when first_changes.lead_id is null then leads.pipeline_id else first_changes.pipeline_before end
            as pipeline_id,
        case when first_changes.lead_id is null then leads.status_id else first_changes.status_before end
            as status_id,
        leads.created_at as entered_at,
        leads.created_by as entered_by
    from leads
    left join first_changes on first_changes.lead_id = leads.lead_id
),

move_visits as (
    select
        lead_id,
        change_number + 1 as visit_number,
        pipeline_after as pipeline_id,
        status_after as status_id,
        created_at as entered_at,
        created_by as entered_by
    from lead_changes
),

visits as (
    select * from entry_visits
    union all
    select * from move_visits
),

sequenced as (
    select
        *,
        lead(entered_at) over lead_visits as left_at,
        lead(pipeline_id) over lead_visits as next_pipeline_id,
        lead(status_id) over lead_visits as next_status_id
    from visits
    window lead_visits as (partition by lead_id order by visit_number)
),

final as (
    select
        sequenced.lead_id,
        cast(sequenced.visit_number as integer) as visit_number,
        sequenced.pipeline_id,
        pipelines.pipeline_name,
        sequenced.status_id,
        statuses.status_name as stage_name,
        cast(statuses.sort as integer) as stage_sort,
        sequenced.status_id in (142, 143) as is_closed_stage,
        sequenced.entered_at,
        {{ amocrm_local_date('sequenced.entered_at') }} as entered_date,
        sequenced.entered_by,
        sequenced.left_at,
        sequenced.next_pipeline_id,
        sequenced.next_status_id,
        next_statuses.status_name as next_stage_name,
        -- the truth's "advanced": the next status is anything but lost (a later stage or won)
        coalesce(sequenced.next_status_id <> 143, false) as is_advanced,
        coalesce(sequenced.next_status_id = 143, false) as is_lost_from_stage,
        sequenced.left_at is null as is_current,
        date_diff('second', sequenced.entered_at, sequenced.left_at) as seconds_in_stage,
        {{ days_between('sequenced.entered_at', 'sequenced.left_at') }} as days_in_stage
    from sequenced
    left join statuses
        on statuses.pipeline_id = sequenced.pipeline_id
        and statuses.status_id = sequenced.status_id
    left join statuses as next_statuses
        on next_statuses.pipeline_id = sequenced.next_pipeline_id
        and next_statuses.status_id = sequenced.next_status_id
    left join pipelines on pipelines.pipeline_id = sequenced.pipeline_id
)

select * from final
