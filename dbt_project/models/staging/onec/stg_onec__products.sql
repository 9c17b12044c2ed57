-- Grain: one row per live product or product group (Catalog_Номенклатура Ref_Key).
with

source as (
    {{ onec_live_versions(source('onec', 'products')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as product_id,
        {{ onec_text('_data', 'Code') }} as product_code,
        {{ onec_text('_data', 'Description') }} as product_name,
        {{ onec_text('_data', 'Артикул') }} as sku,
        {{ onec_ref('_data', 'Parent_Key') }} as parent_id,
        {{ onec_bool('_data', 'IsFolder') }} as is_group,
        {{ onec_text('_data', 'ТипНоменклатуры') }} as product_type_1c,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        product_id,
        product_code,
        product_name,
        sku,
        parent_id,
        is_group,
        case
            when is_group then null
            when product_type_1c = 'Услуга' then 'service'
            else 'goods'
        end as product_type,
        product_type_1c,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
