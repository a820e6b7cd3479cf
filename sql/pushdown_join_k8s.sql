-- Joins of Kubernetes pods -> containers (a child table of pods, read from
-- the same listing): the plans the planner picks by cost and the requests
-- each makes.  A namespace qual reaches both sides (one listing each); a
-- batched join could only feed the namespace (the path key, the one the API
-- filters exactly: field selectors are rechecked), so over the whole cluster
-- two full listings joined locally cost less than a lookup per namespace.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION IF NOT EXISTS cq_fdw;
CREATE SERVER pk_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER pk_k8s OPTIONS (token 'test-token');
CREATE SCHEMA pk;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pods, k8s_pod_containers)
    FROM SERVER pk_k8s INTO pk OPTIONS (custom_resources 'false');

EXPLAIN (COSTS OFF)
SELECT p.name, c.name AS container, c.image
  FROM pk.k8s_pods p
  JOIN pk.k8s_pod_containers c ON c.namespace = p.namespace AND c.pod_name = p.name
 WHERE p.namespace = 'shop';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT p.name, c.name AS container, c.image
  FROM pk.k8s_pods p
  JOIN pk.k8s_pod_containers c ON c.namespace = p.namespace AND c.pod_name = p.name
 WHERE p.namespace = 'shop' ORDER BY 1, 2;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
-- the same rows without the batched join
SET cq_fdw.batch_joins = off;
SELECT p.name, c.name AS container, c.image
  FROM pk.k8s_pods p
  JOIN pk.k8s_pod_containers c ON c.namespace = p.namespace AND c.pod_name = p.name
 WHERE p.namespace = 'shop' ORDER BY 1, 2;
RESET cq_fdw.batch_joins;
-- every namespace's pods: the outer side names two namespaces with pods
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT p.namespace, count(*)
  FROM pk.k8s_pods p
  JOIN pk.k8s_pod_containers c ON c.namespace = p.namespace AND c.pod_name = p.name
 GROUP BY 1 ORDER BY 1;
-- the outer pods narrowed by a field selector (status.phase, sent and
-- rechecked; the recorded replies ignore it): still two listings
EXPLAIN (COSTS OFF)
SELECT p.name, c.name AS container
  FROM pk.k8s_pods p
  JOIN pk.k8s_pod_containers c ON c.namespace = p.namespace AND c.pod_name = p.name
 WHERE p.phase = 'Running';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT p.name, c.name AS container
  FROM pk.k8s_pods p
  JOIN pk.k8s_pod_containers c ON c.namespace = p.namespace AND c.pod_name = p.name
 WHERE p.phase = 'Running' ORDER BY 1, 2;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
