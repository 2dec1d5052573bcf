-- The server spine (SQLite mirror of migrations/postgres: UUIDs as 16-byte blobs, JSON and times as text).

CREATE TABLE unified_flow_states (
    id                  BLOB PRIMARY KEY,
    flow_id             TEXT NOT NULL UNIQUE,
    flow_type           TEXT NOT NULL CHECK (flow_type IN ('discovery', 'assessment', 'collection')),
    master_flow_id      BLOB REFERENCES unified_flow_states (id),
    client_account_id   BLOB NOT NULL,
    engagement_id       BLOB NOT NULL,
    user_id             BLOB NOT NULL,
    name                TEXT NOT NULL,
    status              TEXT NOT NULL,
    current_phase       TEXT,
    flow_configuration  TEXT NOT NULL DEFAULT '{}',
    flow_state          TEXT NOT NULL DEFAULT '{}',
    phases_completed    TEXT NOT NULL DEFAULT '[]',
    progress_percentage INTEGER NOT NULL DEFAULT 0,
    raw_data            TEXT,
    data_import_id      BLOB,
    performance_metrics TEXT NOT NULL DEFAULT '{}',
    quality_scores      TEXT NOT NULL DEFAULT '{}',
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    completed_at        TEXT,
    deleted_at          TEXT
);

-- Listing is tenant-filtered and newest first (ids are BLOBv7, so id order is creation order).
CREATE INDEX unified_flow_states_tenant_idx
    ON unified_flow_states (client_account_id, engagement_id, id) WHERE deleted_at IS NULL;
CREATE INDEX unified_flow_states_master_idx ON unified_flow_states (master_flow_id);

CREATE TABLE flow_phase_runs (
    id                BLOB PRIMARY KEY,
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    phase             TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempt           INTEGER NOT NULL,
    progress          INTEGER NOT NULL DEFAULT 0,
    requested_by      BLOB NOT NULL,
    created_at        TEXT NOT NULL,
    started_at        TEXT,
    completed_at      TEXT,
    result            TEXT,
    error             TEXT,
    lease_owner       TEXT,
    lease_expires_at  TEXT,
    UNIQUE (flow_id, phase, attempt)
);

-- At most one queued or running phase per flow: the last word when two starters race.
CREATE UNIQUE INDEX flow_phase_runs_one_active_idx
    ON flow_phase_runs (flow_id) WHERE status IN ('queued', 'running');
CREATE INDEX flow_phase_runs_tenant_idx ON flow_phase_runs (client_account_id, engagement_id);

CREATE TABLE raw_import_records (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    row_number        INTEGER NOT NULL,
    line_number       INTEGER NOT NULL,
    data              TEXT NOT NULL,
    PRIMARY KEY (flow_id, row_number)
);
CREATE INDEX raw_import_records_tenant_idx ON raw_import_records (client_account_id, engagement_id);

CREATE TABLE audit_events (
    id                BLOB PRIMARY KEY,
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    user_id           BLOB NOT NULL,
    action            TEXT NOT NULL,
    details           TEXT NOT NULL DEFAULT '{}',
    created_at        TEXT NOT NULL
);
CREATE INDEX audit_events_flow_idx ON audit_events (flow_id, id);
CREATE INDEX audit_events_tenant_idx ON audit_events (client_account_id, engagement_id);
