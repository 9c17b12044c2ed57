-- Grain: one row per line (return_id, section, line_number) of a live return, posted or not;
-- section 'goods' = Товары ('services' = Услуги, if a configuration sends one).
with

source as (
    {{ onec_live_versions(source('onec', 'returns')) }}
),

live_returns as (
    select
        _data,
        {{ onec_ref('_data', 'Ref_Key') }} as return_id
    from source
    where not {{ onec_bool('_data', 'DeletionMark') }}
),

line_rows as (
    select return_id, 'goods' as section, {{ onec_tabular_rows('_data', 'Товары') }} as line
    from live_returns
    union all
    select return_id, 'services' as section, {{ onec_tabular_rows('_data', 'Услуги') }} as line
    from live_returns
),

final as (
    select
        return_id,
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
