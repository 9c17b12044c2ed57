-- Grain: one row per live loss reason (loss_reason_id).
with

source as (
    {{ onec_live_versions(source('amocrm', 'loss_reasons')) }}
),

final as (
    select
        {{ amocrm_int('_data', 'id') }} as loss_reason_id,
        {{ amocrm_text('_data', 'name') }} as loss_reason_name,
        {{ amocrm_int('_data', 'sort') }} as sort,
        {{ amocrm_timestamp('_data', 'created_at') }} as created_at,
        {{ amocrm_timestamp('_data', 'updated_at') }} as updated_at,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
)

select * from final
