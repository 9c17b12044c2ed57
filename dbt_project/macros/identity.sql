{#- Identity keys: how a phone / e-mail is normalized before records are matched on it (docs/METRICS.md —
    Customer). -#}

{#- Phone → E.164. Digits only, after cutting an extension ("доб. 12", "ext 3"):
    11 digits starting 8 or 7 → +7 + last 10; 10 digits → +7 + digits; other 11–15 digits → + digits
    (a foreign number); anything else is not a usable phone (NULL). -#}
{% macro normalize_phone(phone_expr) -%}
    {%- set digits -%}
        regexp_replace(regexp_replace(lower({{ phone_expr }}), '(доб|ext).*$', ''), '[^0-9]', '', 'g')
    {%- endset -%}
    case
        when length({{ digits }}) = 11 and left({{ digits }}, 1) in ('7', '8')
            then '+7' || right({{ digits }}, 10)
        when length({{ digits }}) = 10
            then '+7' || {{ digits }}
        when length({{ digits }}) between 11 and 15
            then '+' || {{ digits }}
    end
{%- endmacro %}

{#- Email → trimmed, lower case, inner whitespace removed; without an "@" it is not an email. -#}
{% macro normalize_email(email_expr) -%}
    {%- set cleaned -%}
        lower(regexp_replace({{ email_expr }}, '\s', '', 'g'))
    {%- endset -%}
    case when {{ cleaned }} like '%_@_%' then {{ cleaned }} end
{%- endmacro %}
