-- Column comments (IMPORT FOREIGN SCHEMA writes each column's description
-- as its comment) say what the value is: at most 2% of the columns of all
-- spec sources may have a generic comment -- none, empty, the generator's
-- fallback "The x field of the y API object (/x).", one that only repeats
-- the column name ("Title.") or adds only a JSON type ("Slug: a string.").
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT name FROM cq_fdw.sources WHERE kind = 'spec' ORDER BY name LOOP
        EXECUTE format('CREATE SERVER %I FOREIGN DATA WRAPPER cq_fdw OPTIONS (source %L, base_url %L)',
                       'cc_' || s.name, s.name, 'http://127.0.0.1:9');
        EXECUTE format('CREATE SCHEMA %I', 'cc_' || s.name);
        -- the source's own tables (no cluster to read custom resources from)
        EXECUTE format('IMPORT FOREIGN SCHEMA %I FROM SERVER %I INTO %I%s', s.name, 'cc_' || s.name, 'cc_' || s.name,
                       CASE WHEN s.name = 'kubernetes' THEN ' OPTIONS (custom_resources ''false'')' ELSE '' END);
    END LOOP;
END $$;

CREATE TEMP VIEW cc AS
SELECT n.nspname, c.relname, a.attname, col_description(c.oid, a.attnum) AS comment,
       (col_description(c.oid, a.attnum) IS NULL
        OR btrim(col_description(c.oid, a.attnum)) = ''
        OR col_description(c.oid, a.attnum) ~ 'The .* field of the .* API object'
        OR regexp_replace(lower(col_description(c.oid, a.attnum)), '[^a-z]', '', 'g')
           IN (replace(a.attname, '_', ''), 'the' || replace(a.attname, '_', ''))
        OR col_description(c.oid, a.attnum) ~ '^[^:.]*: (a string|an integer|a number|true or false)\.$') AS generic
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
 WHERE c.relkind = 'f' AND n.nspname LIKE 'cc\_%';

-- every installed spec table was imported, with its columns
SELECT (SELECT count(*) FROM cq_fdw.tables t JOIN cq_fdw.sources s ON s.name = t.source
         WHERE s.kind = 'spec') = count(DISTINCT (nspname, relname)) AS all_tables,
       count(*) > 3000 AS many_columns
  FROM cc;

-- the share of generic comments
SELECT 100.0 * count(*) FILTER (WHERE generic) / count(*) <= 2 AS generic_at_most_2_percent
  FROM cc;

-- the generic comments, listed when there are too many (no rows = pass)
SELECT nspname, relname, attname, comment FROM cc
 WHERE generic AND (SELECT 100.0 * count(*) FILTER (WHERE generic) / count(*) > 2 FROM cc)
 ORDER BY 1, 2, 3 LIMIT 100;

-- what a comment says: the vendor's text where its own schema has none
-- (borrowed from the same property of another schema), the values an enum
-- allows, the unit a name implies, what an undescribed object holds
SELECT relname, attname, comment FROM cc
 WHERE (relname, attname) IN (('github_repositories', 'allow_forking'),
                              ('digitalocean_databases', 'engine'),
                              ('digitalocean_load_balancers', 'http_idle_timeout_seconds'),
                              ('github_repositories', 'license'))
 ORDER BY 1, 2;

DO $$
DECLARE s record;
BEGIN
    FOR s IN SELECT name FROM cq_fdw.sources WHERE kind = 'spec' LOOP
        EXECUTE format('DROP SCHEMA %I CASCADE', 'cc_' || s.name);
        EXECUTE format('DROP SERVER %I CASCADE', 'cc_' || s.name);
    END LOOP;
END $$;
