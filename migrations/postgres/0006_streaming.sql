-- A flow's uploaded file, kept as it came in chunks of about 1 MiB, so neither the upload nor
-- the import ever holds the whole file in memory. The import reads the chunks in order.
CREATE TABLE raw_upload_chunks (
    flow_id           UUID NOT NULL REFERENCES unified_flow_states (id),
    client_account_id UUID NOT NULL,
    engagement_id     UUID NOT NULL,
    seq               INTEGER NOT NULL,
    bytes             BYTEA NOT NULL,
    PRIMARY KEY (flow_id, seq)
);

ALTER TABLE raw_upload_chunks ENABLE ROW LEVEL SECURITY;
ALTER TABLE raw_upload_chunks FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON raw_upload_chunks
    USING (client_account_id = NULLIF(current_setting('flowgraph.client_account_id', true), '')::uuid
           OR current_setting('flowgraph.system', true) = 'on')
    WITH CHECK (client_account_id = NULLIF(current_setting('flowgraph.client_account_id', true), '')::uuid
           OR current_setting('flowgraph.system', true) = 'on');

-- Streaming phases read their input a page at a time in order: keyset pages need these.
CREATE INDEX cleansed_records_position_idx ON cleansed_records (flow_id, position);
