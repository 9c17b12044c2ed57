-- Grain: one row per company-local month (month) from the month of the first lead to the as-of month, every
-- month present: the months of the sales_pipeline* marts, with the moment their open pipeline is counted
-- (snapshot_at, UTC): the end of the month, and for the as-of month the end of the as-of date.
with

outcomes as (
    select * from {{ ref('int_lead_outcomes') }}
),

series as (
    select unnest(generate_series(
        cast(date_trunc('month', (select min(created_date) from outcomes)) as date),
        cast(date_trunc('month', {{ as_of_date() }}) as date),
        interval 1 month
    )) as month_start
),

final as (
    select
        cast(month_start as date) as month,
        least(
            {{ local_to_utc('cast(month_start + interval 1 month as timestamp)') }},
            {{ pipeline_cutoff_utc() }}
        ) as snapshot_at
    from series
)

select * from final
