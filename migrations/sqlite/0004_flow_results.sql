-- Results of the assessment and collection phases (SQLite mirror of migrations/postgres), one
-- JSON row per item, replaced as a whole when a phase runs again.
CREATE TABLE flow_results (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('application', 'wave', 'gap', 'question')),
    key               TEXT NOT NULL,
    position          INTEGER NOT NULL,
    data              TEXT NOT NULL,
    PRIMARY KEY (flow_id, kind, key)
);
CREATE INDEX flow_results_tenant_idx ON flow_results (client_account_id, engagement_id);
