{#- Reading amoCRM API v4 records as landed in raw_amocrm.* (docs/sources/amocrm.md).
    The live version of a record is `onec_live_versions` (latest `_loaded_seq` per `_id`, tombstones out):
    the rule is the landing's, not 1C's. `field` may be a key ('price') or a JSONPath ('$.params.uniq').
    A missing field is NULL of the column's type, never an error: installations differ. -#}

{#- Text: trimmed, empty = NULL. -#}
{% macro amocrm_text(json_expr, field) -%}
    nullif(trim({{ json_expr }} ->> '{{ field }}'), '')
{%- endmacro %}

{#- Numeric ids and counts (amoCRM ids are integers; 0 means "nobody" only where the caller says so). -#}
{% macro amocrm_int(json_expr, field) -%}
    cast({{ amocrm_text(json_expr, field) }} as bigint)
{%- endmacro %}

{#- A user reference: 0 is the integration's robot, not a user → NULL. -#}
{% macro amocrm_user(json_expr, field) -%}
    nullif({{ amocrm_int(json_expr, field) }}, 0)
{%- endmacro %}

{% macro amocrm_bool(json_expr, field, default='false') -%}
    coalesce(cast({{ json_expr }} ->> '{{ field }}' as boolean), {{ default }})
{%- endmacro %}

{#- Unix seconds (UTC) → naive TIMESTAMP in UTC; 0 / missing = NULL. Integer arithmetic, no session
    time zone involved. -#}
{% macro amocrm_unix_to_utc(seconds_expr) -%}
    case
        when cast({{ seconds_expr }} as bigint) > 0
            then make_timestamp(cast({{ seconds_expr }} as bigint) * 1000000)
    end
{%- endmacro %}

{% macro amocrm_timestamp(json_expr, field) -%}
    {{ amocrm_unix_to_utc(amocrm_text(json_expr, field)) }}
{%- endmacro %}

{#- A UTC TIMESTAMP → the company-local DATE (var `timezone`), for periods. -#}
{% macro amocrm_local_date(utc_ts) -%}
    cast(timezone('{{ var("timezone") }}', timezone('UTC', {{ utc_ts }})) as date)
{%- endmacro %}

{#- A JSON array as a LIST of JSON (NULL, an object or a scalar = NULL: no rows, no error). -#}
{% macro amocrm_json_list(json_expr) -%}
    case when json_type({{ json_expr }}) = 'ARRAY' then from_json({{ json_expr }}, '["json"]') end
{%- endmacro %}

{#- The custom fields (custom_fields_values) matching any of `codes` (field_code) or, failing a code,
    any of `names` (field_name, case-insensitive): real accounts often create BIRTHDAY/CITY/GENDER
    fields by hand, with a name and no code. -#}
{% macro amocrm_custom_fields(json_expr, codes, names=[]) -%}
    list_filter(
        {{ amocrm_json_list(json_expr ~ " -> 'custom_fields_values'") }},
        lambda custom_field:
            upper(custom_field ->> 'field_code') in ('{{ codes | join("', '") }}')
            {%- if names %}
            or lower(trim(custom_field ->> 'field_name')) in ('{{ names | map('lower') | join("', '") }}')
            {%- endif %}
    )
{%- endmacro %}

{#- The first value of the first matching custom field, as text (trimmed, empty = NULL). -#}
{% macro amocrm_custom_field(json_expr, codes, names=[]) -%}
    nullif(trim({{ amocrm_custom_fields(json_expr, codes, names) }}[1] -> 'values' -> 0 ->> 'value'), '')
{%- endmacro %}

{#- Deletions from lead_deleted / contact_deleted events (amoCRM hides a deleted record from its lists,
    so the last landed version still says is_deleted = false): per entity id, the latest deletion. -#}
{% macro amocrm_deletions(entity_type) -%}
    select
        {{ amocrm_int('_data', 'entity_id') }} as entity_id,
        max({{ amocrm_timestamp('_data', 'created_at') }}) as deleted_at
    from ({{ onec_live_versions(source('amocrm', 'events')) }}) as events
    where _data ->> 'type' = '{{ entity_type }}_deleted'
    group by 1
{%- endmacro %}
