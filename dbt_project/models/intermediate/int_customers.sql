-- Grain: one row per customer (customer_id): a person or company seen in any source (DESIGN §4 Customer)
-- — an identity component of live 1C counterparties, site orders and live amoCRM contacts
-- (int_identity_records) — plus an "orphan" customer per counterparty that has posted documents but no live
-- card (deletion-marked, deleted or never landed), so that every sale belongs to exactly one customer.
--
-- Who they are, by source precedence (1C is the accounting record, the CRM is kept by managers, a site
-- order is typed by the buyer once):
--   name, phone, e-mail, city: the primary 1C counterparty (the member with the latest posted shipment, else
--     the smallest Ref_Key), falling back to other members; else the latest updated CRM contact; else the
--     latest site order. A phone or e-mail that is not an identity key (a switchboard) never shows.
--   legal_form, inn: 1C only.
--   gender: amoCRM GENDER, else from the patronymic (…ич → male, …ична/…вна → female) of the 1C full name
--     or the CRM contact's name; birthday: amoCRM BIRTHDAY. Neither for a legal entity.
with

identity as (
    select * from {{ ref('int_identity_records') }}
),

links as (
    select * from {{ ref('int_identity_links') }}
    where is_key
),

resolved as (
    select * from {{ ref('int_counterparties_resolved') }}
),

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
    where is_posted
),

returns as (
    select * from {{ ref('stg_onec__returns') }}
    where is_posted
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

site_orders as (
    select * from {{ ref('stg_website__orders') }}
),

-- 1C ------------------------------------------------------------------------------------------------------
latest_shipments as (
    select
        counterparty_id,
        max(shipment_datetime_local) as last_shipment_datetime_local
    from shipments
    group by counterparty_id
),

ranked_members as (
    select
        resolved.*,
        row_number() over (
            partition by resolved.customer_id
            order by latest_shipments.last_shipment_datetime_local desc nulls last, resolved.counterparty_id
        ) as member_rank
    from resolved
    left join latest_shipments on latest_shipments.counterparty_id = resolved.counterparty_id
),

onec_customers as (
    select
        customer_id,
        min_by(counterparty_id, member_rank) as primary_counterparty_id,
        min_by(counterparty_name, member_rank) as name,
        min_by(coalesce(full_name, counterparty_name), member_rank) as full_name,
        min_by(phone, member_rank) filter (where phone is not null) as phone,
        min_by(email, member_rank) filter (where email is not null) as email,
        min_by(city, member_rank) filter (where city is not null) as city,
        min_by(legal_form, member_rank) filter (where legal_form is not null) as legal_form,
        min_by(inn, member_rank) filter (where inn is not null) as inn,
        count(*) as counterparty_count
    from ranked_members
    group by customer_id
),

-- amoCRM --------------------------------------------------------------------------------------------------
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

crm_customers as (
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
),

-- Website -------------------------------------------------------------------------------------------------
ranked_orders as (
    select
        identity.customer_id,
        coalesce(
            nullif(trim(concat_ws(' ', site_orders.billing_first_name, site_orders.billing_last_name)), ''),
            site_orders.billing_company
        ) as name,
        phone_keys.link_value as phone,
        email_keys.link_value as email,
        site_orders.billing_city as city,
        row_number() over (
            partition by identity.customer_id
            order by site_orders.created_at desc nulls last, site_orders.order_id desc
        ) as order_rank
    from site_orders
    inner join identity on identity.record_key = 'website:' || site_orders.order_id
    left join links as phone_keys
        on phone_keys.record_key = identity.record_key
        and phone_keys.link_type = 'phone'
        and phone_keys.link_value = site_orders.billing_phone_normalized
    left join links as email_keys
        on email_keys.record_key = identity.record_key
        and email_keys.link_type = 'email'
        and email_keys.link_value = site_orders.billing_email_normalized
),

site_customers as (
    select
        customer_id,
        min_by(name, order_rank) filter (where name is not null) as name,
        min_by(phone, order_rank) filter (where phone is not null) as phone,
        min_by(email, order_rank) filter (where email is not null) as email,
        min_by(city, order_rank) filter (where city is not null) as city,
        count(*) as site_order_count
    from ranked_orders
    group by customer_id
),

-- Together ------------------------------------------------------------------------------------------------
components as (
    select
        customer_id,
        array_to_string(list_sort(list_distinct(list(source))), ', ') as seen_in
    from identity
    group by customer_id
),

document_counterparties as (
    select counterparty_id from shipments
    union
    select counterparty_id from returns
),

orphan_customers as (
    select
        document_counterparties.counterparty_id as customer_id,
        document_counterparties.counterparty_id as primary_counterparty_id,
        'onec' as seen_in
    from document_counterparties
    anti join resolved on resolved.counterparty_id = document_counterparties.counterparty_id
    where document_counterparties.counterparty_id is not null
),

customers as (
    select
        components.customer_id,
        onec_customers.primary_counterparty_id,
        components.seen_in,
        false as is_orphan
    from components
    left join onec_customers on onec_customers.customer_id = components.customer_id
    union all
    select customer_id, primary_counterparty_id, seen_in, true as is_orphan
    from orphan_customers
),

-- The words of the customer's full name: 1C's НаименованиеПолное, else the CRM contact's name.
name_words as (
    select
        customers.customer_id,
        string_split(
            lower(
                regexp_replace(trim(coalesce(onec_customers.full_name, crm_customers.name, '')), '\s+', ' ', 'g')
            ),
            ' '
        ) as words
    from customers
    left join onec_customers on onec_customers.customer_id = customers.customer_id
    left join crm_customers on crm_customers.customer_id = customers.customer_id
),

-- The patronymic ends a name of three or more words: "Иванова Анна Сергеевна", "ИП Петров Олег Ильич".
inferred_genders as (
    select
        customer_id,
        case
            when words[-1] like '%ич' then 'male'
            when words[-1] like '%ична' or words[-1] like '%вна' then 'female'
        end as gender
    from name_words
    where len(words) >= 3
),

final as (
    select
        customers.customer_id,
        customers.primary_counterparty_id,
        coalesce(onec_customers.name, crm_customers.name, site_customers.name) as name,
        coalesce(onec_customers.phone, crm_customers.phone, site_customers.phone) as phone,
        coalesce(onec_customers.email, crm_customers.email, site_customers.email) as email,
        coalesce(onec_customers.city, crm_customers.city, site_customers.city) as city,
        onec_customers.legal_form,
        onec_customers.inn,
        case
            when onec_customers.legal_form is distinct from 'legal_entity'
                then coalesce(crm_customers.gender, inferred_genders.gender)
        end as gender,
        case
            when onec_customers.legal_form is distinct from 'legal_entity' then crm_customers.birthday
        end as birthday,
        coalesce(onec_customers.counterparty_count, 0) as counterparty_count,
        coalesce(site_customers.site_order_count, 0) as site_order_count,
        coalesce(crm_customers.crm_contact_count, 0) as crm_contact_count,
        customers.seen_in,
        onec_customers.customer_id is not null as has_live_counterparty,
        customers.is_orphan
    from customers
    left join onec_customers on onec_customers.customer_id = customers.customer_id
    left join crm_customers on crm_customers.customer_id = customers.customer_id
    left join site_customers on site_customers.customer_id = customers.customer_id
    left join inferred_genders on inferred_genders.customer_id = customers.customer_id
)

select * from final
