-- Grain: one row per posted service act (УНФ's АктВыполненныхРабот, service_act_id) with the sale it belongs
-- to. A sale of goods and services is one purchase; УНФ writes it as a goods document (shipment) and an
-- act. An act joins the posted shipment of the same counterparty and the same customer order (or, when
-- either names no order, the same counterparty on the same day; the earliest such shipment); an act with
-- no such shipment is a sale of its own (document_id = its own id). DECISIONLOG: "УНФ's service acts".
with

acts as (
    select * from {{ ref('stg_onec__service_acts') }}
    where is_posted
),

shipments as (
    select * from {{ ref('stg_onec__shipments') }}
    where is_posted
),

candidates as (
    select
        acts.service_act_id,
        shipments.shipment_id,
        row_number() over (
            partition by acts.service_act_id
            -- a shared order is the stronger tie than a shared day
            order by (acts.order_id = shipments.order_id) desc nulls last,
                shipments.shipment_datetime_local, shipments.shipment_id
        ) as preference
    from acts
    inner join shipments
        on shipments.counterparty_id = acts.counterparty_id
        and (
            acts.order_id = shipments.order_id
            or (
                (acts.order_id is null or shipments.order_id is null)
                and cast(shipments.shipment_datetime_local as date) = acts.service_act_date
            )
        )
),

final as (
    select
        acts.service_act_id,
        acts.service_act_number,
        acts.service_act_datetime_local,
        acts.counterparty_id,
        acts.manager_id,
        acts.order_id,
        acts.document_amount,
        candidates.shipment_id,
        coalesce(candidates.shipment_id, acts.service_act_id) as document_id
    from acts
    left join candidates
        on candidates.service_act_id = acts.service_act_id
        and candidates.preference = 1
)

select * from final
