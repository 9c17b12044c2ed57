-- Every buyer of a month is either new or returning; repeat sales never exceed sales.
select *
from {{ ref('repeat_sales') }}
where buyers <> new_customers + returning_customers
   or repeat_sales_count > sales_count
   or repeat_sales_amount > sales_amount
