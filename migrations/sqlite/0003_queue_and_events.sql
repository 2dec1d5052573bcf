-- Durable execution and the event log (SQLite mirror of migrations/postgres).

-- executeFlow sets it: each finished phase queues the next one in the same transaction.
ALTER TABLE unified_flow_states ADD COLUMN auto_advance INTEGER NOT NULL DEFAULT 0;
-- The last event sequence number given out for the flow (taken under the flow's row lock).
ALTER TABLE unified_flow_states ADD COLUMN event_sequence INTEGER NOT NULL DEFAULT 0;

CREATE INDEX flow_phase_runs_claim_idx ON flow_phase_runs (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE flow_events (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    sequence          INTEGER NOT NULL,
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('flow', 'phase', 'agent')),
    payload           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    PRIMARY KEY (flow_id, sequence)
);
CREATE INDEX flow_events_created_idx ON flow_events (created_at);
CREATE INDEX flow_events_tenant_idx ON flow_events (client_account_id, engagement_id);
