-- Grain: one row per live price type (Catalog_ВидыЦен Ref_Key).
with

source as (
    {{ onec_live_versions(source('onec', 'price_types')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as price_type_id,
        {{ onec_text('_data', 'Code') }} as price_type_code,
        {{ onec_text('_data', 'Description') }} as price_type_name,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        price_type_id,
        price_type_code,
        price_type_name,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
