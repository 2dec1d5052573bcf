-- The tenant policies read their settings once per statement instead of once per row: wrapped
-- in a scalar subquery, `current_setting` becomes an init plan. Per row, the two calls and the
-- uuid cast cost about 3 µs, which was most of counting a 1,000-asset page (1.9 ms, 1.1 ms
-- after). What the policies allow is unchanged.
DO $$
DECLARE
    tenant_table TEXT;
BEGIN
    FOREACH tenant_table IN ARRAY ARRAY[
        'unified_flow_states', 'flow_phase_runs', 'raw_import_records', 'audit_events', 'field_mappings',
        'cleansed_records', 'assets', 'asset_dependencies', 'tech_debt_items', 'agent_tasks', 'flow_events',
        'flow_results', 'raw_upload_chunks'
    ] LOOP
        EXECUTE format(
            'ALTER POLICY tenant_isolation ON %I '
            'USING (client_account_id = (SELECT NULLIF(current_setting(''flowgraph.client_account_id'', true), '''')::uuid) '
            '       OR (SELECT current_setting(''flowgraph.system'', true)) = ''on'') '
            'WITH CHECK (client_account_id = (SELECT NULLIF(current_setting(''flowgraph.client_account_id'', true), '''')::uuid) '
            '       OR (SELECT current_setting(''flowgraph.system'', true)) = ''on'')',
            tenant_table);
    END LOOP;
END $$;
