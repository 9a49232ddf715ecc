-- nis2-store schema, SQLite flavour. Keep in step with ../postgres/0001_initial.sql:
-- same tables, columns, constraints and indexes; only the types differ.
-- Ids are uuids (BLOB here, UUID in PostgreSQL); time stamps are microseconds
-- since the Unix epoch (BIGINT) in both; JSON is kept as TEXT so bodies stay byte-exact.

CREATE TABLE accounts (
    id               BLOB PRIMARY KEY NOT NULL,
    name             TEXT NOT NULL,
    external_subject TEXT UNIQUE,
    created_at       BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id           BLOB PRIMARY KEY NOT NULL,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at   BIGINT
);
CREATE INDEX api_tokens_account ON api_tokens (account_id, created_at);

CREATE TABLE vendors (
    id                BLOB PRIMARY KEY NOT NULL,
    account_id        BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    domain            TEXT NOT NULL,
    vendor_name       TEXT,
    notes             TEXT,
    consent_given     BOOLEAN NOT NULL CHECK (consent_given),
    consent_timestamp BIGINT NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('pending', 'scanning', 'complete', 'error')),
    current_score     BIGINT CHECK (current_score BETWEEN 0 AND 100),
    current_grade     TEXT CHECK (current_grade IN ('A', 'B', 'C', 'D', 'F')),
    risk_level        TEXT CHECK (risk_level IN ('Low', 'Medium', 'High', 'Critical')),
    last_scanned_at   BIGINT,
    last_error        TEXT,
    created_at        BIGINT NOT NULL,
    UNIQUE (account_id, domain)
);
CREATE INDEX vendors_account_created ON vendors (account_id, created_at, id);
-- Covers the dashboard summary: every column it reads, per account.
CREATE INDEX vendors_account_summary ON vendors (account_id, current_grade, risk_level, current_score, last_scanned_at);
-- Periodic rescans look for vendors by last scan time across accounts.
CREATE INDEX vendors_last_scanned ON vendors (last_scanned_at);

CREATE TABLE scans (
    id             BLOB PRIMARY KEY NOT NULL,
    account_id     BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    vendor_id      BLOB NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    scanned_at     BIGINT NOT NULL,
    score          BIGINT NOT NULL CHECK (score BETWEEN 0 AND 100),
    grade          TEXT NOT NULL CHECK (grade IN ('A', 'B', 'C', 'D', 'F')),
    risk_level     TEXT NOT NULL CHECK (risk_level IN ('Low', 'Medium', 'High', 'Critical')),
    method         TEXT NOT NULL,
    failing_checks TEXT NOT NULL,
    assessment     TEXT NOT NULL,
    observations   TEXT NOT NULL,
    created_at     BIGINT NOT NULL
);
CREATE INDEX scans_vendor_time ON scans (account_id, vendor_id, scanned_at DESC, id);

CREATE TABLE webhook_endpoints (
    account_id BLOB PRIMARY KEY NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    url        TEXT NOT NULL,
    secret     TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id      BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    event_name      TEXT NOT NULL,
    body            TEXT NOT NULL,
    created_at      BIGINT NOT NULL,
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at BIGINT NOT NULL,
    claimed_until   BIGINT,
    claimed_by      TEXT,
    delivered_at    BIGINT,
    dead_at         BIGINT,
    last_error      TEXT
);
-- Pending entries only: what a dispatcher scans for.
CREATE INDEX outbox_pending ON outbox (next_attempt_at, id) WHERE delivered_at IS NULL AND dead_at IS NULL;
CREATE INDEX outbox_account ON outbox (account_id, id);

CREATE TABLE scan_jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id   BLOB NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    vendor_id    BLOB NOT NULL REFERENCES vendors (id) ON DELETE CASCADE,
    state        TEXT NOT NULL CHECK (state IN ('queued', 'running', 'done', 'failed')),
    attempts     BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    run_after    BIGINT NOT NULL,
    lease_token  BLOB,
    lease_until  BIGINT,
    heartbeat_at BIGINT,
    worker       TEXT,
    last_error   TEXT,
    created_at   BIGINT NOT NULL,
    finished_at  BIGINT
);
-- A vendor never has two scans queued or running at once.
CREATE UNIQUE INDEX scan_jobs_one_active ON scan_jobs (vendor_id) WHERE state IN ('queued', 'running');
CREATE INDEX scan_jobs_claimable ON scan_jobs (state, run_after, id);
CREATE INDEX scan_jobs_lease ON scan_jobs (state, lease_until);
CREATE INDEX scan_jobs_account ON scan_jobs (account_id, vendor_id, id);
