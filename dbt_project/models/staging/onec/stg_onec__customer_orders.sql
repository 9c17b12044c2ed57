-- Grain: one row per live customer order (Document_ЗаказКлиента Ref_Key), posted or not.
with

source as (
    {{ onec_live_versions(source('onec', 'customer_orders')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as order_id,
        {{ onec_text('_data', 'Number') }} as order_number,
        {{ onec_local_datetime('_data', 'Date') }} as order_datetime_local,
        {{ onec_bool('_data', 'Posted') }} as is_posted,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_ref('_data', 'Менеджер_Key') }} as manager_id,
        {{ onec_text('_data', 'НомерПоДаннымКлиента') }} as client_order_number,
        {{ onec_money('_data', 'СуммаДокумента') }} as document_amount,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        order_id,
        order_number,
        order_datetime_local,
        cast(order_datetime_local as date) as order_date,
        {{ local_to_utc('order_datetime_local') }} as ordered_at,
        is_posted,
        counterparty_id,
        manager_id,
        client_order_number,
        document_amount,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
