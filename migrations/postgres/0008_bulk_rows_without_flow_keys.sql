-- The five tables the discovery phases bulk-load no longer check each row's flow_id against
-- unified_flow_states. Flows are soft-deleted and never removed, and only a phase writes these
-- rows, for the flow it is running, inside its tenant's row-level security; the key guarded
-- against nothing else, and checking it was about 11% of the pipeline (100,000 rows on
-- PostgreSQL: 11.1-11.2 s -> 9.9-10.0 s end to end, BENCHMARKS.md). The keys from edges and
-- findings to assets stay: their ON DELETE CASCADE is what an inventory re-run's sweep relies on.
ALTER TABLE raw_import_records DROP CONSTRAINT raw_import_records_flow_id_fkey;
ALTER TABLE cleansed_records DROP CONSTRAINT cleansed_records_flow_id_fkey;
ALTER TABLE assets DROP CONSTRAINT assets_flow_id_fkey;
ALTER TABLE asset_dependencies DROP CONSTRAINT asset_dependencies_flow_id_fkey;
ALTER TABLE tech_debt_items DROP CONSTRAINT tech_debt_items_flow_id_fkey;
