-- Results of the assessment and collection phases (applications, waves, gaps, questions), one
-- JSON row per item, replaced as a whole when a phase runs again.
CREATE TABLE flow_results (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('application', 'wave', 'gap', 'question')),
    key               TEXT NOT NULL,
    position          INTEGER NOT NULL,
    data              JSONB NOT NULL,
    PRIMARY KEY (flow_id, kind, key)
);
CREATE INDEX flow_results_tenant_idx ON flow_results (client_account_id, engagement_id);
