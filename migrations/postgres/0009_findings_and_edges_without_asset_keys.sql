-- Edges and findings no longer check each row's asset ids against assets. Inserting a row
-- checked its keys with a SELECT ... FOR KEY SHARE of each asset row, which also wrote a row lock
-- into the asset's tuple (and the WAL) just before the 6R update rewrote it. Only
-- dependency_analysis and tech_debt_analysis write these rows, for the assets of the flow they
-- run, one phase at a time per flow; the one place assets are removed (inventory's sweep of
-- what a re-run no longer has) deletes their edges and findings itself, in the same transaction,
-- instead of relying on ON DELETE CASCADE. Measured in BENCHMARKS.md (fourth pass): at a million
-- rows dependency_analysis took 22-25 s with the keys and 12-17 s without.
ALTER TABLE asset_dependencies DROP CONSTRAINT asset_dependencies_source_asset_id_fkey;
ALTER TABLE asset_dependencies DROP CONSTRAINT asset_dependencies_target_asset_id_fkey;
ALTER TABLE tech_debt_items DROP CONSTRAINT tech_debt_items_asset_id_fkey;
