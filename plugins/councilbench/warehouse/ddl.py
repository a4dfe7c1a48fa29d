"""Tables the loader owns in raw and ops, created by `councilbench db up`.

One place for the operational data model, so the ledger, validation results, sends and
raw rows are reviewed together. Every statement is idempotent (IF NOT EXISTS).
"""

OPS = [
    # The submission ledger: one row per distinct file (by content hash) fetched for a
    # subject (a council, or a public dataset) and period. The same bytes twice is a no-op.
    """
    create table if not exists ops.submissions (
        submission_id   bigint generated always as identity primary key,
        source_kind     text not null check (source_kind in ('council_return', 'public_source')),
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
    # Emails sent about a submission: the primary key is what makes a rerun never send
    # the same email twice.
    """
    create table if not exists ops.notifications (
        submission_id   bigint not null references ops.submissions,
        kind            text not null check (kind in ('rejection', 'warning')),
        recipients      text[] not null,
        subject_line    text not null,
        status          text not null check (status in ('pending', 'sent', 'failed')),
        attempts        integer not null default 0,
        message_id      text,
        last_error      text,
        created_at      timestamptz not null default now(),
        sent_at         timestamptz,
        primary key (submission_id, kind)
    )
    """,
    # Receipts (an accepted file) came after the table: widen the check. 'warning' stays
    # for the emails sent before receipts, which now carry an accepted file's warnings.
    "alter table ops.notifications drop constraint if exists notifications_kind_check",
    """alter table ops.notifications add constraint notifications_kind_check
       check (kind in ('rejection', 'warning', 'receipt'))""",
    # The outbox (councilbench.mail.outbox): every email about a council's month (its pack,
    # the return reminder and the chaser) and the platform team's month summary (council
    # E12000005, the region). The primary key is what makes a rerun never send twice.
    """
    create table if not exists ops.report_sends (
        council_code    text not null,
        report_month    text not null,
        kind            text not null default 'monthly_pack' check (kind in ('monthly_pack')),
        recipients      text[] not null,
        subject_line    text not null,
        attachments     text[] not null default '{}',
        status          text not null check (status in ('pending', 'sent', 'failed')),
        attempts        integer not null default 0,
        message_id      text,
        last_error      text,
        created_at      timestamptz not null default now(),
        sent_at         timestamptz,
        primary key (council_code, report_month, kind)
    )
    """,
    # Kinds added after the table was first created (packs only): widen the check.
    "alter table ops.report_sends drop constraint if exists report_sends_kind_check",
    """alter table ops.report_sends add constraint report_sends_kind_check
       check (kind in ('monthly_pack', 'return_reminder', 'return_chaser', 'month_summary'))""",
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
]
