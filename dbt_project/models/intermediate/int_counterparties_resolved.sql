-- Grain: one row per live counterparty that can be a customer (not deletion-marked, not a folder),
-- with the customer_id of its identity component (docs/METRICS.md — Customer; int_identity_records): cards are one
-- customer when they share a normalized phone or e-mail, directly or through site orders and CRM contacts,
-- or a site order number. A phone/e-mail on more than var('max_shared_contact') live cards (or live CRM
-- contacts) is a switchboard or a manager's own number and links nothing. customer_id is the smallest
-- Ref_Key of the component, so it is stable while the component's membership is.
with

counterparties as (
    select * from {{ ref('stg_onec__counterparties') }}
    where not is_folder
),

contacts as (
    select contacts.*
    from {{ ref('stg_onec__counterparty_contacts') }} as contacts
    inner join counterparties on counterparties.counterparty_id = contacts.counterparty_id
),

identity as (
    select * from {{ ref('int_identity_records') }}
    where source = 'onec'
),

contact_keys as (
    select
        record_key,
        link_type,
        link_value,
        is_key
    from {{ ref('int_identity_links') }}
    where source = 'onec'
      and link_type in ('phone', 'email')
),

contact_values as (
    select counterparty_id, line_number, 'phone' as contact_type, phone_normalized as contact_value
    from contacts
    where phone_normalized is not null
    union all
    select counterparty_id, line_number, 'email' as contact_type, email_normalized as contact_value
    from contacts
    where email_normalized is not null
),

usable_contacts as (
    select contact_values.*
    from contact_values
    inner join contact_keys
        on contact_keys.record_key = 'onec:' || contact_values.counterparty_id
        and contact_keys.link_type = contact_values.contact_type
        and contact_keys.link_value = contact_values.contact_value
    where contact_keys.is_key
),

overshared_counterparties as (
    select distinct record_key
    from contact_keys
    where not is_key
),

components as (
    select
        record_id as counterparty_id,
        customer_id
    from identity
),

first_contacts as (
    select
        counterparty_id,
        min_by(contact_value, line_number) filter (where contact_type = 'phone') as phone,
        min_by(contact_value, line_number) filter (where contact_type = 'email') as email
    from usable_contacts
    group by counterparty_id
),

cities as (
    select
        counterparty_id,
        min_by(city, line_number) as city
    from contacts
    where city is not null
    group by counterparty_id
),

final as (
    select
        counterparties.counterparty_id,
        components.customer_id,
        counterparties.counterparty_code,
        counterparties.counterparty_name,
        counterparties.full_name,
        counterparties.inn,
        counterparties.legal_form,
        first_contacts.phone,
        first_contacts.email,
        cities.city,
        overshared_counterparties.record_key is not null as has_overshared_contact
    from counterparties
    inner join components on components.counterparty_id = counterparties.counterparty_id
    left join first_contacts on first_contacts.counterparty_id = counterparties.counterparty_id
    left join cities on cities.counterparty_id = counterparties.counterparty_id
    left join overshared_counterparties
        on overshared_counterparties.record_key = 'onec:' || counterparties.counterparty_id
)

select * from final
