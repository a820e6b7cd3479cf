-- Every SDK type into its natural PostgreSQL type (direct conversion),
-- arrays, other declared types (input-function path), invalid values read
-- as NULL with one WARNING per column, and strict mode.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';
SET extra_float_digits = 0;

CREATE SERVER types_srv FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'rest', base_url 'http://127.0.0.1:18080');
CREATE USER MAPPING FOR CURRENT_USER SERVER types_srv
    OPTIONS (token 'canary-XYZ-secret');

CREATE FOREIGN TABLE types_rich (
    id bigint,
    uuid uuid,
    name text,
    created_at timestamptz,
    updated_ms timestamptz,
    price numeric,
    score double precision,
    ipv4 inet,
    ipv6 inet,
    cidr cidr,
    mac macaddr,
    tags text[],
    nic_mac macaddr OPTIONS (path '/nic/mac'),
    network_ips inet[] OPTIONS (path '/networks/*/ip'),
    network_prefixes cidr[] OPTIONS (path '/networks/*/prefix'),
    meta jsonb,
    labels json OPTIONS (path '/meta/labels'),
    nullable text,
    active boolean,
    big_id numeric,
    duration interval,
    blob bytea,
    level2 bigint OPTIONS (path '/meta/nested/level2/value'),
    missing text OPTIONS (path '/no/such/field')
) SERVER types_srv
  OPTIONS (endpoint '/gen/link/types_rich?n=20&per_page=10', pagination 'link_header');

\x on
SELECT * FROM types_rich WHERE id IN (1, 2, 18);
\x off
SELECT count(*), count(uuid), count(created_at), count(nullable), count(missing),
       sum(level2), bool_or(active), bool_and(active),
       sum(array_length(network_ips, 1)), sum(coalesce(array_length(tags, 1), 0))
  FROM types_rich;
SELECT pg_typeof(meta), pg_typeof(labels), pg_typeof(big_id), pg_typeof(network_ips)
  FROM types_rich LIMIT 1;
SELECT meta->'labels'->>'env' AS env, meta #> '{nested,level2,value}' AS v, length(blob) AS blob_bytes
  FROM types_rich WHERE id <= 3;

-- other declared types: smallint/integer are built directly with a range
-- check; types without an SDK counterpart (char(n), varchar(n), oid,
-- tsvector) take the value's text through their input function
CREATE FOREIGN TABLE types_other (
    id integer,
    level2 smallint OPTIONS (path '/meta/nested/level2/value'),
    score numeric,
    price double precision,
    created_at date,
    mac text,
    tags varchar(40),
    meta text OPTIONS (path '/meta/nested'),
    active text,
    duration text,
    name24 char(24) OPTIONS (path '/name'),
    id_oid oid OPTIONS (path '/id'),
    words tsvector OPTIONS (path '/nic/name')
) SERVER types_srv
  OPTIONS (endpoint '/gen/link/types_other?n=6&per_page=10', pagination 'link_header');
SELECT * FROM types_other;
-- an input function rejecting a value: NULL and one WARNING per column (with
-- strict, an ERROR naming the column and path: see types_input below)
CREATE FOREIGN TABLE types_badcast (id bigint, price numeric(4,1)) SERVER types_srv
  OPTIONS (endpoint '/gen/link/types_badcast?n=3', pagination 'link_header');
SELECT * FROM types_badcast;
CREATE FOREIGN TABLE types_badcast2 (id bigint, name point OPTIONS (path '/name')) SERVER types_srv
  OPTIONS (endpoint '/gen/link/types_badcast2?n=3', pagination 'link_header');
SELECT * FROM types_badcast2;

