{#- Named marketing channels (docs/METRICS.md — Channel), from the seed
    seeds/channel_mapping.csv (source_kind, utm_source, utm_medium, traffic_source_id → channel).

    The match rule the business agreed on and the sandbox truth applies: values are compared trimmed and
    lower-cased; a '*' in the seed matches anything, an empty or missing value included; of the rules that
    match, the one with the fewest '*' wins (the seed never has two equally specific rules that overlap;
    the channel name breaks a tie anyway, so a bad seed cannot make runs differ); no match → 'unknown'.

    `source_kind` is 'utm' (a CRM lead's UTM fields, a site order's attribution) or 'metrica' (a Metrica
    row: its lastTrafficSource id and UTM). It is a correlated subquery per row: callers map the distinct
    spellings (a few dozen) and join the answer back, rather than ask it for every lead or visit row, and
    pass qualified column names (`spellings.utm_source`): inside the subquery a bare `utm_source` would be
    the seed's own column. -#}
{% macro channel_of(source_kind, utm_source, utm_medium, traffic_source="null") -%}
    coalesce(
        (
            select first(
                mapping.channel
                order by
                    (trim(mapping.utm_source) = '*')::integer
                    + (trim(mapping.utm_medium) = '*')::integer
                    + (trim(mapping.traffic_source_id) = '*')::integer,
                    mapping.channel
            )
            from {{ ref('channel_mapping') }} as mapping
            where lower(trim(mapping.source_kind)) = '{{ source_kind }}'
              and {{ _channel_cell_matches('mapping.utm_source', utm_source) }}
              and {{ _channel_cell_matches('mapping.utm_medium', utm_medium) }}
              and {{ _channel_cell_matches('mapping.traffic_source_id', traffic_source) }}
        ),
        'unknown'
    )
{%- endmacro %}

{% macro _channel_cell_matches(pattern, value) -%}
    (trim({{ pattern }}) = '*'
     or lower(trim(cast({{ pattern }} as varchar))) = coalesce(lower(trim(cast({{ value }} as varchar))), ''))
{%- endmacro %}
