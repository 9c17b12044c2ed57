{#- Reading 1C OData records as landed in raw_onec.* (docs/sources/onec.md: the raw layout; every
    configuration's fields arrive renamed into salespipe's vocabulary by the connector's profile). -#}

{#- The live version of every record: latest row per `_id` by `_loaded_seq`, tombstones dropped. -#}
{% macro onec_live_versions(relation) -%}
    select *
    from (
        select
            *,
            row_number() over (partition by _id order by _loaded_seq desc) as _version_rank
        from {{ relation }}
    ) as versions
    where _version_rank = 1
      and not _deleted
{%- endmacro %}

{#- Text field: trimmed (1C pads fixed-length strings), empty = NULL; missing field = NULL. -#}
{% macro onec_text(json_expr, field) -%}
    nullif(trim({{ json_expr }} ->> '{{ field }}'), '')
{%- endmacro %}

{#- First present of several field names (a field 1C may send under either name, e.g. Валюта_Key / Валюта). -#}
{% macro onec_text_any(json_expr, fields) -%}
    coalesce(
        {%- for field in fields %}
        {{ onec_text(json_expr, field) }}{{ "," if not loop.last }}
        {%- endfor %}
    )
{%- endmacro %}

{#- Reference (GUID) field: lower-cased; the empty reference (zero GUID) = NULL. -#}
{% macro onec_ref(json_expr, field) -%}
    nullif(lower({{ onec_text(json_expr, field) }}), '00000000-0000-0000-0000-000000000000')
{%- endmacro %}

{#- Local date-time without offset; the empty date 0001-01-01T00:00:00 = NULL. -#}
{% macro onec_local_datetime(json_expr, field) -%}
    cast(nullif({{ onec_text(json_expr, field) }}, '0001-01-01T00:00:00') as timestamp)
{%- endmacro %}

{% macro onec_bool(json_expr, field, default='false') -%}
    coalesce(cast({{ json_expr }} ->> '{{ field }}' as boolean), {{ default }})
{%- endmacro %}

{#- Money: JSON numbers → DECIMAL(18,2). TRY_CAST: a value that does not fit (9.99e17) would otherwise
    fail the whole build with an anonymous "Conversion Error" inside some downstream table. The source's
    data test `onec_values_fit` fails first and names the document, its number and the value, and the
    models built on the source are skipped; the NULL never reaches a mart. -#}
{% macro onec_money(json_expr, field) -%}
    try_cast({{ json_expr }} ->> '{{ field }}' as decimal(18, 2))
{%- endmacro %}

{% macro onec_quantity(json_expr, field) -%}
    try_cast({{ json_expr }} ->> '{{ field }}' as decimal(18, 3))
{%- endmacro %}

{#- Edm.Int64 arrives as a JSON string ("LineNumber":"1"). -#}
{% macro onec_int(json_expr, field) -%}
    cast({{ json_expr }} ->> '{{ field }}' as integer)
{%- endmacro %}

{#- A document landed as a return is one: УНФ lands all its receipts of goods (ПриходнаяНакладная) as
    returns, and only the return operation kinds are (other configurations have no ВидОперации). -#}
{% macro onec_is_customer_return(json_expr) -%}
    coalesce({{ onec_text(json_expr, 'ВидОперации') }}, 'ВозвратОтПокупателя') like 'Возврат%'
{%- endmacro %}

{#- Rows of an inline tabular section (missing section = no rows). -#}
{% macro onec_tabular_rows(json_expr, section) -%}
    unnest(from_json({{ json_expr }} -> '{{ section }}', '["json"]'))
{%- endmacro %}

{#- The lines of a 1C document (shipment, return): one row per (document id, section, line_number) of a
    live, not deletion-marked document, posted or not. Section 'goods' = tabular section Товары,
    'services' = Услуги (БП 3.0 keeps services apart; a configuration without it gives no rows).
    `relation` is the raw source of the documents, `id_column` the name their Ref_Key gets; `keep`, a
    condition on `_data` the document must meet (УНФ's returns: the return operation kinds only). -#}
{% macro onec_document_lines(relation, id_column, keep='true') -%}
with

source as (
    {{ onec_live_versions(relation) }}
),

live_documents as (
    select
        _data,
        {{ onec_ref('_data', 'Ref_Key') }} as {{ id_column }}
    from source
    where not {{ onec_bool('_data', 'DeletionMark') }}
      and {{ keep }}
),

line_rows as (
    select {{ id_column }}, 'goods' as section, {{ onec_tabular_rows('_data', 'Товары') }} as line
    from live_documents
    union all
    select {{ id_column }}, 'services' as section, {{ onec_tabular_rows('_data', 'Услуги') }} as line
    from live_documents
),

final as (
    select
        {{ id_column }},
        section,
        {{ onec_int('line', 'LineNumber') }} as line_number,
        {{ onec_ref('line', 'Номенклатура_Key') }} as product_id,
        {{ onec_quantity('line', 'Количество') }} as quantity,
        {{ onec_money('line', 'Цена') }} as price,
        {{ onec_money('line', 'Сумма') }} as amount,
        {{ onec_text('line', 'СтавкаНДС') }} as vat_rate,
        {{ onec_money('line', 'СуммаНДС') }} as vat_amount
    from line_rows
)

select * from final
{%- endmacro %}
