-- In month 0 every member of a cohort is active (that is where their first sale is): retention 1.
select *
from {{ ref('customer_cohorts') }}
where month_number = 0
  and (active_customers <> cohort_size or retention <> 1)
