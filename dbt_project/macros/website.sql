{#- Reading WooCommerce REST v3 orders as landed in raw_website.* (docs/sources/website.md).
    The live version of an order is `onec_live_versions` (latest `_loaded_seq` per `_id`, tombstones out).
    `field` may be a key ('total') or a JSONPath ('$.billing.phone'). A missing field is a typed NULL. -#}

{#- Text: trimmed, empty = NULL. -#}
{% macro website_text(json_expr, field) -%}
    nullif(trim({{ json_expr }} ->> '{{ field }}'), '')
{%- endmacro %}

{% macro website_int(json_expr, field) -%}
    cast({{ website_text(json_expr, field) }} as bigint)
{%- endmacro %}

{#- Money: WooCommerce sends amounts as strings ("3350.00"); cast from the text, never through DOUBLE,
    so kopecks stay exact. -#}
{% macro website_money(json_expr, field) -%}
    cast({{ website_text(json_expr, field) }} as decimal(18, 2))
{%- endmacro %}

{#- Date-time without offset ("2024-06-08T11:43:57"), as sent. -#}
{% macro website_datetime(json_expr, field) -%}
    cast({{ website_text(json_expr, field) }} as timestamp)
{%- endmacro %}

{#- A moment in UTC: the `<field>_gmt` value; an order without it (very old WooCommerce) falls back to the
    site-local value read in the company time zone. -#}
{% macro website_utc(json_expr, field) -%}
    coalesce(
        {{ website_datetime(json_expr, field ~ '_gmt') }},
        {{ local_to_utc(website_datetime(json_expr, field)) }}
    )
{%- endmacro %}

{#- A JSON array as a LIST of JSON (NULL, an object or a scalar = NULL: no rows, no error). -#}
{% macro website_json_list(json_expr) -%}
    case when json_type({{ json_expr }}) = 'ARRAY' then from_json({{ json_expr }}, '["json"]') end
{%- endmacro %}

{#- The first non-empty value of the order's meta_data entries named by any of `keys`, in the order given
    (WooCommerce ≥ 8.5 Order Attribution first, then older plugins' keys). -#}
{% macro website_meta(json_expr, keys) -%}
    coalesce(
        {%- for key in keys %}
        nullif(trim(list_filter(
            {{ website_json_list(json_expr ~ " -> 'meta_data'") }},
            lambda meta: meta ->> 'key' = '{{ key }}'
        )[1] ->> 'value'), ''){{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}
