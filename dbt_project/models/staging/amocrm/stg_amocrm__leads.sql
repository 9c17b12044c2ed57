-- Grain: one row per live amoCRM lead (lead_id), deleted leads included and flagged (is_deleted).
-- amoCRM drops a deleted lead from /leads, so the last landed version still says is_deleted = false;
-- the lead_deleted event is what tells (a lead updated after its deletion event was restored).
with

source as (
    {{ onec_live_versions(source('amocrm', 'leads')) }}
),

deletions as (
    {{ amocrm_deletions('lead') }}
),

renamed as (
    select
        {{ amocrm_int('_data', 'id') }} as lead_id,
        {{ amocrm_text('_data', 'name') }} as lead_name,
        cast({{ amocrm_text('_data', 'price') }} as decimal(18, 2)) as price,
        {{ amocrm_int('_data', 'pipeline_id') }} as pipeline_id,
        {{ amocrm_int('_data', 'status_id') }} as status_id,
        {{ amocrm_user('_data', 'responsible_user_id') }} as responsible_user_id,
        coalesce(
            {{ amocrm_int('_data', 'loss_reason_id') }},
            {{ amocrm_int('_data', '$._embedded.loss_reason[0].id') }}
        ) as loss_reason_id,
        {{ amocrm_int('_data', 'source_id') }} as source_id,
        {{ amocrm_int('_data', 'created_by') }} as created_by,
        {{ amocrm_int('_data', 'updated_by') }} as updated_by,
        {{ amocrm_timestamp('_data', 'created_at') }} as created_at,
        {{ amocrm_timestamp('_data', 'updated_at') }} as updated_at,
        {{ amocrm_timestamp('_data', 'closed_at') }} as closed_at,
        {{ amocrm_bool('_data', 'is_deleted') }} as is_deleted_in_record,
        cast(
            coalesce(
                list_filter(
                    {{ amocrm_json_list("_data -> '$._embedded.contacts'") }},
                    lambda lead_contact: cast(lead_contact ->> 'is_main' as boolean)
                )[1],
                ({{ amocrm_json_list("_data -> '$._embedded.contacts'") }})[1]
            ) ->> 'id' as bigint
        ) as main_contact_id,
        coalesce(
            list_transform(
                {{ amocrm_json_list("_data -> '$._embedded.tags'") }},
                lambda tag: {{ amocrm_text('tag', 'name') }}
            ),
            cast([] as varchar[])
        ) as tags,
        {{ amocrm_custom_field('_data', ['UTM_SOURCE']) }} as utm_source,
        {{ amocrm_custom_field('_data', ['UTM_MEDIUM']) }} as utm_medium,
        {{ amocrm_custom_field('_data', ['UTM_CAMPAIGN']) }} as utm_campaign,
        {{ amocrm_custom_field('_data', ['UTM_CONTENT']) }} as utm_content,
        {{ amocrm_custom_field('_data', ['UTM_TERM']) }} as utm_term,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

flagged as (
    select
        renamed.*,
        deletions.deleted_at as deletion_event_at,
        coalesce(deletions.deleted_at >= coalesce(renamed.updated_at, deletions.deleted_at), false)
            as is_deleted_by_event
    from renamed
    left join deletions
        on renamed.lead_id = deletions.entity_id
),

final as (
    select
        lead_id,
        lead_name,
        price,
        pipeline_id,
        status_id,
        status_id = 142 as is_won,
        status_id = 143 as is_lost,
        responsible_user_id,
        loss_reason_id,
        source_id,
        created_by,
        updated_by,
        created_at,
        updated_at,
        closed_at,
        {{ amocrm_local_date('created_at') }} as created_date,
        {{ amocrm_local_date('closed_at') }} as closed_date,
        is_deleted_in_record or is_deleted_by_event as is_deleted,
        case when is_deleted_in_record or is_deleted_by_event then deletion_event_at end as deleted_at,
        main_contact_id,
        tags,
        utm_source,
        utm_medium,
        utm_campaign,
        utm_content,
        utm_term,
        extracted_at,
        loaded_seq
    from flagged
)

select * from final
