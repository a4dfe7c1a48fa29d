-- Every value that counts comes from a submission whose ledger status is 'loaded':
-- superseded and rejected submissions never reach the facts. Returns offending rows.
select f.council_code, f.metric_id, f.period, f.submission_id, s.status
from {{ ref('fct_metric_value') }} as f
left join {{ ref('stg_ops__submissions') }} as s on s.submission_id = f.submission_id
where s.status is distinct from 'loaded'
