-- Grain: one row per status (pipeline_id, status_id) of a live pipeline. Status ids 142 (won) and 143
-- (lost) repeat in every pipeline, so a status is only unique within its pipeline.
with

source as (
    {{ onec_live_versions(source('amocrm', 'pipelines')) }}
),

status_rows as (
    select
        {{ amocrm_int('_data', 'id') }} as pipeline_id,
        unnest({{ amocrm_json_list("_data -> '$._embedded.statuses'") }}) as status
    from source
),

renamed as (
    select
        pipeline_id,
        {{ amocrm_int('status', 'id') }} as status_id,
        {{ amocrm_text('status', 'name') }} as status_name,
        {{ amocrm_int('status', 'sort') }} as sort,
        coalesce({{ amocrm_int('status', 'type') }}, 0) as status_type,
        {{ amocrm_bool('status', 'is_editable', 'null') }} as is_editable,
        {{ amocrm_text('status', 'color') }} as color
    from status_rows
),

final as (
    select
        pipeline_id,
        status_id,
        status_name,
        sort,
        status_type,
        status_id = 142 as is_won,
        status_id = 143 as is_lost,
        status_type = 1 as is_unsorted,
        status_id in (142, 143) as is_closed,
        is_editable,
        color
    from renamed
)

select * from final
