-- Grain: one row per phone value (contact_id, position) of a live contact: every value of the PHONE
-- multitext field(s), in the order amoCRM sends them (a contact with two phones has two rows).
with

source as (
    {{ onec_live_versions(source('amocrm', 'contacts')) }}
),

field_values as (
    select
        {{ amocrm_int('_data', 'id') }} as contact_id,
        flatten(
            list_transform(
                {{ amocrm_custom_fields('_data', ['PHONE'], ['Телефон', 'Phone']) }},
                lambda custom_field:
                    coalesce({{ amocrm_json_list("custom_field -> 'values'") }}, cast([] as json[]))
            )
        ) as phone_values
    from source
),

value_rows as (
    select
        contact_id,
        unnest(phone_values) as phone_value,
        unnest(range(1, len(phone_values) + 1)) as position
    from field_values
),

renamed as (
    select
        contact_id,
        position,
        {{ amocrm_text('phone_value', 'value') }} as phone_raw,
        coalesce({{ amocrm_text('phone_value', 'enum_code') }}, {{ amocrm_text('phone_value', 'enum') }})
            as enum_code
    from value_rows
),

final as (
    select
        contact_id,
        position,
        phone_raw,
        enum_code,
        {{ normalize_phone('phone_raw') }} as phone_normalized
    from renamed
    where phone_raw is not null
)

select * from final
