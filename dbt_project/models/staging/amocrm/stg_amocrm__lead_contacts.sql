-- Grain: one row per (lead_id, contact_id) link of a live lead (_embedded.contacts, read with=contacts).
with

source as (
    {{ onec_live_versions(source('amocrm', 'leads')) }}
),

link_rows as (
    select
        {{ amocrm_int('_data', 'id') }} as lead_id,
        unnest({{ amocrm_json_list("_data -> '$._embedded.contacts'") }}) as lead_contact
    from source
),

renamed as (
    select
        lead_id,
        {{ amocrm_int('lead_contact', 'id') }} as contact_id,
        {{ amocrm_bool('lead_contact', 'is_main') }} as is_main
    from link_rows
),

final as (
    -- the same contact twice on one lead would be one link; keep it main if either says so
    select
        lead_id,
        contact_id,
        bool_or(is_main) as is_main
    from renamed
    where contact_id is not null
    group by lead_id, contact_id
)

select * from final
