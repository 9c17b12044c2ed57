-- Grain: one row per call (call_uniq = the telephony's params.uniq) made or received by the end of the
-- as-of date: one call even when amoCRM holds it as a note on the lead and on the contact. Calls on a
-- deleted lead are out (spam); calls about no deal (contact only) are in, with lead_id NULL.
with

calls as (
    select * from {{ ref('stg_amocrm__calls') }}
    where created_at < {{ pipeline_cutoff_utc() }}
),

leads as (
    select * from {{ ref('stg_amocrm__leads') }}
),

deleted_leads as (
    select distinct entity_id as lead_id
    from {{ ref('stg_amocrm__deleted_entities') }}
    where entity_type = 'lead'
),

users as (
    select * from {{ ref('stg_amocrm__users') }}
),

first_responses as (
    select * from {{ ref('int_lead_first_response') }}
    where first_response_type = 'call'
),

live_calls as (
    select
        calls.*,
        leads.pipeline_id
    from calls
    left join leads on leads.lead_id = calls.lead_id
    left join deleted_leads on deleted_leads.lead_id = calls.lead_id
    -- a deleted lead that was never landed is known by its lead_deleted event alone
    where not coalesce(leads.is_deleted, deleted_leads.lead_id is not null)
),

final as (
    select
        live_calls.call_uniq,
        live_calls.lead_id,
        live_calls.pipeline_id,
        live_calls.contact_id,
        nullif(live_calls.created_by, 0) as manager_id,
        users.user_name as manager_name,
        live_calls.direction,
        live_calls.created_at as started_at,
        live_calls.created_date as call_date,
        cast(coalesce(live_calls.duration_seconds, 0) as integer) as duration_seconds,
        live_calls.is_talked,
        cast(live_calls.call_status as integer) as call_status,
        live_calls.phone_normalized as phone,
        first_responses.lead_id is not null as is_first_response,
        live_calls.telephony_source
    from live_calls
    left join users on users.user_id = nullif(live_calls.created_by, 0)
    left join first_responses on first_responses.first_call_uniq = live_calls.call_uniq
)

select * from final
