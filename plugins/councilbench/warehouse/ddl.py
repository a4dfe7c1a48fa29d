"""Tables the loader owns in raw and ops, created by `councilbench db up`.

One place for the operational data model, so the ledger, validation results, sends and
raw rows are reviewed together. Every statement is idempotent (IF NOT EXISTS, or an
upgrade step that finds nothing left to do once it has run).
"""

OPS = [
    # The submission ledger: one row per distinct file (by content hash) fetched for a
    # subject (a council, or a public dataset) and period. The same bytes twice is a no-op.
    """
    create table if not exists ops.submissions (
        submission_id   bigint generated always as identity primary key,
        source_kind     text not null,
        subject         text not null,
        period          text not null,
        source_uri      text not null,
        fetched_at      timestamptz not null default now(),
        sha256          char(64) not null,
        size_bytes      bigint not null,
        media_type      text,
        original_name   text,
        landing_path    text not null,
        status          text not null default 'received'
                        check (status in ('received', 'rejected', 'loaded', 'superseded')),
        outcome         text check (outcome in ('pass', 'warn', 'fail')),
        status_changed_at timestamptz not null default now(),
        rows_loaded     integer,
        unique (source_kind, subject, period, sha256)
    )
    """,
    "create index if not exists submissions_subject_period on ops.submissions (source_kind, subject, period)",
    # Any source kind the ingest lifecycle runs (a new kind is a declaration, not a change
    # here): a name, not a list. Replaces the list of the first two kinds.
    "alter table ops.submissions drop constraint if exists submissions_source_kind_check",
    """alter table ops.submissions add constraint submissions_source_kind_check
       check (source_kind ~ '^[a-z][a-z0-9_]*$')""",
    # What validation normalised (BOM removed, CP1252 read ...), kept with the submission
    # so an email sent on a later retry says exactly what the first run found.
    "alter table ops.submissions add column if not exists normalisations jsonb not null default '[]'::jsonb",
    # Every attempt to fetch, including the ones that found nothing: "not received" is
    # recorded data, not an absence. ETag / Last-Modified feed conditional requests.
    """
    create table if not exists ops.fetch_attempts (
        attempt_id      bigint generated always as identity primary key,
        source_kind     text not null,
        subject         text not null,
        period          text not null,
        source_uri      text not null,
        attempted_at    timestamptz not null default now(),
        outcome         text not null check (outcome in ('received', 'unchanged', 'not_received', 'error')),
        http_status     integer,
        etag            text,
        last_modified   text,
        message         text,
        submission_id   bigint references ops.submissions
    )
    """,
    "create index if not exists fetch_attempts_subject_period on ops.fetch_attempts (source_kind, subject, period, attempted_at)",
    # Validation results as data: one row per submission and check.
    """
    create table if not exists ops.check_results (
        submission_id   bigint not null references ops.submissions,
        check_name      text not null,
        severity        text not null check (severity in ('fail', 'warn')),
        outcome         text not null check (outcome in ('pass', 'warn', 'fail')),
        failing_row_count integer not null default 0,
        failing_rows    jsonb not null default '[]'::jsonb,
        message         text not null,
        checked_at      timestamptz not null default now(),
        primary key (submission_id, check_name)
    )
    """,
    # The outbox (councilbench.mail.outbox): every email the platform sends, one row each,
    # whether it is about one file a council sent (rejection, receipt; 'warning' only from
    # before receipts), about a council's month (pack, reminder, chaser) or the region's
    # (the month summary; subject E12000005). subject and period as in ops.submissions.
    # The unique key (NULLS NOT DISTINCT: a month's email has no submission) is what makes
    # a rerun never send the same email twice.
    """
    create table if not exists ops.outbox (
        email_id        bigint generated always as identity primary key,
        kind            text not null constraint outbox_kind_check
                        check (kind in ('rejection', 'receipt', 'warning', 'monthly_pack', 'return_reminder',
                                        'return_chaser', 'month_summary', 'pay_report')),
        subject         text not null,
        period          text not null,
        submission_id   bigint references ops.submissions,
        recipients      text[] not null,
        subject_line    text not null,
        attachments     text[] not null default '{}',
        status          text not null check (status in ('pending', 'sent', 'failed')),
        attempts        integer not null default 0,
        message_id      text,
        last_error      text,
        created_at      timestamptz not null default now(),
        sent_at         timestamptz,
        constraint outbox_about_a_submission
            check ((submission_id is not null) = (kind in ('rejection', 'receipt', 'warning'))),
        constraint outbox_one_email unique nulls not distinct (kind, subject, period, submission_id)
    )
    """,
    # Upgrade: the pay report (issue 16) is a kind of email; an outbox created before it
    # admits it once its check is replaced (a no-op once it names pay_report).
    """
    do $$
    begin
        if not exists (
            select from pg_constraint
            where conrelid = 'ops.outbox'::regclass and conname = 'outbox_kind_check'
              and pg_get_constraintdef(oid) like '%pay_report%'
        ) then
            alter table ops.outbox drop constraint if exists outbox_kind_check;
            alter table ops.outbox add constraint outbox_kind_check
                check (kind in ('rejection', 'receipt', 'warning', 'monthly_pack', 'return_reminder',
                                'return_chaser', 'month_summary', 'pay_report'));
        end if;
    end
    $$
    """,
    # Upgrade: the two ledgers before the outbox (ops.notifications, per submission, and
    # ops.report_sends, per council and month) are copied into it once, in the
    # transaction of `db up`, and dropped, so an email sent before the upgrade is never
    # sent again and nothing writes the old tables. CASCADE takes dbt's view of
    # notifications with it (dbt builds stg_ops__outbox in its place).
    """
    do $$
    begin
        if to_regclass('ops.notifications') is not null then
            insert into ops.outbox (kind, subject, period, submission_id, recipients, subject_line, status,
                                    attempts, message_id, last_error, created_at, sent_at)
            select n.kind, s.subject, s.period, n.submission_id, n.recipients, n.subject_line, n.status,
                   n.attempts, n.message_id, n.last_error, n.created_at, n.sent_at
            from ops.notifications as n inner join ops.submissions as s on s.submission_id = n.submission_id
            on conflict on constraint outbox_one_email do nothing;
            drop table ops.notifications cascade;
        end if;
        if to_regclass('ops.report_sends') is not null then
            insert into ops.outbox (kind, subject, period, recipients, subject_line, attachments, status,
                                    attempts, message_id, last_error, created_at, sent_at)
            select kind, council_code, report_month, recipients, subject_line, attachments, status,
                   attempts, message_id, last_error, created_at, sent_at
            from ops.report_sends
            on conflict on constraint outbox_one_email do nothing;
            drop table ops.report_sends cascade;
        end if;
    end
    $$
    """,
]

