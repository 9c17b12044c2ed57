-- Grain: one row per deletion event (event_id) of a lead or a contact (lead_deleted / contact_deleted).
with

source as (
    {{ onec_live_versions(source('amocrm', 'events')) }}
),

deletion_events as (
    select
        _data,
        _extracted_at,
        _loaded_seq
    from source
    where _data ->> 'type' in ('lead_deleted', 'contact_deleted')
),

final as (
    select
        {{ amocrm_text('_data', 'id') }} as event_id,
        case _data ->> 'type' when 'lead_deleted' then 'lead' else 'contact' end as entity_type,
        {{ amocrm_int('_data', 'entity_id') }} as entity_id,
        {{ amocrm_timestamp('_data', 'created_at') }} as deleted_at,
        {{ amocrm_int('_data', 'created_by') }} as deleted_by,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from deletion_events
)

select * from final
