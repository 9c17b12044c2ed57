-- Grain: one row per customer (customer_id) with at least one live amoCRM contact: who the customer is by
-- the CRM (kept by managers). Every value comes from the latest updated contact that has it (updated_at,
-- then the larger contact id). Phone / e-mail: the contact's first (by position) that is an identity key
-- of int_identity_links — a switchboard never shows. Gender and birthday: amoCRM GENDER / BIRTHDAY.
with

identity as (
    select * from {{ ref('int_identity_records') }}
),

links as (
    select * from {{ ref('int_identity_links') }}
    where is_key
),

crm_contacts as (
    select * from {{ ref('stg_amocrm__contacts') }}
    where not is_deleted
),

crm_phones as (
    select * from {{ ref('stg_amocrm__contact_phones') }}
),

crm_emails as (
    select * from {{ ref('stg_amocrm__contact_emails') }}
),

crm_key_phones as (
    select
        crm_phones.contact_id,
        min_by(crm_phones.phone_normalized, crm_phones.position) as phone
    from crm_phones
    inner join links
        on links.record_key = 'amocrm:' || crm_phones.contact_id
        and links.link_type = 'phone'
        and links.link_value = crm_phones.phone_normalized
    group by crm_phones.contact_id
),

crm_key_emails as (
    select
        crm_emails.contact_id,
        min_by(crm_emails.email_normalized, crm_emails.position) as email
    from crm_emails
    inner join links
        on links.record_key = 'amocrm:' || crm_emails.contact_id
        and links.link_type = 'email'
        and links.link_value = crm_emails.email_normalized
    group by crm_emails.contact_id
),

ranked_contacts as (
    select
        identity.customer_id,
        crm_contacts.contact_id,
        coalesce(
            crm_contacts.contact_name,
            nullif(trim(concat_ws(' ', crm_contacts.first_name, crm_contacts.last_name)), '')
        ) as name,
        crm_key_phones.phone,
        crm_key_emails.email,
        crm_contacts.city,
        crm_contacts.gender,
        crm_contacts.birthday,
        row_number() over (
            partition by identity.customer_id
            order by crm_contacts.updated_at desc nulls last, crm_contacts.contact_id desc
        ) as contact_rank
    from crm_contacts
    inner join identity on identity.record_key = 'amocrm:' || crm_contacts.contact_id
    left join crm_key_phones on crm_key_phones.contact_id = crm_contacts.contact_id
    left join crm_key_emails on crm_key_emails.contact_id = crm_contacts.contact_id
),

final as (
    select
        customer_id,
        min_by(name, contact_rank) filter (where name is not null) as name,
        min_by(phone, contact_rank) filter (where phone is not null) as phone,
        min_by(email, contact_rank) filter (where email is not null) as email,
        min_by(city, contact_rank) filter (where city is not null) as city,
        min_by(gender, contact_rank) filter (where gender is not null) as gender,
        min_by(birthday, contact_rank) filter (where birthday is not null) as birthday,
        count(*) as crm_contact_count
    from ranked_contacts
    group by customer_id
)

select * from final
