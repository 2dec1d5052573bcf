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

-- A phase that bulk-loads a table leaves its statistics stale until autovacuum comes by, and
-- the next phase's keyset pages then get a plan for an empty table (a bitmap over the tenant
-- index and a sort of every remaining row, per page: quadratic in the flow's size). The server's
-- role does not own the tables and may not ANALYZE them, so it asks through this function,
-- which analyzes only the tables the phases bulk-load.
CREATE FUNCTION flowgraph_analyze(bulk_table TEXT) RETURNS VOID
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $$
BEGIN
    IF bulk_table NOT IN ('raw_import_records', 'cleansed_records', 'assets', 'asset_dependencies',
                          'tech_debt_items') THEN
        RAISE EXCEPTION 'flowgraph_analyze: % is not a bulk-loaded table', bulk_table;
    END IF;
    EXECUTE format('ANALYZE %I', bulk_table);
END $$;
