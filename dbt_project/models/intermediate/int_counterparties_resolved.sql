-- Grain: one row per live counterparty that can be a customer (not deletion-marked, not a folder),
-- with the customer_id of its identity component (docs/CONTRACTS.md §5).
--
-- Identity rule: two counterparties are the same customer when they share a normalized phone (E.164) or
-- email, transitively. A contact value found on more than var('max_shared_contact') counterparties is a
-- switchboard or a manager's own number typed into client cards, and links nothing. customer_id is the
-- smallest Ref_Key of the component, so it is stable while the component's membership is.
with recursive

counterparties as (
    select * from {{ ref('stg_onec__counterparties') }}
    where not is_folder
),

contacts as (
    select contacts.*
    from {{ ref('stg_onec__counterparty_contacts') }} as contacts
    inner join counterparties on counterparties.counterparty_id = contacts.counterparty_id
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

contact_value_usage as (
    select
        contact_type,
        contact_value,
        count(distinct counterparty_id) as counterparty_count
    from contact_values
    group by contact_type, contact_value
),

usable_contacts as (
    select contact_values.*
    from contact_values
    inner join contact_value_usage using (contact_type, contact_value)
    where contact_value_usage.counterparty_count <= {{ var('max_shared_contact') }}
),

overshared_counterparties as (
    select distinct contact_values.counterparty_id
    from contact_values
    inner join contact_value_usage using (contact_type, contact_value)
    where contact_value_usage.counterparty_count > {{ var('max_shared_contact') }}
),

links as (
    select distinct
        this_side.counterparty_id as from_id,
        other_side.counterparty_id as to_id
    from usable_contacts as this_side
    inner join usable_contacts as other_side
        on other_side.contact_type = this_side.contact_type
        and other_side.contact_value = this_side.contact_value
        and other_side.counterparty_id <> this_side.counterparty_id
),

-- Min-label propagation: every counterparty starts with its own id as label and passes labels to its
-- neighbours. Only a label smaller than the receiver is passed on: the component's minimum is smaller
-- than every node on any path from it, so it still reaches all of them, while the pairs stay few.
labels (counterparty_id, label) as (
    select counterparty_id, counterparty_id
    from counterparties
    union
    select links.to_id, labels.label
    from labels
    inner join links on links.from_id = labels.counterparty_id
    where labels.label < links.to_id
),

components as (
    select
        counterparty_id,
        min(label) as customer_id
    from labels
    group by counterparty_id
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
        overshared_counterparties.counterparty_id is not null as has_overshared_contact
    from counterparties
    inner join components on components.counterparty_id = counterparties.counterparty_id
    left join first_contacts on first_contacts.counterparty_id = counterparties.counterparty_id
    left join cities on cities.counterparty_id = counterparties.counterparty_id
    left join overshared_counterparties
        on overshared_counterparties.counterparty_id = counterparties.counterparty_id
)

select * from final
