{#- Reconciliation: Σ `expression` over the model equals Σ `compare_expression` over `compare_model`
    (each optionally filtered). Fails with one row showing both totals. -#}
{% test totals_match(model, expression, compare_model, compare_expression, where=none, compare_where=none) %}
    with

    model_total as (
        select coalesce(sum({{ expression }}), 0) as total
        from {{ model }}
        {% if where %}where {{ where }}{% endif %}
    ),

    compare_total as (
        select coalesce(sum({{ compare_expression }}), 0) as total
        from {{ compare_model }}
        {% if compare_where %}where {{ compare_where }}{% endif %}
    )

    select
        model_total.total as model_total,
        compare_total.total as compare_total
    from model_total
    cross join compare_total
    where model_total.total <> compare_total.total
{% endtest %}