RAW = [
    # Accepted council return rows, tagged with the submission that carried them.
    """
    create table if not exists raw.council_return_rows (
        submission_id   bigint not null references ops.submissions,
        row_number      integer not null,
        council_code    text not null,
        return_period   text not null,
        metric_id       text not null,
        period          text not null,
        value           numeric,
        numerator       numeric,
        denominator     numeric,
        status          text not null,
        note            text,
        primary key (submission_id, row_number)
    )
    """,
    "create index if not exists council_return_rows_council_period on raw.council_return_rows (council_code, return_period)",
    # Public statistics (NOMIS, GOV.UK) as observations.
    """
    create table if not exists raw.public_observations (
        submission_id   bigint not null references ops.submissions,
        row_number      integer not null,
        source          text not null,
        dataset         text not null,
        area_code       text not null,
        area_name       text,
        period          text not null,
        measure         text not null,
        value           numeric,
        obs_status      text,
        primary key (submission_id, row_number)
    )
    """,
    # Accepted "spend over £500" payment lines (spend/kind.py): the canonical fields as the
    # reader typed them; row_number is the line's row in the council's own file.
    """
    create table if not exists raw.council_spend_lines (
        submission_id       bigint not null references ops.submissions,
        row_number          integer not null,
        council_code        text not null,
        spend_period        text not null,
        body                text,
        payment_date        date,
        transaction_number  text,
        supplier_name       text,
        supplier_id         text,
        vat_registration    text,
        company_number      text,
        net_amount          numeric(14, 2),
        irrecoverable_vat   numeric(14, 2),
        expense_type        text,
        expense_code        text,
        service_area        text,
        purpose             text,
        merchant_category   text,
        card_transaction    boolean,
        redacted            boolean not null,
        primary key (submission_id, row_number)
    )
    """,
    "create index if not exists council_spend_lines_council_period on raw.council_spend_lines (council_code, spend_period)",
    # What spend/resolve.py decided about the loaded lines, rewritten whole on each run.
    # Keyed on the values as published, blanks as '' (not null), so the marts join the
    # lines on plain equality (a hash join) rather than IS NOT DISTINCT FROM.
    """
    create table if not exists raw.spend_supplier_matches (
        raw_name        text not null,
        company_number  text not null,
        vat_number      text not null,
        canonical_id    text,
        canonical_name  text,
        method          text not null,
        score           numeric,
        primary key (raw_name, company_number, vat_number)
    )
    """,
    """
    create table if not exists raw.spend_line_categories (
        council_code    text not null,
        expense_type    text not null,
        expense_code    text not null,
        proclass_code   text,
        method          text not null,
        matched         text,
        primary key (council_code, expense_type, expense_code)
    )
    """,
    # Deposited pay posts (pay/kind.py, issue 16): one row per post of a council's accepted
    # pay file for a pay year. Confidential: readable by the loader and the transformer
    # only (bootstrap grants; a council reads its own posts through row-level security in
    # the pay schema, never here). Never personal data: a file with names, dates of birth,
    # employee or NI numbers is rejected whole before anything is loaded.
    """
    create table if not exists raw.council_pay_posts (
        submission_id       bigint not null references ops.submissions,
        row_number          integer not null,
        council_code        text not null,
        pay_year            text not null,
        post_id             text not null,
        job_title           text not null,
        role_id             text not null,
        grade               text,
        scp_min             integer,
        scp_max             integer,
        fte_salary          numeric(12, 2) not null,
        fte                 numeric(5, 4) not null,
        headcount           integer not null,
        allowances          numeric(12, 2),
        market_supplement   numeric(12, 2),
        contract_type       text,
        primary key (submission_id, row_number)
    )
    """,
    "create index if not exists council_pay_posts_council_year on raw.council_pay_posts (council_code, pay_year)",
    # GOV.UK's gender pay gap download (public/gender_pay_gap_load.py): every employer's row
    # of a reporting year's file as published, typed; never ResponsiblePerson (a person's
    # name). Councils are matched in dbt by EmployerId through the registry, so an id
    # confirmed later matches without a refetch. Percentages: positive = men paid more.
    """
    create table if not exists raw.public_gender_pay_gap (
        submission_id                       bigint not null references ops.submissions,
        row_number                          integer not null,
        reporting_year                      text not null,
        employer_id                         text,
        employer_name                       text,
        current_name                        text,
        company_number                      text,
        sic_codes                           text,
        employer_size                       text,
        link_to_gpg_info                    text,
        diff_mean_hourly_pct                numeric,
        diff_median_hourly_pct              numeric,
        diff_mean_bonus_pct                 numeric,
        diff_median_bonus_pct               numeric,
        male_bonus_pct                      numeric,
        female_bonus_pct                    numeric,
        male_lower_quartile_pct             numeric,
        female_lower_quartile_pct           numeric,
        male_lower_middle_quartile_pct      numeric,
        female_lower_middle_quartile_pct    numeric,
        male_upper_middle_quartile_pct      numeric,
        female_upper_middle_quartile_pct    numeric,
        male_top_quartile_pct               numeric,
        female_top_quartile_pct             numeric,
        submitted_after_deadline            boolean,
        due_date                            date,
        date_submitted                      timestamp,
        primary key (submission_id, row_number)
    )
    """,
    "create index if not exists public_gender_pay_gap_employer on raw.public_gender_pay_gap (employer_id, reporting_year)",
]
