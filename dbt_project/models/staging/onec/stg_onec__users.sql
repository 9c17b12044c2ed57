-- Grain: one row per live user (Catalog_Пользователи Ref_Key): the managers named on documents.
with

source as (
    {{ onec_live_versions(source('onec', 'users')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as user_id,
        {{ onec_text('_data', 'Code') }} as user_code,
        {{ onec_text('_data', 'Description') }} as user_name,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        user_id,
        user_code,
        user_name,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
