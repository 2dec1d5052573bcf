-- The discovery pipeline: field mappings, cleansed records, assets, dependencies, tech debt, agent tasks.

CREATE TABLE field_mappings (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    position          INTEGER NOT NULL,
    source_field      TEXT NOT NULL,
    target_attribute  TEXT,
    confidence        DOUBLE PRECISION NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('suggested', 'approved', 'rejected')),
    agent             TEXT NOT NULL,
    reasoning         TEXT NOT NULL,
    PRIMARY KEY (flow_id, source_field)
);
CREATE INDEX field_mappings_tenant_idx ON field_mappings (client_account_id, engagement_id);

-- The data_cleansing phase's output: one standardised, deduplicated record per future asset.
CREATE TABLE cleansed_records (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    position          INTEGER NOT NULL,
    record_key        TEXT NOT NULL,
    data              JSONB NOT NULL,
    PRIMARY KEY (flow_id, record_key)
);
CREATE INDEX cleansed_records_tenant_idx ON cleansed_records (client_account_id, engagement_id);

CREATE TABLE assets (
    id                   UUID PRIMARY KEY,
    flow_id              UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id    UUID NOT NULL,
    engagement_id        UUID NOT NULL,
    source_key           TEXT NOT NULL,
    name                 TEXT NOT NULL,
    asset_type           TEXT NOT NULL,
    hostname             TEXT,
    fqdn                 TEXT,
    ip_address           TEXT,
    operating_system     TEXT,
    os_version           TEXT,
    environment          TEXT,
    application          TEXT,
    cpu_cores            BIGINT,
    memory_gb            DOUBLE PRECISION,
    storage_gb           DOUBLE PRECISION,
    owner                TEXT,
    business_criticality TEXT,
    location             TEXT,
    depends_on           JSONB NOT NULL DEFAULT '[]',
    attributes           JSONB NOT NULL DEFAULT '{}',
    source_rows          JSONB NOT NULL DEFAULT '[]',
    quality_score        DOUBLE PRECISION,
    validation_status    TEXT NOT NULL DEFAULT 'pending',
    validation_note      TEXT,
    six_r_strategy       TEXT,
    six_r_rationale      TEXT,
    risk_score           BIGINT,
    -- The inventory run that last wrote the asset: assets an older run left behind are swept.
    inventory_run        UUID NOT NULL,
    created_at           TIMESTAMPTZ NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    UNIQUE (flow_id, source_key)
);
CREATE INDEX assets_tenant_idx ON assets (client_account_id, engagement_id);

CREATE TABLE asset_dependencies (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    source_asset_id   UUID NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    target_asset_id   UUID NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    dependency_type   TEXT NOT NULL,
    confidence        DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (source_asset_id, target_asset_id)
);
CREATE INDEX asset_dependencies_target_idx ON asset_dependencies (target_asset_id);
CREATE INDEX asset_dependencies_flow_idx ON asset_dependencies (flow_id);
CREATE INDEX asset_dependencies_tenant_idx ON asset_dependencies (client_account_id, engagement_id);

CREATE TABLE tech_debt_items (
    id                UUID PRIMARY KEY,
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    asset_id          UUID NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    category          TEXT NOT NULL,
    severity          TEXT NOT NULL,
    description       TEXT NOT NULL,
    end_of_life       DATE,
    lifecycle_status  TEXT,
    support_level     TEXT
);
CREATE INDEX tech_debt_items_asset_idx ON tech_debt_items (asset_id);
CREATE INDEX tech_debt_items_flow_idx ON tech_debt_items (flow_id);
CREATE INDEX tech_debt_items_tenant_idx ON tech_debt_items (client_account_id, engagement_id);

CREATE TABLE agent_tasks (
    id                UUID PRIMARY KEY,
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    agent             TEXT NOT NULL,
    phase             TEXT NOT NULL,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL,
    duration_ms       DOUBLE PRECISION NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    confidence        DOUBLE PRECISION,
    reasoning         TEXT,
    error             TEXT
);
CREATE INDEX agent_tasks_flow_idx ON agent_tasks (flow_id);
CREATE INDEX agent_tasks_agent_idx ON agent_tasks (agent, started_at);
CREATE INDEX agent_tasks_tenant_idx ON agent_tasks (client_account_id, engagement_id);
