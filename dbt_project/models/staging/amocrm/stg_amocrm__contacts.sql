-- Grain: one row per live amoCRM contact (contact_id), deleted contacts included and flagged
-- (is_deleted: the record says so, or a contact_deleted event not followed by an update).
-- Phones and emails are in stg_amocrm__contact_phones / stg_amocrm__contact_emails.
with

source as (
    {{ onec_live_versions(source('amocrm', 'contacts')) }}
),

deletions as (
    {{ amocrm_deletions('contact') }}
),

renamed as (
    select
        {{ amocrm_int('_data', 'id') }} as contact_id,
        {{ amocrm_text('_data', 'name') }} as contact_name,
        {{ amocrm_text('_data', 'first_name') }} as first_name,
        {{ amocrm_text('_data', 'last_name') }} as last_name,
        {{ amocrm_user('_data', 'responsible_user_id') }} as responsible_user_id,
        {{ amocrm_int('_data', 'created_by') }} as created_by,
        {{ amocrm_timestamp('_data', 'created_at') }} as created_at,
        {{ amocrm_timestamp('_data', 'updated_at') }} as updated_at,
        {{ amocrm_bool('_data', 'is_deleted') }} as is_deleted_in_record,
        {{ amocrm_custom_field('_data', ['BIRTHDAY'], ['День рождения', 'Дата рождения', 'Birthday']) }}
            as birthday_raw,
        {{ amocrm_custom_field('_data', ['CITY'], ['Город', 'City']) }} as city,
        {{ amocrm_custom_field('_data', ['GENDER'], ['Пол', 'Gender']) }} as gender_raw,
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
        on renamed.contact_id = deletions.entity_id
),

final as (
    select
        contact_id,
        contact_name,
        first_name,
        last_name,
        responsible_user_id,
        created_by,
        created_at,
        updated_at,
        {{ amocrm_local_date('created_at') }} as created_date,
        -- amoCRM's birthday field holds unix seconds of a midnight: the account's local one (or UTC in
        -- some integrations, or a historic DST offset away). The date of the nearest local midnight is
        -- right in every case. Some accounts send a date string instead.
        case
            when regexp_full_match(birthday_raw, '-?[0-9]+')
                then cast(
                    timezone('{{ var("timezone") }}', to_timestamp(cast(birthday_raw as bigint)))
                    + interval 12 hour
                    as date
                )
            else try_cast(left(birthday_raw, 10) as date)
        end as birthday,
        city,
        case
            when upper(left(gender_raw, 1)) in ('М', 'M') then 'male'
            when upper(left(gender_raw, 1)) in ('Ж', 'F', 'W') then 'female'
        end as gender,
        gender_raw,
        is_deleted_in_record or is_deleted_by_event as is_deleted,
        case when is_deleted_in_record or is_deleted_by_event then deletion_event_at end as deleted_at,
        extracted_at,
        loaded_seq
    from flagged
)

select * from final
