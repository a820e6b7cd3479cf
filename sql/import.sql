-- IMPORT FOREIGN SCHEMA: the remote schema is the source name; LIMIT TO and
-- EXCEPT; tables and columns carry the source's descriptions as comments.
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER imp_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080');
CREATE SCHEMA imp_a;
CREATE SCHEMA imp_b;

-- the remote schema must be the server's source
IMPORT FOREIGN SCHEMA gitlab FROM SERVER imp_gh INTO imp_a;
-- IMPORT takes no options but custom_resources (kubernetes, sql/k8s_crd.sql)
IMPORT FOREIGN SCHEMA github FROM SERVER imp_gh INTO imp_a OPTIONS (prefix 'x');

IMPORT FOREIGN SCHEMA github LIMIT TO (github_labels, github_branches, no_such_table)
    FROM SERVER imp_gh INTO imp_a;
SELECT c.relname, ft.ftoptions
  FROM pg_class c JOIN pg_foreign_table ft ON ft.ftrelid = c.oid
 WHERE c.relnamespace = 'imp_a'::regnamespace ORDER BY 1;
\d+ imp_a.github_labels
SELECT obj_description('imp_a.github_branches'::regclass, 'pg_class') LIKE '%Key columns: owner (required, =), repo (required, =)%' AS table_comment_has_keys;
SELECT a.attname, col_description(a.attrelid, a.attnum) IS NOT NULL AS has_comment,
       col_description(a.attrelid, a.attnum) LIKE 'Key column (required, operators =).%' AS key_comment
  FROM pg_attribute a
 WHERE a.attrelid = 'imp_a.github_branches'::regclass AND a.attnum > 0
 ORDER BY a.attnum;

-- EXCEPT: every other table of the source
IMPORT FOREIGN SCHEMA github EXCEPT (github_labels, github_branches)
    FROM SERVER imp_gh INTO imp_b;
SELECT (SELECT count(*) FROM pg_class WHERE relnamespace = 'imp_b'::regnamespace
          AND relkind = 'f')
     = (SELECT count(*) - 2 FROM cq_fdw.tables WHERE source = 'github') AS all_but_two,
       (SELECT count(*) FROM pg_class WHERE relnamespace = 'imp_b'::regnamespace
          AND relname IN ('github_labels', 'github_branches')) AS excluded_present;
-- every imported table has a comment, and the types follow the source
SELECT count(*) AS tables_without_comment
  FROM pg_class c
 WHERE c.relnamespace = 'imp_b'::regnamespace AND c.relkind = 'f'
   AND obj_description(c.oid, 'pg_class') IS NULL;

-- importing again into the same schema fails on the existing table
IMPORT FOREIGN SCHEMA github LIMIT TO (github_labels) FROM SERVER imp_gh INTO imp_a;

-- the rest source has nothing to import
CREATE SERVER imp_rest FOREIGN DATA WRAPPER cq_fdw OPTIONS (source 'rest');
IMPORT FOREIGN SCHEMA rest FROM SERVER imp_rest INTO imp_a;

-- comments are only applied by IMPORT: a later CREATE gets none
CREATE FOREIGN TABLE imp_a.github_releases (id bigint) SERVER imp_gh
    OPTIONS ("table" 'github_releases');
SELECT obj_description('imp_a.github_releases'::regclass, 'pg_class') IS NULL AS no_comment;

DROP SCHEMA imp_a CASCADE;
DROP SCHEMA imp_b CASCADE;
DROP SERVER imp_gh;
DROP SERVER imp_rest;
