-- Is a per-row foreign-key check worth deferring or dropping in a phase's bulk write?
-- 100,000 rows shaped like raw_import_records (a JSONB CMDB row each) inserted in one statement
-- into three tables: with the foreign key to the flow, with it DEFERRABLE INITIALLY DEFERRED,
-- and without it. Run on a scratch database:
--   psql -c 'CREATE DATABASE fg_fk_probe'; psql -d fg_fk_probe -f benches/fk_probe.sql; psql -c 'DROP DATABASE fg_fk_probe'
\timing on
CREATE TABLE parent (id uuid PRIMARY KEY);
INSERT INTO parent VALUES ('00000000-0000-0000-0000-000000000001');
CREATE TABLE with_fk (flow_id uuid NOT NULL REFERENCES parent (id), row_number bigint NOT NULL,
    data jsonb NOT NULL, PRIMARY KEY (flow_id, row_number));
CREATE TABLE deferred_fk (flow_id uuid NOT NULL REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED,
    row_number bigint NOT NULL, data jsonb NOT NULL, PRIMARY KEY (flow_id, row_number));
CREATE TABLE no_fk (flow_id uuid NOT NULL, row_number bigint NOT NULL, data jsonb NOT NULL,
    PRIMARY KEY (flow_id, row_number));
CREATE TEMP TABLE src AS SELECT g AS n, jsonb_build_object('Server Name', 'srv' || g, 'Asset Type', 'Server',
    'IP Address', '10.0.0.' || (g % 250), 'FQDN', 'srv' || g || '.corp.example.com',
    'Operating System', 'Red Hat Enterprise Linux 8.8', 'Environment', 'Prod', 'Application', 'App' || (g / 6),
    'CPU Cores', '4', 'Memory (GB)', '16 GB', 'Storage (GB)', '200', 'Owner', 'ops-1', 'Depends On', NULL,
    'OS Version', NULL) AS data FROM generate_series(1, 100000) g;
\echo with_fk (checked per row as each is inserted)
BEGIN; INSERT INTO with_fk SELECT '00000000-0000-0000-0000-000000000001', n, data FROM src; COMMIT;
\echo deferred_fk (checked per row at COMMIT)
BEGIN; INSERT INTO deferred_fk SELECT '00000000-0000-0000-0000-000000000001', n, data FROM src; COMMIT;
\echo no_fk
BEGIN; INSERT INTO no_fk SELECT '00000000-0000-0000-0000-000000000001', n, data FROM src; COMMIT;
\echo again, in the other order
TRUNCATE with_fk, deferred_fk, no_fk;
BEGIN; INSERT INTO no_fk SELECT '00000000-0000-0000-0000-000000000001', n, data FROM src; COMMIT;
BEGIN; INSERT INTO deferred_fk SELECT '00000000-0000-0000-0000-000000000001', n, data FROM src; COMMIT;
BEGIN; INSERT INTO with_fk SELECT '00000000-0000-0000-0000-000000000001', n, data FROM src; COMMIT;
