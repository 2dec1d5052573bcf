-- Durable execution: flows that run on by themselves, claimable runs, and the stored event log.

-- executeFlow sets it: each finished phase queues the next one in the same transaction.
ALTER TABLE unified_flow_states ADD COLUMN auto_advance BOOLEAN NOT NULL DEFAULT FALSE;
-- The last event sequence number given out for the flow (taken under the flow's row lock).
ALTER TABLE unified_flow_states ADD COLUMN event_sequence BIGINT NOT NULL DEFAULT 0;

CREATE INDEX flow_phase_runs_claim_idx ON flow_phase_runs (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE flow_events (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    sequence          BIGINT NOT NULL,
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    kind              TEXT NOT NULL CHECK (kind IN ('flow', 'phase', 'agent')),
    payload           JSONB NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (flow_id, sequence)
);
CREATE INDEX flow_events_created_idx ON flow_events (created_at);
CREATE INDEX flow_events_tenant_idx ON flow_events (client_account_id, engagement_id);
