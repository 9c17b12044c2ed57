-- Grain: one row per live amoCRM pipeline (pipeline id).
with

source as (
    {{ onec_live_versions(source('amocrm', 'pipelines')) }}
),

final as (
    select
        {{ amocrm_int('_data', 'id') }} as pipeline_id,
        {{ amocrm_text('_data', 'name') }} as pipeline_name,
        {{ amocrm_int('_data', 'sort') }} as sort,
        {{ amocrm_bool('_data', 'is_main') }} as is_main,
        {{ amocrm_bool('_data', 'is_unsorted_on') }} as is_unsorted_on,
        {{ amocrm_bool('_data', 'is_archive') }} as is_archive,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
)

select * from final
