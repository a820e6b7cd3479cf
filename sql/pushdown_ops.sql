-- Operator parameters (sources/SPEC.md, key "formats", "separator",
-- "values"): quals beyond `=` on a key reach the API as the query parameter
-- the spec declares, asserted on the exact query the mock received; the
-- recorded replies ignore the filter, so the rows show that PostgreSQL
-- still rechecks every pushed qual; a value that cannot be sent safely is
-- not sent, and the result stays right.
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION IF NOT EXISTS cq_fdw;

CREATE SERVER po_k8s FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'kubernetes', base_url 'http://127.0.0.1:18080/replay/kubernetes/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER po_k8s OPTIONS (token 'test-token');
CREATE SERVER po_gh FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'github', base_url 'http://127.0.0.1:18080/replay/github/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER po_gh OPTIONS (token 'test-token');
CREATE SERVER po_gcp FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'gcp', base_url 'http://127.0.0.1:18080/replay/gcp/demo', projects 'demo-project');
CREATE USER MAPPING FOR CURRENT_USER SERVER po_gcp OPTIONS (token 'test-token');
CREATE SERVER po_do FOREIGN DATA WRAPPER cq_fdw
    OPTIONS (source 'digitalocean', base_url 'http://127.0.0.1:18080/replay/digitalocean/demo');
CREATE USER MAPPING FOR CURRENT_USER SERVER po_do OPTIONS (token 'test-token');
CREATE SCHEMA po;
IMPORT FOREIGN SCHEMA kubernetes LIMIT TO (k8s_pods, k8s_pod_containers)
    FROM SERVER po_k8s INTO po;
IMPORT FOREIGN SCHEMA github LIMIT TO (github_issues) FROM SERVER po_gh INTO po;
IMPORT FOREIGN SCHEMA gcp LIMIT TO (gcp_compute_instances) FROM SERVER po_gcp INTO po;
IMPORT FOREIGN SCHEMA digitalocean LIMIT TO (digitalocean_droplets) FROM SERVER po_do INTO po;

-- after each query: the decoded path and query of every request since the reset

-- Kubernetes: field selectors joined by ",", a label selector from @>
EXPLAIN (COSTS OFF)
SELECT name FROM po.k8s_pods
 WHERE node_name = 'node-1' AND phase = 'Running' AND labels @> '{"app": "web"}';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT namespace, name, node_name, phase FROM po.k8s_pods
 WHERE node_name = 'node-1' AND phase = 'Running' AND labels @> '{"app": "web"}'
 ORDER BY 1, 2;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
-- labels->>'k' = v is the same selector; two of them are joined
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT name FROM po.k8s_pods
 WHERE labels ->> 'app' = 'web' AND labels ->> 'tier' = 'frontend' ORDER BY 1;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
EXPLAIN (COSTS OFF)
SELECT name FROM po.k8s_pods WHERE labels ->> 'app' = 'web';
-- a child table: the pods' selectors narrow the pod listing it reads; an
-- = ANY list on a filter key is not sent (one request per value could
-- return a row twice if the filter is not exact): phase only
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT pod_name, name, image FROM po.k8s_pod_containers
 WHERE pod_phase = 'Running' AND node_name = ANY ('{node-1,node-2}') ORDER BY 1, 2;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
-- not sendable: a "," in a value (it would add a selector term) and a
-- label value that is not a string; nothing is sent, the rows are right
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT count(*) FROM po.k8s_pods WHERE phase = 'Running,spec.nodeName=x';
SELECT count(*) FROM po.k8s_pods WHERE labels @> '{"app": ["web"]}';
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"
-- not pushable at all: stays in the Filter, no query parameter
EXPLAIN (COSTS OFF) SELECT name FROM po.k8s_pods WHERE phase <> 'Running';

-- GitHub state: GitHub lists only open issues by default, so the table
-- asks state=all; state = 'closed' replaces it; a value GitHub does not
-- take ('merged') is not sent (state=all, and no row matches)
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT number, state FROM po.github_issues
 WHERE owner = 'demo-org' AND repo = 'api' AND state = 'closed' ORDER BY 1;
SELECT count(*) FROM po.github_issues
 WHERE owner = 'demo-org' AND repo = 'api' AND state = 'merged';
SELECT count(*) FROM po.github_issues WHERE owner = 'demo-org' AND repo = 'api';
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"

-- GCP: status and labels in one filter expression
EXPLAIN (COSTS OFF)
SELECT name FROM po.gcp_compute_instances
 WHERE status = 'RUNNING' AND labels @> '{"env": "prod"}';
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT name, status, labels ->> 'env' AS env FROM po.gcp_compute_instances
 WHERE status = 'RUNNING' AND labels @> '{"env": "prod"}' ORDER BY 1;
-- a quote in the value would end the filter's string: not sent
SELECT count(*) FROM po.gcp_compute_instances WHERE status = 'RUNNING" OR name = "x';
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"

-- DigitalOcean: tags @> ARRAY['web'] is sent as tag_name=web
EXPLAIN (COSTS OFF) SELECT name FROM po.digitalocean_droplets WHERE tags @> ARRAY['web'];
\! curl -s 'http://127.0.0.1:18080/_mock/reset' > /dev/null
SELECT name, tags FROM po.digitalocean_droplets WHERE tags @> ARRAY['web'] ORDER BY 1;
\! curl -s http://127.0.0.1:18080/_mock/requests | /usr/bin/python3 -c "import json,sys,urllib.parse; print('\n'.join(sorted(urllib.parse.unquote(r['path']).split('/demo',1)[1] for r in json.load(sys.stdin)['requests'])))"

DROP SCHEMA po CASCADE;
DROP SERVER po_k8s CASCADE;
DROP SERVER po_gh CASCADE;
DROP SERVER po_gcp CASCADE;
DROP SERVER po_do CASCADE;
