-- Money divided by a count, rounded half-up to kopecks in exact integer arithmetic; DECIMAL(18,2).
-- Why: DuckDB divides DECIMAL by a number as DOUBLE, and casting 63241.445 (really 63241.44499…) back
-- to DECIMAL(18,2) gives .44; a head of sales checking with a calculator sees a kopeck off.
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
