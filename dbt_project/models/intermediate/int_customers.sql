-- Grain: one row per customer (customer_id): a person or company seen in any source (docs/METRICS.md —
-- Customer) — an identity component of live 1C counterparties, site orders and live amoCRM contacts
-- (int_identity_records) — plus an "orphan" customer per counterparty that has posted documents but no live
-- card (deletion-marked, deleted or never landed), so that every sale belongs to exactly one customer.
--
-- Who they are, by source precedence (1C is the accounting record, the CRM is kept by managers, a site
-- order is typed by the buyer once); each source's view is its own model:
--   name, phone, e-mail, city: int_customer_profiles_onec (the primary 1C counterparty, falling back to
--     other members), else int_customer_profiles_amocrm (the latest updated CRM contact), else
--     int_customer_profiles_website (the latest site order). A phone or e-mail that is not an identity key
--     (a switchboard) never shows.
--   legal_form, inn: 1C only.
--   gender: amoCRM GENDER, else from the patronymic (…ич → male, …ична/…вна → female) of the 1C full name
--     or the CRM contact's name; birthday: amoCRM BIRTHDAY. Neither for a legal entity.
with

identity as (
    select * from {{ ref('int_identity_records') }}
),

resolved as (
    select * from {{ ref('int_counterparties_resolved') }}
),

documents as (
    select * from {{ ref('int_onec_documents') }}
),

onec_customers as (
    select * from {{ ref('int_customer_profiles_onec') }}
),

crm_customers as (
    select * from {{ ref('int_customer_profiles_amocrm') }}
),

site_customers as (
    select * from {{ ref('int_customer_profiles_website') }}
),

components as (
    select
        customer_id,
        array_to_string(list_sort(list_distinct(list(source))), ', ') as seen_in
    from identity
    group by customer_id
),

document_counterparties as (
    select distinct counterparty_id
    from documents
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
