-- Grain: one row per live service act (УНФ's Document_АктВыполненныхРабот Ref_Key), posted or not. УНФ sells
-- services on an act of their own, beside the goods' РасходнаяНакладная; other configurations have none.
with

source as (
    {{ onec_live_versions(source('onec', 'service_acts')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as service_act_id,
        {{ onec_text('_data', 'Number') }} as service_act_number,
        {{ onec_local_datetime('_data', 'Date') }} as service_act_datetime_local,
        {{ onec_bool('_data', 'Posted') }} as is_posted,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_ref('_data', 'Менеджер_Key') }} as manager_id,
        {{ onec_ref('_data', 'ЗаказКлиента_Key') }} as order_id,
        {{ onec_money('_data', 'СуммаДокумента') }} as document_amount,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        service_act_id,
        service_act_number,
        service_act_datetime_local,
        cast(service_act_datetime_local as date) as service_act_date,
        is_posted,
        counterparty_id,
        manager_id,
        order_id,
        document_amount,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
