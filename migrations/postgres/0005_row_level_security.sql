-- Row-level security: a second wall behind every query's own tenant filter. Each unit of work
-- the store runs is a transaction that first sets `flowgraph.client_account_id` (one tenant) or
-- `flowgraph.system` (workers, the event pump and the legacy importer, which serve every
-- tenant); a statement that forgot its tenant filter still sees and writes only that tenant's
-- rows. With neither set, nothing is visible.
--
-- Superusers and BYPASSRLS roles skip policies, so the server's pooled connections switch to
-- `flowgraph_app` (see store/postgres.rs). Where the migrating user may not create roles (a
-- managed database), the role is skipped and the tables' owner is held by FORCE ROW LEVEL
-- SECURITY instead. Roles are shared by every database of the cluster: creating it may race
-- another database's migration, which is harmless.
DO $$
BEGIN
    CREATE ROLE flowgraph_app NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
    WHEN insufficient_privilege THEN RAISE NOTICE 'cannot create role flowgraph_app; the owner is held by FORCE ROW LEVEL SECURITY';
END $$;

DO $$
DECLARE
    tenant_table TEXT;
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'flowgraph_app') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO flowgraph_app', current_schema());
        EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %I TO flowgraph_app',
                       current_schema());
        -- Tables later migrations create get the same grants.
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA %I GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES '
                       'TO flowgraph_app', current_schema());
    END IF;
    FOREACH tenant_table IN ARRAY ARRAY[
        'unified_flow_states', 'flow_phase_runs', 'raw_import_records', 'audit_events', 'field_mappings',
        'cleansed_records', 'assets', 'asset_dependencies', 'tech_debt_items', 'agent_tasks', 'flow_events',
        'flow_results'
    ] LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', tenant_table);
        EXECUTE format(
            'CREATE POLICY tenant_isolation ON %I '
            'USING (client_account_id = NULLIF(current_setting(''flowgraph.client_account_id'', true), '''')::uuid '
            '       OR current_setting(''flowgraph.system'', true) = ''on'') '
            'WITH CHECK (client_account_id = NULLIF(current_setting(''flowgraph.client_account_id'', true), '''')::uuid '
            '       OR current_setting(''flowgraph.system'', true) = ''on'')',
            tenant_table);
    END LOOP;
END $$;
