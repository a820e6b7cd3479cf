-- Incremental syncs with the cursor a source's spec declares
-- (cq_fdw.tables.cursor_column): GitHub issues (updated_at >= since) and GCP
-- operations (filter=creationTimestamp >= "...") against the mock's /incr
-- APIs, which honour since and filter.  What reached the API is read from
-- the mock's request log.  The mock's items: numbers 1..n updated one
-- minute apart from 2023-01-01T00:00Z; `seed` moves every 5th a day later;
-- `tie=K` adds number 999 updated at item K's time (it arrived after the
-- last sync, in the same second as the cursor).
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS cq_fdw;
SET client_min_messages = notice;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
\set VERBOSITY terse
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
DELETE FROM cq_fdw.sync_log;
DELETE FROM cq_fdw.sync_state;

-- which tables can sync incrementally, and by what
SELECT source, name, cursor_column, cursor_op FROM cq_fdw.tables
 WHERE cursor_column IS NOT NULL ORDER BY source, name;
-- no Kubernetes list has a cursor (resourceVersion is no filter; sources/SPEC.md)
SELECT count(*) AS kubernetes_cursors FROM cq_fdw.tables
 WHERE source = 'kubernetes' AND cursor_column IS NOT NULL;

CREATE SERVER incr_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/incr/n=29,per=10');
CREATE USER MAPPING FOR CURRENT_USER SERVER incr_gh OPTIONS (token 'test-token');
CREATE SCHEMA incr;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_issues, github_labels)
    FROM SERVER incr_gh INTO incr;
-- a view gives the repository; it keeps the table's cursor
CREATE VIEW gh_issues AS
    SELECT id, number, title, comments, updated_at FROM incr.github_issues
     WHERE owner = 'octo' AND repo = 'hello';
SELECT * FROM cq_fdw.sync_source_cursor('incr.github_issues');
SELECT * FROM cq_fdw.sync_source_cursor('gh_issues');
-- not when the view renames the column, nor for a table without cursor
CREATE VIEW gh_renamed AS SELECT id, updated_at AS changed FROM incr.github_issues;
SELECT * FROM cq_fdw.sync_source_cursor('gh_renamed');
SELECT * FROM cq_fdw.sync_source_cursor('incr.github_labels');

CREATE TABLE issues (id bigint PRIMARY KEY, number int, title text, comments int,
                     updated_at timestamptz);