-- invalid values: NULL, and one WARNING per column with the count and the
-- first example (values the SDK rejects, and values out of the declared
-- type's range)
CREATE FOREIGN TABLE types_invalid (
    id bigint,
    ip_from_name inet OPTIONS (path '/name'),
    uuid_from_mac uuid OPTIONS (path '/mac'),
    int_from_price bigint OPTIONS (path '/price'),
    ts_from_description timestamptz OPTIONS (path '/description'),
    nullable_as_cidr cidr OPTIONS (path '/nullable'),
    ms_as_int integer OPTIONS (path '/updated_ms'),
    level2 smallint OPTIONS (path '/meta/nested/level2/value'),
    ips_from_tags inet[] OPTIONS (path '/tags')
) SERVER types_srv
  OPTIONS (endpoint '/gen/link/types_invalid?n=30&per_page=10', pagination 'link_header');
SELECT count(*), count(ip_from_name), count(uuid_from_mac), count(int_from_price),
       count(ts_from_description), count(nullable_as_cidr), count(ms_as_int),
       count(level2), count(ips_from_tags)
  FROM types_invalid;
-- only the columns read are validated and reported
SELECT count(ip_from_name) FROM types_invalid;
SELECT id, level2 FROM types_invalid WHERE id <= 2;

-- strict: the first invalid value is an ERROR
ALTER FOREIGN TABLE types_invalid OPTIONS (ADD strict 'true');
SELECT count(ip_from_name) FROM types_invalid;
SELECT count(ms_as_int) FROM types_invalid;
SET cq_fdw.strict = on;
ALTER FOREIGN TABLE types_invalid OPTIONS (DROP strict);
SELECT count(uuid_from_mac) FROM types_invalid;
RESET cq_fdw.strict;
SELECT count(level2) FROM types_invalid;

-- numbers: a numeric column keeps every digit of the API's number (digits
-- beyond a double's, 1e-400, trailing zeros); a number beyond a double's
-- range is an invalid value only for a float or int column reading it;
-- bytea in base64 or PostgreSQL's \x hex form; a wildcard path keeps a
-- missing member as a NULL element; an empty array is {}
CREATE FOREIGN TABLE types_numbers (
    id integer,
    dec numeric,
    tiny numeric,
    huge double precision,
    f double precision,
    i bigint,
    nested_dec numeric OPTIONS (path '/nested/dec'),
    nested_huge double precision OPTIONS (path '/nested/huge'),
    price numeric(8,4) OPTIONS (path '/nested/price'),
    blob bytea,
    ips inet[] OPTIONS (path '/networks/*/ip'),
    ips_json jsonb OPTIONS (path '/networks/*/ip'),
    tags text[],
    tags_v varchar(8)[] OPTIONS (path '/tags')
) SERVER types_srv OPTIONS (endpoint '/hostile/numbers', rows '/items', pagination 'none');
-- (1e400 and 1e-400 are compared, not printed: 400 digits each)
\x on
SELECT id, CASE WHEN dec = 1e400 THEN '= 1e400' ELSE dec::text END AS dec,
       CASE WHEN tiny = 1e-400 THEN '= 1e-400' ELSE tiny::text END AS tiny,
       huge, f, i, nested_dec, nested_huge, price, blob, ips, ips_json, tags, tags_v
  FROM types_numbers ORDER BY id;
\x off
-- the same page through the SDK's full parser (an integer beyond int64
-- outside the rows sends it there): the same values and warnings
ALTER FOREIGN TABLE types_numbers OPTIONS (SET endpoint '/hostile/numbers?slow=1');
SELECT id, CASE WHEN dec = 1e400 THEN '= 1e400' ELSE dec::text END AS dec,
       CASE WHEN tiny = 1e-400 THEN '= 1e-400' ELSE tiny::text END AS tiny,
       huge, f, i, nested_dec, nested_huge, price, blob, ips, ips_json, tags, tags_v
  FROM types_numbers ORDER BY id;
-- a column that is not read never fails the page
SELECT id FROM types_numbers ORDER BY id;
ALTER FOREIGN TABLE types_numbers OPTIONS (SET endpoint '/hostile/numbers');
SELECT id FROM types_numbers ORDER BY id;

-- values converted by another type's input function (an enum, a domain with
-- a CHECK, real): an invalid one is NULL with the same counted WARNING,
-- not an ERROR; strict makes it an ERROR
CREATE TYPE types_mood AS ENUM ('happy', 'sad');
CREATE DOMAIN types_pct AS integer CHECK (VALUE BETWEEN 0 AND 100);
CREATE FOREIGN TABLE types_input (
    id integer,
    mood types_mood,
    pct types_pct,
    r real,
    price numeric(4,2) OPTIONS (path '/dec')
) SERVER types_srv OPTIONS (endpoint '/hostile/numbers', rows '/items', pagination 'none');
SELECT * FROM types_input ORDER BY id;
SELECT id, mood FROM types_input ORDER BY id;
ALTER FOREIGN TABLE types_input OPTIONS (ADD strict 'true');
SELECT id, mood FROM types_input ORDER BY id;
SELECT id, pct FROM types_input ORDER BY id;
SELECT id, r FROM types_input ORDER BY id;
ALTER FOREIGN TABLE types_input OPTIONS (DROP strict);

