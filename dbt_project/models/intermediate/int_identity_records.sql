-- Grain: one row per record that can be a customer (record_key): a live 1C counterparty, a site order
-- (any status) or a live amoCRM contact, with the customer it belongs to (docs/METRICS.md — Customer).
--
-- One customer = a connected component of records linked by a shared key of int_identity_links (a phone or
-- e-mail that is a key, or a site order number), transitively. customer_id, stable while the component's
-- membership is: the smallest 1C Ref_Key in the component; without 1C, 'website:<smallest order id>';
-- else 'amocrm:<smallest contact id>'.
with recursive

counterparties as (
    select * from {{ ref('stg_onec__counterparties') }}
    where not is_folder
),

site_orders as (
    select * from {{ ref('stg_website__orders') }}
),

crm_contacts as (
    select * from {{ ref('stg_amocrm__contacts') }}
    where not is_deleted
),

links as (
    select * from {{ ref('int_identity_links') }}
    where is_key
),

-- The rank orders the customer_id candidates: 1C first, then site orders, then CRM contacts; numeric ids
-- are zero-padded so that text order is numeric order.
records as (
    select
        'onec:' || counterparty_id as record_key,
        'onec' as source,
        counterparty_id as record_id,
        '1|' || counterparty_id as rank_label,
        counterparty_id as candidate_customer_id
    from counterparties
    union all
    select
        'website:' || order_id,
        'website',
        cast(order_id as varchar),
        '2|' || lpad(cast(order_id as varchar), 20, '0'),
        'website:' || order_id
    from site_orders
    union all
    select
        'amocrm:' || contact_id,
        'amocrm',
        cast(contact_id as varchar),
        '3|' || lpad(cast(contact_id as varchar), 20, '0'),
        'amocrm:' || contact_id
    from crm_contacts
),

-- A bipartite graph: record ↔ key value. A phone on five site orders is five edges, not a clique of ten.
-- Key nodes sort after every record ('9|…'), so a component's label is always a record's.
edges as (
    select
        records.rank_label as from_node,
        '9|' || links.link_type || ':' || links.link_value as to_node
    from links
    inner join records on records.record_key = links.record_key
),

graph as (
    select from_node, to_node from edges
    union
    select to_node, from_node from edges
),

-- Min-label propagation: only a label smaller than the receiver is passed on. The component's minimum is
-- smaller than every other node, so it still reaches them all, while the (node, label) pairs stay few.
labels (node, label) as (
    select rank_label, rank_label
    from records
    union
    select graph.to_node, labels.label
    from labels
    inner join graph on graph.from_node = labels.node
    where labels.label < graph.to_node
),

components as (
    select
        node as rank_label,
        min(label) as component_label
    from labels
    group by node
),

final as (
    select
        records.record_key,
        records.source,
        records.record_id,
        customer_records.candidate_customer_id as customer_id
    from records
    inner join components on components.rank_label = records.rank_label
    inner join records as customer_records on customer_records.rank_label = components.component_label
)

select * from final
