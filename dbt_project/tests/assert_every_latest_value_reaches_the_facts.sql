-- No accepted council-return value is dropped on its way to fct_metric_value (a period
-- outside dim_period, a metric missing from the catalogue). Returns the lost keys.
select i.council_code, i.metric_id, i.period
from {{ ref('int_returns__latest_values') }} as i
where not exists (
    select 1 from {{ ref('fct_metric_value') }} as f
    where f.council_code = i.council_code and f.metric_id = i.metric_id and f.period = i.period)
