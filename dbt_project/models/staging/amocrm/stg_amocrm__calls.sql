-- Grain: one row per call (call_uniq = params.uniq). The telephony integration writes a call on the
-- lead and on the contact; the connector lands one record per uniq, the lead's note with `lead_id` and the
-- contact's `contact_id`. A later run can land the contact's note alone (lead_id NULL) as a newer
-- version, so the latest version *with* a lead_id wins, and contact_id is the latest one any version had.
with

source as (
    select * from {{ source('amocrm', 'calls') }}
),

ranked as (
    select
        *,
        first_value(_deleted) over latest_first as _latest_is_tombstone,
        max_by(_data ->> 'contact_id', _loaded_seq) filter (where _data ->> 'contact_id' is not null)
            over (partition by _id) as _latest_contact_id,
        row_number() over (
            partition by _id
            order by _deleted, (_data ->> 'lead_id') is not null desc, _loaded_seq desc
        ) as _preference_rank
    from source
    window latest_first as (partition by _id order by _loaded_seq desc)
),

live_calls as (
    select *
    from ranked
    where _preference_rank = 1
      and not _latest_is_tombstone
),

renamed as (
    select
        coalesce({{ amocrm_text('_data', '$.params.uniq') }}, _id) as call_uniq,
        {{ amocrm_int('_data', 'id') }} as note_id,
        {{ amocrm_int('_data', 'lead_id') }} as lead_id,
        cast(_latest_contact_id as bigint) as contact_id,
        {{ amocrm_text('_data', 'note_type') }} as note_type,
        {{ amocrm_timestamp('_data', 'created_at') }} as created_at,
        {{ amocrm_timestamp('_data', 'updated_at') }} as updated_at,
        {{ amocrm_int('_data', 'created_by') }} as created_by,
        {{ amocrm_user('_data', 'responsible_user_id') }} as responsible_user_id,
        {{ amocrm_int('_data', '$.params.duration') }} as duration_seconds,
        {{ amocrm_text('_data', '$.params.phone') }} as phone,
        {{ amocrm_int('_data', '$.params.call_status') }} as call_status,
        {{ amocrm_text('_data', '$.params.call_result') }} as call_result,
        {{ amocrm_text('_data', '$.params.source') }} as telephony_source,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from live_calls
),

final as (
    select
        call_uniq,
        note_id,
        lead_id,
        contact_id,
        case note_type when 'call_in' then 'in' when 'call_out' then 'out' end as direction,
        created_at,
        {{ amocrm_local_date('created_at') }} as created_date,
        updated_at,
        created_by,
        responsible_user_id,
        duration_seconds,
        phone,
        {{ normalize_phone('phone') }} as phone_normalized,
        call_status,
        coalesce(call_status = 4, false) as is_talked,
        call_result,
        telephony_source,
        extracted_at,
        loaded_seq
    from renamed
)

select * from final
