-- Grain: one row per live customer return (Ref_Key of УТ 11's ВозвратТоваровОтКлиента, БП 3.0's
-- ВозвратТоваровОтПокупателя, or УНФ's ПриходнаяНакладная whose operation kind is a return), posted or not.
-- УНФ records purchases from suppliers in the same document: those (another ВидОперации) are not returns.
with

source as (
    {{ onec_live_versions(source('onec', 'returns')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as return_id,
        {{ onec_text('_data', 'Number') }} as return_number,
        {{ onec_local_datetime('_data', 'Date') }} as return_datetime_local,
        {{ onec_bool('_data', 'Posted') }} as is_posted,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_ref('_data', 'Менеджер_Key') }} as manager_id,
        {{ onec_ref('_data', 'ДокументРеализации_Key') }} as shipment_id,
        {{ onec_money('_data', 'СуммаДокумента') }} as document_amount,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
    where {{ onec_is_customer_return('_data') }}
),

final as (
    select
        return_id,
        return_number,
        return_datetime_local,
        cast(return_datetime_local as date) as return_date,
        {{ local_to_utc('return_datetime_local') }} as returned_at,
        is_posted,
        counterparty_id,
        manager_id,
        shipment_id,
        document_amount,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
