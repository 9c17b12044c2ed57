-- Grain: one row per live shipment (Document_РеализацияТоваровУслуг Ref_Key), posted or not.
with

source as (
    {{ onec_live_versions(source('onec', 'shipments')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as shipment_id,
        {{ onec_text('_data', 'Number') }} as shipment_number,
        {{ onec_local_datetime('_data', 'Date') }} as shipment_datetime_local,
        {{ onec_bool('_data', 'Posted') }} as is_posted,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_ref('_data', 'Менеджер_Key') }} as manager_id,
        {{ onec_ref('_data', 'ЗаказКлиента_Key') }} as order_id,
        {{ onec_text('_data', 'НомерПоДаннымКлиента') }} as client_order_number,
        {{ onec_ref('_data', 'ДоговорКонтрагента_Key') }} as contract_id,
        {{ onec_bool('_data', 'СуммаВключаетНДС', 'null') }} as amount_includes_vat,
        cast({{ onec_local_datetime('_data', 'ДатаВходящегоДокумента') }} as date) as incoming_document_date,
        {{ onec_money('_data', 'СуммаДокумента') }} as document_amount,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        shipment_id,
        shipment_number,
        shipment_datetime_local,
        cast(shipment_datetime_local as date) as shipment_date,
        {{ local_to_utc('shipment_datetime_local') }} as shipped_at,
        is_posted,
        counterparty_id,
        manager_id,
        order_id,
        client_order_number,
        contract_id,
        amount_includes_vat,
        incoming_document_date,
        document_amount,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
