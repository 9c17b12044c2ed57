-- Grain: one row per live product or service (not a group), with its top-level product group.
-- 1C groups are folders; a top-level group has no parent. Nested folders roll up to the top one.
with recursive

products as (
    select * from {{ ref('stg_onec__products') }}
),

product_groups as (
    select
        product_id as group_id,
        product_name as group_name,
        parent_id
    from products
    where is_group
),

items as (
    select * from products
    where not is_group
),

-- Walk up the folder tree; the depth guard stops a (corrupt) cycle.
ancestry (product_id, group_id, depth) as (
    select
        items.product_id,
        product_groups.group_id,
        1
    from items
    inner join product_groups on product_groups.group_id = items.parent_id
    union all
    select
        ancestry.product_id,
        parent_group.group_id,
        ancestry.depth + 1
    from ancestry
    inner join product_groups as child_group on child_group.group_id = ancestry.group_id
    inner join product_groups as parent_group on parent_group.group_id = child_group.parent_id
    where ancestry.depth < 32
),

top_groups as (
    select
        product_id,
        arg_max(group_id, depth) as product_group_id
    from ancestry
    group by product_id
),

final as (
    select
        items.product_id,
        items.product_code,
        items.product_name,
        items.sku,
        items.product_type,
        items.parent_id,
        top_groups.product_group_id,
        coalesce(product_groups.group_name, 'Без группы') as product_group_name
    from items
    left join top_groups on top_groups.product_id = items.product_id
    left join product_groups on product_groups.group_id = top_groups.product_group_id
)

select * from final
