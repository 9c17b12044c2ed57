-- Grain: one row per live amoCRM user (user id): the managers leads, calls and tasks are assigned to.
with

source as (
    {{ onec_live_versions(source('amocrm', 'users')) }}
),

renamed as (
    select
        {{ amocrm_int('_data', 'id') }} as user_id,
        {{ amocrm_text('_data', 'name') }} as user_name,
        {{ amocrm_text('_data', 'email') }} as email,
        cast(_data ->> '$.rights.is_admin' as boolean) as is_admin,
        cast(_data ->> '$.rights.is_active' as boolean) as is_active,
        _extracted_at as extracted_at,
        _loaded_seq as loaded_seq
    from source
),

final as (
    select
        user_id,
        user_name,
        email,
        {{ normalize_email('email') }} as email_normalized,
        is_admin,
        is_active,
        extracted_at,
        loaded_seq
    from renamed
)

select * from final
