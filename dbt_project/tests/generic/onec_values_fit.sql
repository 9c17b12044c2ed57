{#- Every amount and quantity of a live 1C document (its СуммаДокумента and each line's Сумма, Цена,
    СуммаНДС, Количество) fits the DECIMAL staging reads it into. Staging reads them with TRY_CAST, so a
    value that does not fit (9.99e17: more than DECIMAL(18, 2) holds) would quietly become NULL; this test
    fails instead, before any model built on the source, and its message names the stream, the document's
    key and number and the value: DuckDB's error() raises it, because dbt's own failure text only counts
    rows ("Got 1 result"). The quality stage blocks such a value earlier (MAX_AMOUNT_RUB, docs/QUALITY.md);
    this is the guard of the dbt build itself, run without it. -#}
{% test onec_values_fit(model, stream) %}
with

live as (
    {{ onec_live_versions(model) }}
),

documents as (
    select _data from live where not {{ onec_bool('_data', 'DeletionMark') }}
),

fields as (
    select _data, 'СуммаДокумента' as field, _data ->> 'СуммаДокумента' as value, 'decimal(18, 2)' as type
    from documents
    union all
    select documents._data, line_field.field, line ->> line_field.field, line_field.type
    from documents,
         unnest(coalesce(json_extract(_data, '$.Товары[*]'), [])
                || coalesce(json_extract(_data, '$.Услуги[*]'), [])) as lines(line),
         (values ('Сумма', 'decimal(18, 2)'), ('Цена', 'decimal(18, 2)'), ('СуммаНДС', 'decimal(18, 2)'),
                 ('Количество', 'decimal(18, 3)')) as line_field(field, type)
),

unfit as (
    select
        _data ->> 'Ref_Key' as ref_key,
        _data ->> 'Number' as number,
        field,
        value
    from fields
    where value is not null
      and case type when 'decimal(18, 3)' then try_cast(value as decimal(18, 3)) is null
                    else try_cast(value as decimal(18, 2)) is null end
)

select
    count(*) as unfit_values,
    error(
        'onec.{{ stream }}: ' || count(*) || ' value(s) do not fit DECIMAL: '
        || string_agg('document ' || ref_key || ' № ' || coalesce(number, '?') || ' ' || field || '=' || value,
                      '; ' order by ref_key, field)
    ) as message
from unfit
having count(*) > 0
{% endtest %}