-- text and bytea values reach the backend as varlena images the workers
-- prepared (issue 16), used without a copy: each must be byte for byte what
-- PostgreSQL builds from the same JSON (jsonb ->> and decode), in the scan
-- and once stored in a table.
CREATE FOREIGN TABLE types_images (
    id bigint, name text, nullable text, description text, blob bytea,
    tags text[], doc jsonb OPTIONS (path '')
) SERVER types_srv
  OPTIONS (endpoint '/gen/link/types_rich?n=20&per_page=10', pagination 'link_header');
SELECT count(*) AS rows,
       count(*) FILTER (WHERE textsend(name) = textsend(doc->>'name')
                          AND octet_length(name) = octet_length(doc->>'name')) AS name_same,
       count(*) FILTER (WHERE textsend(description) = textsend(doc->>'description')) AS description_same,
       count(*) FILTER (WHERE nullable IS NOT DISTINCT FROM doc->>'nullable') AS nullable_same,
       count(*) FILTER (WHERE byteasend(blob) = byteasend(decode(doc->>'blob', 'base64'))
                          AND octet_length(blob) = octet_length(decode(doc->>'blob', 'base64'))) AS blob_same,
       count(*) FILTER (WHERE tags = ARRAY(SELECT jsonb_array_elements_text(doc->'tags'))) AS tags_same,
       sum(octet_length(name)) > sum(length(name)) AS has_multibyte
  FROM types_images;
CREATE TEMP TABLE types_images_copy AS SELECT * FROM types_images;
SELECT count(*) AS stored_same
  FROM types_images_copy c JOIN types_images f USING (id)
 WHERE c.name = f.doc->>'name' AND c.description = f.doc->>'description'
   AND c.blob = decode(f.doc->>'blob', 'base64') AND c.name || '' = f.name;
DROP FOREIGN TABLE types_images;

-- numeric values without a typmod reach the backend as PostgreSQL numeric
-- images the workers built (issue 16, types_numimg.c): each must be byte
-- for byte numeric_in's result for the same text -- the same numeric_send
-- (sign, weight, scale, digits) and text in the scan, and once stored also
-- the same size (the short or long header form; test/sdk types_num
-- compares the whole images with PostgreSQL's).  Edge cases: NaN, zero
-- with a scale, negative zero, leading and trailing zeros, exponents to
-- +-1000, 1000-digit numbers, the short form's weight and scale limits;
-- as JSON numbers and as strings.  1e1001 is beyond numeric_in's exponent
-- bound: NULL with a counted warning.
CREATE FOREIGN TABLE types_numimg (id integer, n numeric, s text, arr numeric[])
  SERVER types_srv OPTIONS (endpoint '/hostile/numerics', rows '/items', pagination 'none');
SELECT count(*) AS rows, count(n) AS numbers,
       count(*) FILTER (WHERE s IS NOT NULL
                          AND numeric_send(n) = numeric_send(s::numeric)
                          AND n::text = s::numeric::text) AS same,
       count(*) FILTER (WHERE length(n::text) >= 1000) AS long_ones
  FROM types_numimg;
SELECT id, s, n::text, numeric_send(s::numeric) AS want, numeric_send(n) AS got
  FROM types_numimg
 WHERE s IS NOT NULL
   AND (n IS NULL OR numeric_send(n) <> numeric_send(s::numeric)
        OR n::text <> s::numeric::text);
SELECT id, arr, array_to_string(ARRAY(SELECT numeric_send(x) FROM unnest(arr) x), ',')
       = array_to_string(ARRAY(SELECT numeric_send(x::text::numeric) FROM unnest(arr) x), ',') AS same
  FROM types_numimg WHERE arr IS NOT NULL;
CREATE TEMP TABLE types_numimg_copy AS
  SELECT id, n, s::numeric AS want FROM types_numimg WHERE s IS NOT NULL;
SELECT count(*) AS stored,
       count(*) FILTER (WHERE numeric_send(n) = numeric_send(want)
                          AND pg_column_size(n) = pg_column_size(want)) AS stored_same
  FROM types_numimg_copy;
DROP FOREIGN TABLE types_numimg;
