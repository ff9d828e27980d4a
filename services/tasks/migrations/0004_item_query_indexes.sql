-- Indexes for the item list filters (see bench/bench_tasks.py and its EXPLAINs).
CREATE INDEX items_state_created ON items (state, created_at DESC, id DESC);
CREATE INDEX items_source_created ON items (source, created_at DESC, id DESC);
CREATE INDEX items_leader_created ON items (responsible_leader_id, created_at DESC, id DESC);
CREATE INDEX items_co_units ON items USING gin (co_unit_ids);
CREATE INDEX items_owners ON items USING gin (owner_ids);
CREATE INDEX items_year ON items ((extract(year FROM start_date)::int), created_at DESC);

-- Keyword search in Chinese titles/contents: a trigram index when pg_trgm can be
-- installed (it is a trusted extension); ILIKE still works without it.
DO $$
DECLARE ops_schema text;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm not available: keyword search runs without a trigram index';
    END;
    SELECT n.nspname INTO ops_schema FROM pg_opclass o
      JOIN pg_namespace n ON n.oid = o.opcnamespace WHERE o.opcname = 'gin_trgm_ops' LIMIT 1;
    IF ops_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX items_text_trgm ON items USING gin'
                       ' ((title || '' '' || content) %I.gin_trgm_ops)', ops_schema);
    END IF;
END
$$;
