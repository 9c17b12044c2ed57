-- Grain: one row per lead_status_changed event (event_id): a lead moved from one status to another.
with

source as (
    {{ onec_live_versions(source('amocrm', 'events')) }}
),

status_events as (
    select
        _data,
        _extracted_at,
        _loaded_seq
    from source
    where _data ->> 'type' = 'lead_status_changed'
),

renamed as (
    select
        {{ amocrm_text('_data', 'id') }} as event_id,
        {{ amocrm_int('_data', 'entity_id') }} as lead_id,
        {{ amocrm_timestamp('_data', 'created_at') }} as created_at,
        {{ amocrm_int('_data', 'created_by') }} as created_by,
        {{ amocrm_int('_data', '$.value_before[0].lead_status.pipeline_id') }} as pipeline_before,
        {{ amocrm_int('_data', '$.value_before[0].lead_status.id') }} as status_before,
        {{ amocrm_int('_data', '$.value_after[0].lead_status.pipeline_id') }} as pipeline_after,
        {{ amocrm_int('_data', '$.value_after[0].lead_status.id') }} as status_after,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from status_events
),

final as (
    select
        event_id,
        lead_id,
        created_at,
        {{ amocrm_local_date('created_at') }} as created_date,
        created_by,
        created_by = 0 as is_robot,
        pipeline_before,
        status_before,
        pipeline_after,
        status_after,
        extracted_at,
        loaded_seq
    from renamed
)

select * from final
