-- The server spine: flows, their phase runs (also the job queue), imported rows, audit trail.

CREATE TABLE unified_flow_states (
    id                  UUID PRIMARY KEY,
    flow_id             TEXT NOT NULL UNIQUE,
    flow_type           TEXT NOT NULL CHECK (flow_type IN ('discovery', 'assessment', 'collection')),
    master_flow_id      UUID REFERENCES unified_flow_states (id),
    client_account_id   UUID NOT NULL,
    engagement_id       UUID NOT NULL,
    user_id             UUID NOT NULL,
    name                TEXT NOT NULL,
    status              TEXT NOT NULL,
    current_phase       TEXT,
    flow_configuration  JSONB NOT NULL DEFAULT '{}',
    flow_state          JSONB NOT NULL DEFAULT '{}',
    phases_completed    JSONB NOT NULL DEFAULT '[]',
    progress_percentage INTEGER NOT NULL DEFAULT 0,
    raw_data            JSONB,
    data_import_id      UUID,
    performance_metrics JSONB NOT NULL DEFAULT '{}',
    quality_scores      JSONB NOT NULL DEFAULT '{}',
    version             INTEGER NOT NULL DEFAULT 1,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    completed_at        TIMESTAMPTZ,
    deleted_at          TIMESTAMPTZ
);

-- Listing is tenant-filtered and newest first (ids are UUIDv7, so id order is creation order).
CREATE INDEX unified_flow_states_tenant_idx
    ON unified_flow_states (client_account_id, engagement_id, id DESC) WHERE deleted_at IS NULL;
CREATE INDEX unified_flow_states_master_idx ON unified_flow_states (master_flow_id);

CREATE TABLE flow_phase_runs (
    id                UUID PRIMARY KEY,
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    phase             TEXT NOT NULL,
    status            TEXT NOT NULL,
    attempt           INTEGER NOT NULL,
    progress          INTEGER NOT NULL DEFAULT 0,
    requested_by      UUID NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    started_at        TIMESTAMPTZ,
    completed_at      TIMESTAMPTZ,
    result            JSONB,
    error             TEXT,
    lease_owner       TEXT,
    lease_expires_at  TIMESTAMPTZ,
    UNIQUE (flow_id, phase, attempt)
);

-- At most one queued or running phase per flow: the last word when two starters race.
CREATE UNIQUE INDEX flow_phase_runs_one_active_idx
    ON flow_phase_runs (flow_id) WHERE status IN ('queued', 'running');
CREATE INDEX flow_phase_runs_tenant_idx ON flow_phase_runs (client_account_id, engagement_id);

CREATE TABLE raw_import_records (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    row_number        BIGINT NOT NULL,
    line_number       BIGINT NOT NULL,
    data              JSONB NOT NULL,
    PRIMARY KEY (flow_id, row_number)
);
CREATE INDEX raw_import_records_tenant_idx ON raw_import_records (client_account_id, engagement_id);

CREATE TABLE audit_events (
    id                UUID PRIMARY KEY,
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    user_id           UUID NOT NULL,
    action            TEXT NOT NULL,
    details           JSONB NOT NULL DEFAULT '{}',
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_events_flow_idx ON audit_events (flow_id, id);
CREATE INDEX audit_events_tenant_idx ON audit_events (client_account_id, engagement_id);