-- the first sync reads every row (3 pages) and stores max(updated_at);
-- no cursor_column argument: the spec's
CALL cq_fdw.sync('issues', 'gh_issues', 'incremental');
SELECT count(*), max(number) FROM issues;
SELECT mode, cursor_column, cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'issues'::regclass;
-- 11 new issues (30..40), 5 changed (5, 10, .. 25: a day later) and the
-- late issue 999 updated in the cursor's second.  The API gets
-- since=<cursor> (GitHub's since is >=): issue 29, at the cursor, is read
-- again and left alone; 999 is not missed.
ALTER SERVER incr_gh OPTIONS (SET base_url 'http://127.0.0.1:18080/incr/n=40,seed=1,tie=29,per=10');
CREATE TEMP TABLE issues_xmin AS SELECT id, xmin::text AS x FROM issues WHERE number = 29;
CALL cq_fdw.sync('issues', 'gh_issues', 'incremental');
SELECT count(*), max(number), count(*) FILTER (WHERE title LIKE '%-v1') AS changed,
       count(*) FILTER (WHERE number = 999) AS late
  FROM issues;
SELECT count(*) AS issue_29_rewritten FROM issues i JOIN issues_xmin x USING (id)
 WHERE i.xmin::text <> x.x;
SELECT cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'issues'::regclass;
-- nothing new: only the rows at the cursor are read, nothing is written
CALL cq_fdw.sync('issues', 'gh_issues', 'incremental');
-- what the API was asked: the first sync without since, then since=cursor
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/incr/' | python3 -c 'import json, sys, urllib.parse as u; [print(q.get("since", ["(no since)"])[0], "page", q.get("page", ["1"])[0]) for q in (u.parse_qs(u.urlsplit(r["path"]).query) for r in json.load(sys.stdin)["requests"])]'
SELECT mode, status, rows, requests, bytes > 0 AS bytes, rows_inserted, rows_updated,
       rows_deleted, error
  FROM cq_fdw.sync_log ORDER BY id;

-- a failure half way: seed 2 changes 8 issues again (2 pages of 5); page
-- 1 answers, then HTTP 500.  The target and the stored cursor stay,
-- since=cursor was sent, the failure is logged
SET cq_fdw.max_retries = 1;
SET cq_fdw.retry_base = 10;
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
ALTER SERVER incr_gh OPTIONS (SET base_url 'http://127.0.0.1:18080/incr/n=40,seed=2,per=5');
CREATE TEMP TABLE issues_before AS SELECT * FROM issues;
CREATE TEMP TABLE state_before AS SELECT * FROM cq_fdw.sync_state;
\! curl -s 'http://127.0.0.1:18080/_mock/fault?route=/incr/&mode=500&count=-1&after=1' > /dev/null
CALL cq_fdw.sync('issues', 'gh_issues', 'incremental');
SELECT (SELECT count(*) FROM (TABLE issues EXCEPT TABLE issues_before) d) AS changed,
       (SELECT count(*) FROM (TABLE issues_before EXCEPT TABLE issues) d) AS lost;
SELECT s.cursor_column, s.cursor_value = b.cursor_value AS cursor_kept,
       s.last_error IS NOT NULL AS has_error
  FROM cq_fdw.sync_state s JOIN state_before b USING (target, source);
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/incr/' | python3 -c 'import json, sys, urllib.parse as u; [print(q.get("since", ["(no since)"])[0], "page", q.get("page", ["1"])[0], r["status"]) for r in json.load(sys.stdin)["requests"] for q in [u.parse_qs(u.urlsplit(r["path"]).query)]]'
SELECT mode, status, requests, rows_inserted, rows_updated, rows_deleted
  FROM cq_fdw.sync_log ORDER BY id DESC LIMIT 1;
-- the API is back: the same sync goes through from the kept cursor
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
CALL cq_fdw.sync('issues', 'gh_issues', 'incremental');
SELECT count(*), count(*) FILTER (WHERE title LIKE '%-v2') AS v2 FROM issues;
RESET cq_fdw.max_retries;
RESET cq_fdw.retry_base;

-- a delete-stale sync of the pair reads everything (issue 999 is gone from
-- the API: deleted) and moves the cursor to the max it read, keeping the
-- cursor column for the next incremental sync
CALL cq_fdw.sync('issues', 'gh_issues');
SELECT count(*), count(*) FILTER (WHERE number = 999) AS late FROM issues;
SELECT mode, cursor_column, cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'issues'::regclass;

-- sync_schema: an incremental sync of every table of a schema takes each
-- source's spec cursor (no cursor named anywhere)
CREATE SCHEMA incr_dst;
CREATE TABLE incr_dst.gh_issues (id bigint PRIMARY KEY, number int, updated_at timestamptz);
CALL cq_fdw.sync_schema('incr_dst', 'public', 'incremental');
SELECT count(*) FROM incr_dst.gh_issues;
SELECT mode, cursor_column, cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'incr_dst.gh_issues'::regclass;
DROP SCHEMA incr_dst CASCADE;

-- a table without cursor refuses an incremental sync, with a HINT
CREATE TABLE labels (id bigint PRIMARY KEY, name text);
CREATE VIEW gh_labels AS SELECT id, name FROM incr.github_labels
 WHERE owner = 'octo' AND repo = 'hello';
\set VERBOSITY default
\set SHOW_CONTEXT never
CALL cq_fdw.sync('labels', 'gh_labels', 'incremental');
\set VERBOSITY terse
\set SHOW_CONTEXT errors

-- GCP operations: the cursor goes out as filter=creationTimestamp >= "..."
-- at the API's own offset, -08:00 (the spec's utc_offset)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
CREATE SERVER incr_gcp FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/incr/n=12,per=5');
CREATE USER MAPPING FOR CURRENT_USER SERVER incr_gcp OPTIONS (token 'test-token');
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_global_operations)
    FROM SERVER incr_gcp INTO incr;
CREATE VIEW gcp_ops AS
    SELECT id, name, status, creation_timestamp FROM incr.gcp_compute_global_operations
     WHERE project = 'p1';
CREATE TABLE ops (id numeric PRIMARY KEY, name text, status text,
                  creation_timestamp timestamptz);
CALL cq_fdw.sync('ops', 'gcp_ops', 'incremental');
ALTER SERVER incr_gcp OPTIONS (SET base_url 'http://127.0.0.1:18080/incr/n=15,per=5');
CALL cq_fdw.sync('ops', 'gcp_ops', 'incremental');
SELECT count(*), max(id) FROM ops;
SELECT cursor_column, cursor_value::timestamptz AS cursor
  FROM cq_fdw.sync_state WHERE target = 'ops'::regclass;
\! curl -s 'http://127.0.0.1:18080/_mock/requests?route=/incr/' | python3 -c 'import json, sys, urllib.parse as u; [print(q.get("filter", ["(no filter)"])[0], "token", q.get("pageToken", ["-"])[0]) for q in (u.parse_qs(u.urlsplit(r["path"]).query) for r in json.load(sys.stdin)["requests"])]'

DROP SCHEMA incr CASCADE;
DROP TABLE issues, labels, ops;
DROP SERVER incr_gh CASCADE;
DROP SERVER incr_gcp CASCADE;
DELETE FROM cq_fdw.sync_log;
DELETE FROM cq_fdw.sync_state;
