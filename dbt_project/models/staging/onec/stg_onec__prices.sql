-- Grain: one row per price record (product_id, price_type_id, valid_from_local) of
-- InformationRegister_ЦеныНоменклатуры; a price holds from its Period until the next one.
with

source as (
    {{ onec_live_versions(source('onec', 'prices')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Номенклатура_Key') }} as product_id,
        {{ onec_ref('_data', 'ВидЦены_Key') }} as price_type_id,
        {{ onec_local_datetime('_data', 'Period') }} as valid_from_local,
        {{ onec_money('_data', 'Цена') }} as price,
        {{ onec_text_any('_data', ['Валюта_Key', 'Валюта']) }} as currency,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        product_id,
        price_type_id,
        valid_from_local,
        cast(valid_from_local as date) as valid_from_date,
        {{ local_to_utc('valid_from_local') }} as valid_from_at,
        price,
        currency,
        extracted_at,
        loaded_seq
    from renamed
)

select * from final
