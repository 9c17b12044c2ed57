-- Grain: one row per live counterparty (Catalog_Контрагенты Ref_Key), deletion-marked ones dropped.
with

source as (
    {{ onec_live_versions(source('onec', 'counterparties')) }}
),

renamed as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as counterparty_id,
        {{ onec_text('_data', 'Code') }} as counterparty_code,
        {{ onec_text('_data', 'Description') }} as counterparty_name,
        {{ onec_text('_data', 'НаименованиеПолное') }} as full_name,
        {{ onec_text('_data', 'ИНН') }} as inn,
        {{ onec_text('_data', 'ЮрФизЛицо') }} as legal_form_1c,
        {{ onec_ref('_data', 'Parent_Key') }} as parent_id,
        {{ onec_bool('_data', 'IsFolder') }} as is_folder,
        {{ onec_bool('_data', 'Predefined') }} as is_predefined,
        {{ onec_text('_data', 'PredefinedDataName') }} as predefined_data_name,
        {{ onec_bool('_data', 'DeletionMark') }} as is_deletion_marked,
        {{ onec_text('_data', 'DataVersion') }} as data_version,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        counterparty_id,
        counterparty_code,
        counterparty_name,
        full_name,
        inn,
        case
            when legal_form_1c like 'Физ%' then 'individual'
            when legal_form_1c like 'Индивидуальн%' then 'sole_proprietor'
            when legal_form_1c like 'Юр%' then 'legal_entity'
        end as legal_form,
        legal_form_1c,
        parent_id,
        is_folder,
        is_predefined,
        predefined_data_name,
        data_version,
        extracted_at,
        loaded_seq
    from renamed
    where not is_deletion_marked
)

select * from final
