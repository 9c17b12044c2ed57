-- Grain: one row per line (shipment_id, section, line_number) of a live shipment, posted or not;
-- section 'goods' = tabular section Товары, 'services' = Услуги (БП 3.0).
with

source as (
    {{ onec_live_versions(source('onec', 'shipments')) }}
),

live_shipments as (
    select
        _data,
        {{ onec_ref('_data', 'Ref_Key') }} as shipment_id
    from source
    where not {{ onec_bool('_data', 'DeletionMark') }}
),

line_rows as (
    select shipment_id, 'goods' as section, {{ onec_tabular_rows('_data', 'Товары') }} as line
    from live_shipments
    union all
    select shipment_id, 'services' as section, {{ onec_tabular_rows('_data', 'Услуги') }} as line
    from live_shipments
),

final as (
    select
        shipment_id,
        section,
        {{ onec_int('line', 'LineNumber') }} as line_number,
        {{ onec_ref('line', 'Номенклатура_Key') }} as product_id,
        {{ onec_quantity('line', 'Количество') }} as quantity,
        {{ onec_money('line', 'Цена') }} as price,
        {{ onec_money('line', 'Сумма') }} as amount,
        {{ onec_text('line', 'СтавкаНДС') }} as vat_rate,
        {{ onec_money('line', 'СуммаНДС') }} as vat_amount
    from line_rows
)

select * from final
