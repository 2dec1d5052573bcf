-- The discovery pipeline (SQLite mirror of migrations/postgres).

CREATE TABLE field_mappings (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    position          INTEGER NOT NULL,
    source_field      TEXT NOT NULL,
    target_attribute  TEXT,
    confidence        REAL NOT NULL,
    status            TEXT NOT NULL CHECK (status IN ('suggested', 'approved', 'rejected')),
    agent             TEXT NOT NULL,
    reasoning         TEXT NOT NULL,
    PRIMARY KEY (flow_id, source_field)
);
CREATE INDEX field_mappings_tenant_idx ON field_mappings (client_account_id, engagement_id);

-- The data_cleansing phase's output: one standardised, deduplicated record per future asset.
CREATE TABLE cleansed_records (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    position          INTEGER NOT NULL,
    record_key        TEXT NOT NULL,
    data              TEXT NOT NULL,
    PRIMARY KEY (flow_id, record_key)
);
CREATE INDEX cleansed_records_tenant_idx ON cleansed_records (client_account_id, engagement_id);

CREATE TABLE assets (
    id                   BLOB PRIMARY KEY,
    flow_id              BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id    BLOB NOT NULL,
    engagement_id        BLOB NOT NULL,
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
    cpu_cores            INTEGER,
    memory_gb            REAL,
    storage_gb           REAL,
    owner                TEXT,
    business_criticality TEXT,
    location             TEXT,
    depends_on           TEXT NOT NULL DEFAULT '[]',
    attributes           TEXT NOT NULL DEFAULT '{}',
    source_rows          TEXT NOT NULL DEFAULT '[]',
    quality_score        REAL,
    validation_status    TEXT NOT NULL DEFAULT 'pending',
    validation_note      TEXT,
    six_r_strategy       TEXT,
    six_r_rationale      TEXT,
    risk_score           INTEGER,
    -- The inventory run that last wrote the asset: assets an older run left behind are swept.
    inventory_run        BLOB NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    UNIQUE (flow_id, source_key)
);
CREATE INDEX assets_tenant_idx ON assets (client_account_id, engagement_id);

CREATE TABLE asset_dependencies (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    source_asset_id   BLOB NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    target_asset_id   BLOB NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    dependency_type   TEXT NOT NULL,
    confidence        REAL NOT NULL,
    PRIMARY KEY (source_asset_id, target_asset_id)
);
CREATE INDEX asset_dependencies_target_idx ON asset_dependencies (target_asset_id);
CREATE INDEX asset_dependencies_flow_idx ON asset_dependencies (flow_id);
CREATE INDEX asset_dependencies_tenant_idx ON asset_dependencies (client_account_id, engagement_id);

CREATE TABLE tech_debt_items (
    id                BLOB PRIMARY KEY,
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    asset_id          BLOB NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
    category          TEXT NOT NULL,
    severity          TEXT NOT NULL,
    description       TEXT NOT NULL,
    end_of_life       TEXT,
    lifecycle_status  TEXT,
    support_level     TEXT
);
CREATE INDEX tech_debt_items_asset_idx ON tech_debt_items (asset_id);
CREATE INDEX tech_debt_items_flow_idx ON tech_debt_items (flow_id);
CREATE INDEX tech_debt_items_tenant_idx ON tech_debt_items (client_account_id, engagement_id);

CREATE TABLE agent_tasks (
    id                BLOB PRIMARY KEY,
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    agent             TEXT NOT NULL,
    phase             TEXT NOT NULL,
    started_at        TEXT NOT NULL,
    finished_at       TEXT NOT NULL,
    duration_ms       REAL NOT NULL,
    outcome           TEXT NOT NULL CHECK (outcome IN ('success', 'failure')),
    confidence        REAL,
    reasoning         TEXT,
    error             TEXT
);
CREATE INDEX agent_tasks_flow_idx ON agent_tasks (flow_id);
CREATE INDEX agent_tasks_agent_idx ON agent_tasks (agent, started_at);
CREATE INDEX agent_tasks_tenant_idx ON agent_tasks (client_account_id, engagement_id);
