-- Money divided by a count, rounded to kopecks half away from zero (0.025 → 0.03, −0.025 → −0.03) in exact
-- integer arithmetic; DECIMAL(18,2).
-- Why: DuckDB divides DECIMAL by a number as DOUBLE, and the cast back to DECIMAL(18,2) can be a kopeck
-- off (DuckDB 2.0: 10000.05 / 2 → 5000.02, not 5000.03); a head of sales checking with a calculator sees it.
-- Null when the divisor is 0 or null.
{% macro money_per(amount, divisor) -%}
    case when coalesce({{ divisor }}, 0) <> 0 then
        cast(
            cast(
                sign(cast(round({{ amount }} * 100) as hugeint)) * sign({{ divisor }})
                * ((abs(cast(round({{ amount }} * 100) as hugeint)) * 2 + abs({{ divisor }}))
                   // (2 * abs({{ divisor }})))
                as decimal(38, 0)
            ) * 0.01
            as decimal(18, 2)
        )
    end
{%- endmacro %}
