-- Grain: one row per email value (contact_id, position) of a live contact: every value of the EMAIL
-- multitext field(s), in the order amoCRM sends them (a contact with two emails has two rows).
with

source as (
    {{ onec_live_versions(source('amocrm', 'contacts')) }}
),

field_values as (
    select
        {{ amocrm_int('_data', 'id') }} as contact_id,
        flatten(
            list_transform(
                {{ amocrm_custom_fields('_data', ['EMAIL'], ['Email', 'E-mail']) }},
                lambda custom_field:
                    coalesce({{ amocrm_json_list("custom_field -> 'values'") }}, cast([] as json[]))
            )
        ) as email_values
    from source
),

value_rows as (
    select
        contact_id,
        unnest(email_values) as email_value,
        unnest(range(1, len(email_values) + 1)) as position
    from field_values
),

renamed as (
    select
        contact_id,
        position,
        {{ amocrm_text('email_value', 'value') }} as email_raw,
        coalesce({{ amocrm_text('email_value', 'enum_code') }}, {{ amocrm_text('email_value', 'enum') }})
            as enum_code
    from value_rows
),

final as (
    select
        contact_id,
        position,
        email_raw,
        enum_code,
        {{ normalize_email('email_raw') }} as email_normalized
    from renamed
    where email_raw is not null
)

select * from final
