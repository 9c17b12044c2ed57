-- Grain: one row per (visit_date, traffic_source_id, utm_source, utm_medium, utm_campaign) as landed,
-- i.e. per visit_key; the latest re-read of a day wins. Metrica dates are in the counter's time zone
-- (the company's; docs/sources/metrica.md). A missing UTM tag ('' in the API) is NULL.
with

source as (
    {{ onec_live_versions(source('metrica', 'visits')) }}
),

final as (
    select
        _id as visit_key,
        cast(nullif(trim(_data ->> 'date'), '') as date) as visit_date,
        nullif(trim(_data ->> 'traffic_source_id'), '') as traffic_source_id,
        nullif(trim(_data ->> 'traffic_source_name'), '') as traffic_source_name,
        nullif(trim(_data ->> 'utm_source'), '') as utm_source,
        nullif(trim(_data ->> 'utm_medium'), '') as utm_medium,
        nullif(trim(_data ->> 'utm_campaign'), '') as utm_campaign,
        cast(round(cast(_data ->> 'visits' as double)) as bigint) as visits,
        cast(round(cast(_data ->> 'users' as double)) as bigint) as users,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
)

select * from final
