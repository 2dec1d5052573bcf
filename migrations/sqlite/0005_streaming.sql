-- A flow's uploaded file, kept as it came in chunks of about 1 MiB (see migrations/postgres/0006).
CREATE TABLE raw_upload_chunks (
    flow_id           BLOB NOT NULL REFERENCES unified_flow_states (id),
    client_account_id BLOB NOT NULL,
    engagement_id     BLOB NOT NULL,
    seq               INTEGER NOT NULL,
    bytes             BLOB NOT NULL,
    PRIMARY KEY (flow_id, seq)
);

-- Streaming phases read their input a page at a time in order: keyset pages need these.
CREATE INDEX cleansed_records_position_idx ON cleansed_records (flow_id, position);
