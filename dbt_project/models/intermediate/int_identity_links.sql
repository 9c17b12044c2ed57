-- Grain: one row per (record_key, link_type, link_value): what ties a record that can be a customer to
-- other records (docs/METRICS.md — Customer).
--
-- Records: live 1C counterparties (not deletion-marked, not folders), every site order (any status), live
-- amoCRM contacts (not deleted). Links: a normalized phone (E.164) or e-mail, and the site order number as
-- a source reference — the site order itself, the 1C customer order carrying it in НомерПоДаннымКлиента
-- (whatever that order's state) with its counterparty and the counterparties of its shipments, and the
-- main contact of the shop's amoCRM lead «Заказ с сайта №<number>».
--
-- is_key: a phone or e-mail found on more than var('max_shared_contact') live 1C counterparties, or on more
-- than that many live CRM contacts, links nothing (a switchboard, a manager's own number typed into client
-- cards). Site orders do not count towards it: a loyal buyer leaves the same phone on every order.
-- A source reference is always a key.
with

counterparties as (
    select * from {{ ref('stg_onec__counterparties') }}
    where not is_folder
),

counterparty_contacts as (
    select * from {{ ref('stg_onec__counterparty_contacts') }}
),

-- Every landed 1C customer order, deletion-marked ones included: "reached 1C" does not depend on the
-- order's state (staging drops deletion-marked orders, so the raw versions are read here).
onec_orders as (
    select
        {{ onec_ref('_data', 'Ref_Key') }} as order_id,
        {{ onec_ref('_data', 'Контрагент_Key') }} as counterparty_id,
        {{ onec_text('_data', 'НомерПоДаннымКлиента') }} as client_order_number
    from ({{ onec_live_versions(source('onec', 'customer_orders')) }}) as orders
),

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
),

site_orders as (
    select * from {{ ref('stg_website__orders') }}
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

crm_leads as (
    select * from {{ ref('stg_amocrm__leads') }}
    where not is_deleted
),

onec_values as (
    select
        'onec:' || counterparty_contacts.counterparty_id as record_key,
        'onec' as source,
        'phone' as link_type,
        counterparty_contacts.phone_normalized as link_value
    from counterparty_contacts
    inner join counterparties on counterparties.counterparty_id = counterparty_contacts.counterparty_id
    where counterparty_contacts.phone_normalized is not null
    union
    select
        'onec:' || counterparty_contacts.counterparty_id,
        'onec',
        'email',
        counterparty_contacts.email_normalized
    from counterparty_contacts
    inner join counterparties on counterparties.counterparty_id = counterparty_contacts.counterparty_id
    where counterparty_contacts.email_normalized is not null
),

site_values as (
    select 'website:' || order_id as record_key, 'website' as source, 'phone' as link_type,
        billing_phone_normalized as link_value
    from site_orders
    where billing_phone_normalized is not null
    union
    select 'website:' || order_id, 'website', 'email', billing_email_normalized
    from site_orders
    where billing_email_normalized is not null
),

crm_values as (
    select 'amocrm:' || crm_phones.contact_id as record_key, 'amocrm' as source, 'phone' as link_type,
        crm_phones.phone_normalized as link_value
    from crm_phones
    inner join crm_contacts on crm_contacts.contact_id = crm_phones.contact_id
    where crm_phones.phone_normalized is not null
    union
    select 'amocrm:' || crm_emails.contact_id, 'amocrm', 'email', crm_emails.email_normalized
    from crm_emails
    inner join crm_contacts on crm_contacts.contact_id = crm_emails.contact_id
    where crm_emails.email_normalized is not null
),

contact_values as (
    select * from onec_values
    union all
    select * from site_values
    union all
    select * from crm_values
),

contact_value_usage as (
    select
        link_type,
        link_value,
        count(distinct record_key) filter (where source = 'onec') as onec_records,
        count(distinct record_key) filter (where source = 'amocrm') as amocrm_records
    from contact_values
    group by link_type, link_value
),

-- The site order number, as each system references it.
site_order_references as (
    select 'website:' || order_id as record_key, 'website' as source, order_number as site_order_number
    from site_orders
    where order_number is not null
    union
    select 'onec:' || onec_orders.counterparty_id, 'onec', onec_orders.client_order_number
    from onec_orders
    inner join counterparties on counterparties.counterparty_id = onec_orders.counterparty_id
    where onec_orders.client_order_number is not null
    union
    select 'onec:' || shipments.counterparty_id, 'onec', onec_orders.client_order_number
    from shipments
    inner join onec_orders on onec_orders.order_id = shipments.order_id
    inner join counterparties on counterparties.counterparty_id = shipments.counterparty_id
    where onec_orders.client_order_number is not null
    union
    -- БП 3.0 has no customer orders: its sale carries the site order number itself
    select 'onec:' || shipments.counterparty_id, 'onec', shipments.client_order_number
    from shipments
    inner join counterparties on counterparties.counterparty_id = shipments.counterparty_id
    where shipments.client_order_number is not null
    union
    select
        'amocrm:' || crm_leads.main_contact_id,
        'amocrm',
        nullif(trim(regexp_extract(crm_leads.lead_name, '^Заказ с сайта\s*№\s*(\S+)\s*$', 1)), '')
    from crm_leads
    inner join crm_contacts on crm_contacts.contact_id = crm_leads.main_contact_id
),

final as (
    select
        contact_values.record_key,
        contact_values.source,
        contact_values.link_type,
        contact_values.link_value,
        contact_value_usage.onec_records <= {{ var('max_shared_contact') }}
            and contact_value_usage.amocrm_records <= {{ var('max_shared_contact') }} as is_key,
        contact_value_usage.onec_records as onec_records_sharing,
        contact_value_usage.amocrm_records as amocrm_records_sharing
    from contact_values
    inner join contact_value_usage using (link_type, link_value)
    union all
    select
        record_key,
        source,
        'site_order' as link_type,
        site_order_number as link_value,
        true as is_key,
        null as onec_records_sharing,
        null as amocrm_records_sharing
    from site_order_references
    where site_order_number is not null
)

select * from final
