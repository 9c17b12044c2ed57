-- Grain: one row per contact-information line (counterparty_id, line_number) of a live counterparty.
with

source as (
    {{ onec_live_versions(source('onec', 'counterparties')) }}
),

live_counterparties as (
    select
        _data,
        {{ onec_ref('_data', 'Ref_Key') }} as counterparty_id
    from source
    where not {{ onec_bool('_data', 'DeletionMark') }}
),

contact_rows as (
    select
        counterparty_id,
        {{ onec_tabular_rows('_data', 'КонтактнаяИнформация') }} as contact
    from live_counterparties
),

renamed as (
    select
        counterparty_id,
        {{ onec_int('contact', 'LineNumber') }} as line_number,
        {{ onec_text('contact', 'Тип') }} as contact_type_1c,
        {{ onec_text('contact', 'Вид') }} as contact_kind,
        {{ onec_text('contact', 'Представление') }} as presentation,
        {{ onec_text('contact', 'НомерТелефона') }} as phone_number,
        {{ onec_text('contact', 'АдресЭП') }} as email_address,
        {{ onec_text('contact', 'Город') }} as city
    from contact_rows
),

typed as (
    select
        *,
        case contact_type_1c
            when 'Телефон' then 'phone'
            when 'АдресЭлектроннойПочты' then 'email'
            when 'Адрес' then 'address'
            else 'other'
        end as contact_type
    from renamed
),

final as (
    select
        counterparty_id,
        line_number,
        contact_type,
        contact_type_1c,
        contact_kind,
        presentation,
        case when contact_type = 'phone' then coalesce(phone_number, presentation) end as phone_raw,
        case when contact_type = 'email' then coalesce(email_address, presentation) end as email_raw,
        case
            when contact_type = 'phone' then {{ normalize_phone('coalesce(phone_number, presentation)') }}
        end as phone_normalized,
        case
            when contact_type = 'email' then {{ normalize_email('coalesce(email_address, presentation)') }}
        end as email_normalized,
        city
    from typed
)

select * from final
