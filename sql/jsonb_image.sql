-- jsonb columns built on the workers as PostgreSQL's own jsonb image
-- (src/sdk/types_jsonbimg.c): for every document of /hostile/jsonb-docs the
-- value read is the jsonb PostgreSQL builds from its text, byte for byte
-- (equal, same size), every key is found by the operators that binary-search
-- the image (?, ->, @>), and it stores and reads back the same.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET extra_float_digits = 0;

CREATE SERVER jbi_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER jbi_srv;

CREATE FOREIGN TABLE jbi (
    id bigint,
    doc jsonb,
    docj json OPTIONS (path '/doc'),
    inner_a jsonb OPTIONS (path '/doc/a'),
    each_doc jsonb[] OPTIONS (path '/doc')
) SERVER jbi_srv
  OPTIONS (endpoint '/hostile/jsonb-docs', rows '/items', pagination 'none');

-- the deepest document (1100 levels) needs a higher limit; the others are read
SET cq_fdw.max_json_depth = 2000;

-- every row: equal to its text re-read, same size, same text as json
SELECT id, jsonb_typeof(doc) AS type,
       doc = doc::text::jsonb AS equal,
       pg_column_size(doc) = pg_column_size(doc::text::jsonb) AS same_size,
       (docj IS NULL) = (doc IS NULL) AS json_col_read,
       inner_a IS NOT DISTINCT FROM (doc::text::jsonb -> 'a') AS inner_agrees,
       (each_doc IS NULL) = (doc IS NULL) AS array_col_read
  FROM jbi ORDER BY id;

-- a few values as text (numbers as float8_numeric gives them, NULs stripped)
SELECT id, left(doc::text, 200) AS doc FROM jbi WHERE id IN (1, 6, 9, 10, 11, 12, 14, 15, 16, 17, 22) ORDER BY id;

-- every top-level key: found by ? and ->, and by @> with its value
SELECT count(*) AS keys,
       count(*) FILTER (WHERE j.doc ? k) AS found_exists,
       count(*) FILTER (WHERE j.doc -> k = (j.doc::text::jsonb) -> k) AS found_arrow,
       count(*) FILTER (WHERE j.doc @> jsonb_build_object(k, j.doc -> k)) AS found_contains
  FROM jbi j, jsonb_object_keys(j.doc) AS k
 WHERE jsonb_typeof(j.doc) = 'object';

-- every nested key and element: containment both ways walks every level
-- (objects by binary search), and the path walk finds as many items
SELECT id FROM jbi
 WHERE doc IS NOT NULL
   AND NOT (doc @> doc::text::jsonb AND doc::text::jsonb @> doc
            AND (SELECT count(*) FROM jsonb_path_query(doc, 'strict $.**')) =
                (SELECT count(*) FROM jsonb_path_query(doc::text::jsonb, 'strict $.**')))
 ORDER BY id;
-- strings as array elements and keys with ?
SELECT doc ? 's1' AS elem, doc ? 'x' AS no_elem FROM jbi WHERE id = 5;
SELECT doc ? 'ccc' AND doc ? 'aab' AND doc ? 'a' AND NOT doc ? 'c' AS keys_found,
       doc -> 'ab' AS ab, doc ->> 'aab' AS aab
  FROM jbi WHERE id = 6;
SELECT doc -> '919' AS k919, doc -> '0' AS k0, doc ? '841' AS k841 FROM jbi WHERE id = 3;

-- stored and read back: the same bytes as the jsonb of its text
CREATE TEMP TABLE jbi_stored AS SELECT id, doc FROM jbi;
CREATE TEMP TABLE jbi_text AS SELECT id, doc::text::jsonb AS doc FROM jbi;
SELECT count(*) AS rows,
       count(*) FILTER (WHERE s.doc = t.doc) AS equal,
       count(*) FILTER (WHERE pg_column_size(s.doc) = pg_column_size(t.doc)) AS same_stored_size,
       count(*) FILTER (WHERE s.doc IS NULL AND t.doc IS NULL) AS nulls
  FROM jbi_stored s JOIN jbi_text t USING (id);

-- an index over the stored values finds each document
CREATE INDEX ON jbi_stored USING gin (doc);
SET enable_seqscan = off;
SELECT count(*) AS found_by_gin FROM jbi_text t
 WHERE jsonb_typeof(t.doc) = 'object'
   AND EXISTS (SELECT 1 FROM jbi_stored s WHERE s.doc @> t.doc AND s.id = t.id);
RESET enable_seqscan;

RESET cq_fdw.max_json_depth;
DROP SERVER jbi_srv CASCADE;
