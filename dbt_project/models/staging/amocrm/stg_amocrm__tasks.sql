-- Grain: one row per live amoCRM task (task_id).
with

source as (
    {{ onec_live_versions(source('amocrm', 'tasks')) }}
),

renamed as (
    select
        {{ amocrm_int('_data', 'id') }} as task_id,
        {{ amocrm_text('_data', 'entity_type') }} as entity_type,
        {{ amocrm_int('_data', 'entity_id') }} as entity_id,
        {{ amocrm_int('_data', 'task_type_id') }} as task_type_id,
        {{ amocrm_text('_data', 'text') }} as task_text,
        {{ amocrm_user('_data', 'responsible_user_id') }} as responsible_user_id,
        {{ amocrm_int('_data', 'created_by') }} as created_by,
        {{ amocrm_bool('_data', 'is_completed') }} as is_completed,
        {{ amocrm_text('_data', '$.result.text') }} as result_text,
        {{ amocrm_timestamp('_data', 'complete_till') }} as complete_till,
        {{ amocrm_timestamp('_data', 'created_at') }} as created_at,
        {{ amocrm_timestamp('_data', 'updated_at') }} as updated_at,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        task_id,
        entity_type,
        entity_id,
        case when entity_type = 'leads' then entity_id end as lead_id,
        task_type_id,
        case task_type_id when 1 then 'call' when 2 then 'meeting' else 'other' end as task_type,
        task_text,
        responsible_user_id,
        created_by,
        is_completed,
        -- amoCRM has no completion time: a completed task's last update is when it was closed
        case when is_completed then updated_at end as completed_at,
        complete_till,
        created_at,
        updated_at,
        result_text,
        extracted_at,
        loaded_seq
    from renamed
)

select * from final
