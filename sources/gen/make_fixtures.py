#!/usr/bin/python3
"""make_fixtures.py -- the project's own API recordings for the five cloud sources.

    python3 sources/gen/make_fixtures.py           write test/fixtures/<source>/*.json
    python3 sources/gen/make_fixtures.py --check   verify the committed files are current

Writes, per source, in the recording format the mock serves under
/replay/<source>/<scenario>/<api path> (test/mock/README.md):
  demo.json    one small, consistent world per source (instances on networks,
               NICs on VMs, droplets in VPCs, pods on nodes, issues in repos):
               3-20 rows per required table, nulls, an empty page/scope, and
               one multi-page listing following the API's own paging style;
  api-errors.json  the API's 4xx error body on the main listing (GitHub
               {message, documentation_url}, Kubernetes Status, GCP
               {error:{code,message,errors}}, Azure {error:{code,message}},
               DigitalOcean {id,message}).

The data is invented, documentation-shaped (field names and formats of the
vendors' reference pages) and deterministic.  Identifying values
(resourceGuid, etag, vmId, MAC addresses) belong to one resource each:
check_unique() refuses to write a scenario where two resources share one.  Paths match the endpoints of
sources/<name>/<name>.json; scenario-specific values (demo-project,
demo-org, the subscription id) are the ones the demo and the regression
tests use.
"""

import datetime
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.normpath(os.path.join(HERE, "..", ".."))
OUT = os.path.join(TOP, "test", "fixtures")


def rec(path, response, status=200, headers=None, scope=None):
    r = {"method": "get", "path": path, "status": status}
    if headers:
        r["headers"] = headers
    if scope:
        r["scope"] = scope
    r["response"] = response
    return r


# ---------------------------------------------------------------------------
# GCP: project demo-project
# ---------------------------------------------------------------------------

G = "https://www.googleapis.com/compute/v1/projects/demo-project"


def gcp_instance(name, zone, idv, net, subnet, ip, nat, status="RUNNING", ts="2024-03-04T09:15:27.142-08:00",
                 mtype="e2-medium", tags=(), labels=None):
    nic = {"kind": "compute#networkInterface", "name": "nic0", "network": "%s/global/networks/%s" % (G, net),
           "subnetwork": "%s/regions/%s/subnetworks/%s" % (G, zone[:-2], subnet), "networkIP": ip,
           "stackType": "IPV4_ONLY", "fingerprint": "zbl3Gm1Tr9k="}
    if nat:
        nic["accessConfigs"] = [{"kind": "compute#accessConfig", "type": "ONE_TO_ONE_NAT",
                                 "name": "External NAT", "natIP": nat, "networkTier": "PREMIUM"}]
    inst = {
        "kind": "compute#instance", "id": idv, "creationTimestamp": ts, "name": name,
        "tags": {"items": list(tags), "fingerprint": "42WmSpB8rSM="} if tags else {"fingerprint": "42WmSpB8rSM="},
        "machineType": "%s/zones/%s/machineTypes/%s" % (G, zone, mtype), "status": status,
        "zone": "%s/zones/%s" % (G, zone), "canIpForward": False, "networkInterfaces": [nic],
        "disks": [{"kind": "compute#attachedDisk", "type": "PERSISTENT", "mode": "READ_WRITE",
                   "source": "%s/zones/%s/disks/%s" % (G, zone, name), "deviceName": "persistent-disk-0",
                   "index": 0, "boot": True, "autoDelete": True, "diskSizeGb": "20"}],
        "serviceAccounts": [{"email": "123456789012-compute@developer.gserviceaccount.com",
                             "scopes": ["https://www.googleapis.com/auth/cloud-platform"]}],
        "selfLink": "%s/zones/%s/instances/%s" % (G, zone, name),
        "scheduling": {"onHostMaintenance": "MIGRATE", "automaticRestart": True, "preemptible": False},
        "cpuPlatform": "Intel Broadwell" if status == "RUNNING" else "Unknown CPU Platform",
        "labels": labels if labels is not None else {},
        "lastStartTimestamp": "2024-05-01T06:00:03.511-07:00" if status == "RUNNING" else None,
        "deletionProtection": False,
    }
    if inst["lastStartTimestamp"] is None:
        del inst["lastStartTimestamp"]
        inst["lastStopTimestamp"] = "2024-06-11T18:42:10.004-07:00"
    return inst


def gcp():
    instances = [
        gcp_instance("web-1", "us-central1-a", "12345678901234567890", "prod-vpc", "prod-us-central1", "10.10.0.2",
                     "34.122.10.21", tags=["web", "ssh"], labels={"env": "prod", "app": "web"}),
        gcp_instance("web-2", "us-central1-a", "12345678901234567891", "prod-vpc", "prod-us-central1", "10.10.0.3",
                     "34.122.10.22", tags=["web", "ssh"], labels={"env": "prod", "app": "web"}),
        gcp_instance("db-1", "us-central1-b", "9223372036854775809", "prod-vpc", "prod-us-central1", "10.10.0.10",
                     None, mtype="n2-highmem-4", tags=["db"], labels={"env": "prod", "app": "db"}),
        gcp_instance("batch-1", "europe-west1-b", "4006034190819017667", "prod-vpc", "prod-europe-west1",
                     "10.20.0.5", None, ts="2023-11-20T02:03:04.5+01:00", labels={"env": "prod", "app": "batch"}),
        gcp_instance("legacy-1", "us-central1-a", "17014118346046923173", "default", "default", "10.128.0.7",
                     "35.192.0.7", status="TERMINATED", ts="2019-08-01T11:00:00.000-07:00", mtype="n1-standard-1"),
    ]
    warn_empty = {"code": "NO_RESULTS_ON_PAGE",
                  "message": "There are no results for scope 'zones/asia-east1-a' on this page.",
                  "data": [{"key": "scope", "value": "zones/asia-east1-a"}]}
    agg1 = {"kind": "compute#instanceAggregatedList", "id": "projects/demo-project/aggregated/instances",
            "items": {"zones/us-central1-a": {"instances": [instances[0], instances[1], instances[4]]},
                      "zones/asia-east1-a": {"warning": warn_empty}},
            "selfLink": G + "/aggregated/instances", "nextPageToken": "CkRQAGVwaGVtZXJhbC1wYWdlLTI"}
    agg2 = {"kind": "compute#instanceAggregatedList", "id": "projects/demo-project/aggregated/instances",
            "items": {"zones/us-central1-b": {"instances": [instances[2]]},
                      "zones/europe-west1-b": {"instances": [instances[3]]}},
            "selfLink": G + "/aggregated/instances"}
    zone_a = {"kind": "compute#instanceList", "id": "projects/demo-project/zones/us-central1-a/instances",
              "items": [instances[0], instances[1], instances[4]],
              "selfLink": G + "/zones/us-central1-a/instances"}
    zone_empty = {"kind": "compute#instanceList", "id": "projects/demo-project/zones/asia-east1-a/instances",
                  "selfLink": G + "/zones/asia-east1-a/instances"}
    networks = {"kind": "compute#networkList", "id": "projects/demo-project/global/networks", "items": [
        {"kind": "compute#network", "id": "5206198306374946254", "creationTimestamp": "2019-07-31T10:12:45.201-07:00",
         "name": "default", "description": "Default network for the project", "selfLink": G + "/global/networks/default",
         "autoCreateSubnetworks": True, "subnetworks": [G.replace("projects", "projects") + "/regions/us-central1/subnetworks/default"],
         "routingConfig": {"routingMode": "REGIONAL"}, "mtu": 1460,
         "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL"},
        {"kind": "compute#network", "id": "18302948551772234881", "creationTimestamp": "2023-02-14T08:30:00.000-08:00",
         "name": "prod-vpc", "description": "", "selfLink": G + "/global/networks/prod-vpc",
         "autoCreateSubnetworks": False,
         "subnetworks": [G + "/regions/us-central1/subnetworks/prod-us-central1",
                         G + "/regions/europe-west1/subnetworks/prod-europe-west1"],
         "routingConfig": {"routingMode": "GLOBAL"}, "mtu": 1500,
         "networkFirewallPolicyEnforcementOrder": "AFTER_CLASSIC_FIREWALL"}],
        "selfLink": G + "/global/networks"}

    def subnet(name, region, idv, net, rng, gw, sec=None, ts="2023-02-14T08:31:10.000-08:00"):
        s = {"kind": "compute#subnetwork", "id": idv, "creationTimestamp": ts, "name": name,
             "network": "%s/global/networks/%s" % (G, net), "ipCidrRange": rng, "gatewayAddress": gw,
             "region": "%s/regions/%s" % (G, region), "selfLink": "%s/regions/%s/subnetworks/%s" % (G, region, name),
             "privateIpGoogleAccess": net != "default", "fingerprint": "ExPwQJv2xvI=", "purpose": "PRIVATE",
             "stackType": "IPV4_ONLY"}
        if sec:
            s["secondaryIpRanges"] = sec
        return s
    subnets = {"kind": "compute#subnetworkAggregatedList", "id": "projects/demo-project/aggregated/subnetworks",
               "items": {
                   "regions/us-central1": {"subnetworks": [
                       subnet("default", "us-central1", "6580264214578209912", "default", "10.128.0.0/20", "10.128.0.1",
                              ts="2019-07-31T10:12:51.874-07:00"),
                       subnet("prod-us-central1", "us-central1", "3350442398211117002", "prod-vpc", "10.10.0.0/20",
                              "10.10.0.1", sec=[{"rangeName": "gke-pods", "ipCidrRange": "10.100.0.0/14"},
                                                {"rangeName": "gke-services", "ipCidrRange": "10.104.0.0/20"}])]},
                   "regions/europe-west1": {"subnetworks": [
                       subnet("prod-europe-west1", "europe-west1", "3350442398211117003", "prod-vpc", "10.20.0.0/20",
                              "10.20.0.1")]},
                   "regions/asia-east1": {"warning": {"code": "NO_RESULTS_ON_PAGE", "message":
                                                      "There are no results for scope 'regions/asia-east1' on this page.",
                                                      "data": [{"key": "scope", "value": "regions/asia-east1"}]}}},
               "selfLink": G + "/aggregated/subnetworks"}

    def fw(name, idv, net, rng, allowed, tags=None, prio=1000, src_tags=None, disabled=False):
        f = {"kind": "compute#firewall", "id": idv, "creationTimestamp": "2023-02-14T08:40:00.000-08:00",
             "name": name, "description": "", "network": "%s/global/networks/%s" % (G, net), "priority": prio,
             "sourceRanges": rng, "allowed": allowed, "direction": "INGRESS",
             "logConfig": {"enable": False}, "disabled": disabled,
             "selfLink": "%s/global/firewalls/%s" % (G, name)}
        if tags:
            f["targetTags"] = tags
        if src_tags:
            f["sourceTags"] = src_tags
        return f
    firewalls = {"kind": "compute#firewallList", "id": "projects/demo-project/global/firewalls", "items": [
        fw("allow-ssh-iap", "813401119712005001", "prod-vpc", ["35.235.240.0/20"],
           [{"IPProtocol": "tcp", "ports": ["22"]}], tags=["ssh"]),
        fw("allow-web", "813401119712005002", "prod-vpc", ["0.0.0.0/0"],
           [{"IPProtocol": "tcp", "ports": ["80", "443"]}], tags=["web"]),
        fw("allow-internal", "813401119712005003", "prod-vpc", ["10.10.0.0/20", "10.20.0.0/20"],
           [{"IPProtocol": "tcp", "ports": ["0-65535"]}, {"IPProtocol": "udp", "ports": ["0-65535"]},
            {"IPProtocol": "icmp"}], prio=65534),
        fw("db-from-web", "813401119712005004", "prod-vpc", [], [{"IPProtocol": "tcp", "ports": ["5432"]}],
           tags=["db"], src_tags=["web"]),
        fw("default-allow-rdp", "813401119712005005", "default", ["0.0.0.0/0"],
           [{"IPProtocol": "tcp", "ports": ["3389"]}], prio=65534, disabled=True)],
        "selfLink": G + "/global/firewalls"}

    def disk(name, zone, idv, size, users, dtype="pd-balanced", image="debian-12-bookworm-v20240312"):
        d = {"kind": "compute#disk", "id": idv, "creationTimestamp": "2024-03-04T09:15:20.020-08:00",
             "name": name, "sizeGb": str(size), "zone": "%s/zones/%s" % (G, zone), "status": "READY",
             "selfLink": "%s/zones/%s/disks/%s" % (G, zone, name),
             "type": "%s/zones/%s/diskTypes/%s" % (G, zone, dtype), "labels": {},
             "physicalBlockSizeBytes": "4096", "lastAttachTimestamp": "2024-03-04T09:15:22.871-08:00"}
        if image:
            d["sourceImage"] = "https://www.googleapis.com/compute/v1/projects/debian-cloud/global/images/" + image
        if users:
            d["users"] = ["%s/zones/%s/instances/%s" % (G, zone, u) for u in users]
        return d
    disks = {"kind": "compute#diskAggregatedList", "id": "projects/demo-project/aggregated/disks", "items": {
        "zones/us-central1-a": {"disks": [disk("web-1", "us-central1-a", "7011110000000000001", 20, ["web-1"]),
                                          disk("web-2", "us-central1-a", "7011110000000000002", 20, ["web-2"]),
                                          disk("legacy-1", "us-central1-a", "7011110000000000005", 10, ["legacy-1"],
                                               dtype="pd-standard")]},
        "zones/us-central1-b": {"disks": [disk("db-1", "us-central1-b", "7011110000000000003", 50, ["db-1"]),
                                          disk("db-1-data", "us-central1-b", "7011110000000000004", 500, ["db-1"],
                                               dtype="pd-ssd", image=None)]},
        "zones/europe-west1-b": {"disks": [disk("batch-1", "europe-west1-b", "7011110000000000006", 20, ["batch-1"]),
                                           disk("orphan-scratch", "europe-west1-b", "7011110000000000007", 100, None,
                                                image=None)]}},
        "selfLink": G + "/aggregated/disks"}
    P = "/compute/v1/projects/demo-project"
    demo = [
        rec(P + "/aggregated/instances", agg1),
        rec(P + "/aggregated/instances?pageToken=CkRQAGVwaGVtZXJhbC1wYWdlLTI", agg2),
        rec(P + "/zones/us-central1-a/instances", zone_a),
        rec(P + "/zones/asia-east1-a/instances", zone_empty),
        rec(P + "/global/networks", networks),
        rec(P + "/aggregated/subnetworks", subnets),
        rec(P + "/global/firewalls", firewalls),
        rec(P + "/aggregated/disks", disks),
    ]
    err = {"error": {"code": 403, "message": "Required 'compute.instances.list' permission for 'projects/demo-project'",
                     "errors": [{"message": "Required 'compute.instances.list' permission for 'projects/demo-project'",
                                 "domain": "global", "reason": "forbidden"}]}}
    nf = {"error": {"code": 404, "message": "The resource 'projects/no-such-project' was not found",
                    "errors": [{"message": "The resource 'projects/no-such-project' was not found",
                                "domain": "global", "reason": "notFound"}]}}
    errors = [rec(P + "/aggregated/instances", err, 403, {"content-type": "application/json; charset=UTF-8"}),
              rec("/compute/v1/projects/no-such-project/global/networks", nf, 404,
                  {"content-type": "application/json; charset=UTF-8"})]
    return {"demo": demo, "errors": errors}


# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------

def k8s_meta(name, ns, uid, ts, labels=None, owner=None, extra=None):
    m = {"name": name, "uid": uid, "resourceVersion": str(1000 + int(uid[-3:], 16)), "creationTimestamp": ts}
    if ns:
        m["namespace"] = ns
    if labels:
        m["labels"] = labels
    if owner:
        m["ownerReferences"] = [owner]
    if extra:
        m.update(extra)
    return m


def k8s_pod(name, ns, uid, node, ip, host, image, phase="Running", ip6=None, labels=None, owner=None,
            restarts=0, ts="2024-05-02T10:00:00Z"):
    ips = ([{"ip": ip}] if ip else []) + ([{"ip": ip6}] if ip6 else [])
    status = {"phase": phase, "qosClass": "Burstable",
              "conditions": [{"type": "PodScheduled", "status": "True" if node else "False",
                              "lastProbeTime": None, "lastTransitionTime": ts}]}
    if phase == "Pending":
        status["conditions"][0].update({"reason": "Unschedulable",
                                        "message": "0/3 nodes are available: 3 Insufficient memory."})
    else:
        status.update({"hostIP": host, "hostIPs": [{"ip": host}], "podIP": ip, "podIPs": ips, "startTime": ts,
                       "containerStatuses": [{"name": name.split("-")[0], "ready": True, "restartCount": restarts,
                                              "image": image, "imageID": "", "started": True,
                                              "containerID": "containerd://%064x" % int(uid[-12:], 16),
                                              "state": {"running": {"startedAt": ts}}}]})
    spec = {"containers": [{"name": name.split("-")[0], "image": image,
                            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}},
                            "imagePullPolicy": "IfNotPresent"}],
            "restartPolicy": "Always", "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
            "serviceAccountName": "default", "schedulerName": "default-scheduler", "enableServiceLinks": True,
            "priority": 0, "preemptionPolicy": "PreemptLowerPriority"}
    if node:
        spec["nodeName"] = node
    return {"metadata": k8s_meta(name, ns, uid, ts, labels, owner), "spec": spec, "status": status}


def k8s():
    ns_list = {"kind": "NamespaceList", "apiVersion": "v1", "metadata": {"resourceVersion": "5120"}, "items": [
        {"metadata": k8s_meta(n, None, u, t, {"kubernetes.io/metadata.name": n}),
         "spec": {"finalizers": ["kubernetes"]}, "status": {"phase": p}}
        for n, u, t, p in [("default", "6a2b0f5e-3c1d-4e7f-9a8b-0c1d2e3f4a01", "2024-05-01T08:00:00Z", "Active"),
                           ("kube-system", "6a2b0f5e-3c1d-4e7f-9a8b-0c1d2e3f4a02", "2024-05-01T08:00:00Z", "Active"),
                           ("shop", "6a2b0f5e-3c1d-4e7f-9a8b-0c1d2e3f4a03", "2024-05-02T09:30:00Z", "Active"),
                           ("empty", "6a2b0f5e-3c1d-4e7f-9a8b-0c1d2e3f4a04", "2024-06-01T12:00:00Z", "Active"),
                           ("old-team", "6a2b0f5e-3c1d-4e7f-9a8b-0c1d2e3f4a05", "2023-01-01T00:00:00Z",
                            "Terminating")]]}
    rs_owner = lambda n, u: {"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": n, "uid": u,
                             "controller": True, "blockOwnerDeletion": True}
    pods = [
        k8s_pod("coredns-5d78c9869d-8x2kq", "kube-system", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a11", "node-1",
                "10.244.0.2", "172.18.0.2", "registry.k8s.io/coredns/coredns:v1.10.1",
                labels={"k8s-app": "kube-dns"}, owner=rs_owner("coredns-5d78c9869d", "a1e0c3f2-1111-4a2b-8c3d-000000000001"),
                ts="2024-05-01T08:01:10Z"),
        k8s_pod("coredns-5d78c9869d-q7wzt", "kube-system", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a12", "node-2",
                "10.244.1.2", "172.18.0.3", "registry.k8s.io/coredns/coredns:v1.10.1",
                labels={"k8s-app": "kube-dns"}, owner=rs_owner("coredns-5d78c9869d", "a1e0c3f2-1111-4a2b-8c3d-000000000001"),
                ts="2024-05-01T08:01:10Z"),
        k8s_pod("web-7f9c6b8d5-4kz2p", "shop", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a21", "node-1", "10.244.0.15",
                "172.18.0.2", "ghcr.io/demo/shop-web:2.4.1", ip6="FD00:10:244:0:0:0:0:F",
                labels={"app": "web", "tier": "frontend"},
                owner=rs_owner("web-7f9c6b8d5", "a1e0c3f2-1111-4a2b-8c3d-000000000002"), restarts=2,
                ts="2024-05-02T09:31:00+02:00"),
        k8s_pod("web-7f9c6b8d5-9tq7m", "shop", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a22", "node-2", "10.244.1.16",
                "172.18.0.3", "ghcr.io/demo/shop-web:2.4.1", ip6="fd00:10:244:1::10",
                labels={"app": "web", "tier": "frontend"},
                owner=rs_owner("web-7f9c6b8d5", "a1e0c3f2-1111-4a2b-8c3d-000000000002"),
                ts="2024-05-02T09:31:00+02:00"),
        k8s_pod("web-7f9c6b8d5-x8d2v", "shop", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a23", "node-3", "10.244.2.17",
                "172.18.0.4", "ghcr.io/demo/shop-web:2.4.1", labels={"app": "web", "tier": "frontend"},
                owner=rs_owner("web-7f9c6b8d5", "a1e0c3f2-1111-4a2b-8c3d-000000000002"),
                ts="2024-05-02T09:31:02.5Z"),
        k8s_pod("db-0", "shop", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a24", "node-3", "10.244.2.4", "172.18.0.4",
                "postgres:16.3", labels={"app": "db"},
                owner={"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "db",
                       "uid": "a1e0c3f2-1111-4a2b-8c3d-000000000003", "controller": True}, restarts=0,
                ts="2024-05-02T09:35:00Z"),
        k8s_pod("report-28601240-zx9lq", "shop", "0b6f8a52-8f7e-4b8a-9c61-3f0a7f6d1a25", None, None, None,
                "ghcr.io/demo/report:1.0", phase="Pending", labels={"job-name": "report-28601240"},
                ts="2024-06-11T03:00:00Z"),
    ]
    pods_page1 = {"kind": "PodList", "apiVersion": "v1",
                  "metadata": {"resourceVersion": "5120", "continue": "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6NTEyMCwic3RhcnQiOiJzaG9wL3dlYi03ZjljNmI4ZDUtNGt6MnBcdTAwMDAifQ",
                               "remainingItemCount": 4},
                  "items": pods[:3]}
    pods_page2 = {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "5120"}, "items": pods[3:]}
    ns_pods = lambda ns: {"kind": "PodList", "apiVersion": "v1", "metadata": {"resourceVersion": "5120"},
                          "items": [p for p in pods if p["metadata"]["namespace"] == ns]}

    def node(name, uid, ip, cidr, ver="v1.29.2", unsched=False, ready="True"):
        return {"metadata": k8s_meta(name, None, uid, "2024-05-01T07:59:00Z",
                                     {"kubernetes.io/hostname": name, "kubernetes.io/arch": "amd64",
                                      "topology.kubernetes.io/zone": "zone-" + name[-1]}),
                "spec": {"podCIDR": cidr, "podCIDRs": [cidr], "providerID": "kind://docker/demo/" + name,
                         **({"unschedulable": True, "taints": [{"key": "node.kubernetes.io/unschedulable",
                                                                "effect": "NoSchedule",
                                                                "timeAdded": "2024-06-10T10:00:00Z"}]}
                            if unsched else {})},
                "status": {"capacity": {"cpu": "4", "memory": "16331208Ki", "pods": "110"},
                           "allocatable": {"cpu": "4", "memory": "16228808Ki", "pods": "110"},
                           "conditions": [{"type": "Ready", "status": ready, "reason": "KubeletReady",
                                           "lastHeartbeatTime": "2024-06-11T10:00:00Z",
                                           "lastTransitionTime": "2024-05-01T08:00:20Z"}],
                           "addresses": [{"type": "InternalIP", "address": ip}, {"type": "Hostname", "address": name}],
                           "nodeInfo": {"kubeletVersion": ver, "osImage": "Debian GNU/Linux 12 (bookworm)",
                                        "architecture": "amd64", "containerRuntimeVersion": "containerd://1.7.13",
                                        "kernelVersion": "6.1.0-18-amd64", "operatingSystem": "linux"}}}
    nodes = {"kind": "NodeList", "apiVersion": "v1", "metadata": {"resourceVersion": "5120"}, "items": [
        node("node-1", "5f0e2c11-7d3b-4c55-8e21-1a2b3c4d5e01", "172.18.0.2", "10.244.0.0/24"),
        node("node-2", "5f0e2c11-7d3b-4c55-8e21-1a2b3c4d5e02", "172.18.0.3", "10.244.1.0/24"),
        node("node-3", "5f0e2c11-7d3b-4c55-8e21-1a2b3c4d5e03", "172.18.0.4", "10.244.2.0/24", ver="v1.28.7",
             unsched=True)]}

    def svc(name, ns, uid, typ, cip, ports, sel=None, lb=None, ts="2024-05-01T08:00:05Z"):
        s = {"metadata": k8s_meta(name, ns, uid, ts, {"app": name} if ns == "shop" else None),
             "spec": {"type": typ, "clusterIP": cip, "clusterIPs": [cip], "ports": ports,
                      "sessionAffinity": "None", "ipFamilies": ["IPv4"], "ipFamilyPolicy": "SingleStack",
                      "internalTrafficPolicy": "Cluster"},
             "status": {"loadBalancer": {"ingress": [{"ip": lb}]} if lb else {}}}
        if sel:
            s["spec"]["selector"] = sel
        return s
    services = {"kind": "ServiceList", "apiVersion": "v1", "metadata": {"resourceVersion": "5120"}, "items": [
        svc("kubernetes", "default", "3c2d1e0f-aaaa-4bbb-8ccc-000000000001", "ClusterIP", "10.96.0.1",
            [{"name": "https", "protocol": "TCP", "port": 443, "targetPort": 6443}]),
        svc("kube-dns", "kube-system", "3c2d1e0f-aaaa-4bbb-8ccc-000000000002", "ClusterIP", "10.96.0.10",
            [{"name": "dns", "protocol": "UDP", "port": 53, "targetPort": 53}], {"k8s-app": "kube-dns"}),
        svc("web", "shop", "3c2d1e0f-aaaa-4bbb-8ccc-000000000003", "LoadBalancer", "10.96.12.34",
            [{"name": "http", "protocol": "TCP", "port": 80, "targetPort": 8080, "nodePort": 31080}],
            {"app": "web"}, lb="203.0.113.10", ts="2024-05-02T09:30:30Z"),
        svc("db", "shop", "3c2d1e0f-aaaa-4bbb-8ccc-000000000004", "ClusterIP", "None",
            [{"name": "postgres", "protocol": "TCP", "port": 5432, "targetPort": 5432}], {"app": "db"},
            ts="2024-05-02T09:30:31Z")]}

    def deploy(name, ns, uid, replicas, ready, image, ts, gen=1):
        return {"metadata": k8s_meta(name, ns, uid, ts, {"app": name}, extra={"generation": gen}),
                "spec": {"replicas": replicas, "selector": {"matchLabels": {"app": name}},
                         "strategy": {"type": "RollingUpdate",
                                      "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                         "template": {"metadata": {"labels": {"app": name}},
                                      "spec": {"containers": [{"name": name, "image": image}]}}},
                "status": {"observedGeneration": gen, "replicas": replicas, "updatedReplicas": replicas,
                           **({"readyReplicas": ready, "availableReplicas": ready} if ready else {}),
                           "conditions": [{"type": "Available", "status": "True" if ready else "False",
                                           "reason": "MinimumReplicasAvailable" if ready else
                                           "MinimumReplicasUnavailable",
                                           "lastUpdateTime": ts, "lastTransitionTime": ts}]}}
    deployments = {"kind": "DeploymentList", "apiVersion": "apps/v1", "metadata": {"resourceVersion": "5120"},
                   "items": [
                       deploy("coredns", "kube-system", "9d8c7b6a-5f4e-4d3c-8b2a-000000000001", 2, 2,
                              "registry.k8s.io/coredns/coredns:v1.10.1", "2024-05-01T08:00:10Z"),
                       deploy("web", "shop", "9d8c7b6a-5f4e-4d3c-8b2a-000000000002", 3, 3,
                              "ghcr.io/demo/shop-web:2.4.1", "2024-05-02T09:30:00Z", gen=7),
                       deploy("worker", "shop", "9d8c7b6a-5f4e-4d3c-8b2a-000000000003", 0, 0,
                              "ghcr.io/demo/shop-worker:2.4.1", "2024-05-02T09:30:00Z", gen=2)]}
    empty = lambda kind: {"kind": kind, "apiVersion": "v1", "metadata": {"resourceVersion": "5120"}, "items": []}
    demo = [
        rec("/api/v1/namespaces", ns_list),
        rec("/api/v1/pods", pods_page1),
        rec("/api/v1/pods?continue=" + pods_page1["metadata"]["continue"], pods_page2),
        rec("/api/v1/namespaces/kube-system/pods", ns_pods("kube-system")),
        rec("/api/v1/namespaces/shop/pods", ns_pods("shop")),
        rec("/api/v1/namespaces/empty/pods", empty("PodList")),
        rec("/api/v1/nodes", nodes),
        rec("/api/v1/services", services),
        rec("/api/v1/namespaces/shop/services",
            dict(services, items=[s for s in services["items"] if s["metadata"]["namespace"] == "shop"])),
        rec("/apis/apps/v1/deployments", deployments),
        rec("/apis/apps/v1/namespaces/shop/deployments",
            dict(deployments, items=[d for d in deployments["items"] if d["metadata"]["namespace"] == "shop"])),
    ]
    forbidden = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                 "message": "pods is forbidden: User \"system:serviceaccount:default:reader\" cannot list resource "
                            "\"pods\" in API group \"\" at the cluster scope",
                 "reason": "Forbidden", "details": {"kind": "pods"}, "code": 403}
    gone = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": "The provided continue parameter is too old to display a consistent list result. You can "
                       "start a new list without the continue parameter, or use the continue token in this response "
                       "to retrieve the remainder of the results.",
            "reason": "Expired", "code": 410}
    errors = [rec("/api/v1/pods", forbidden, 403),
              rec("/api/v1/nodes", {"kind": "NodeList", "apiVersion": "v1",
                                    "metadata": {"resourceVersion": "5120", "continue": "stale-token"},
                                    "items": nodes["items"][:1]}),
              rec("/api/v1/nodes?continue=stale-token", gone, 410)]
    return {"demo": demo, "errors": errors}


# ---------------------------------------------------------------------------
# GitHub: organization demo-org, repositories api, web, infra
# ---------------------------------------------------------------------------

GH = "https://api.github.com"
GH_H = {"content-type": "application/json; charset=utf-8", "x-ratelimit-limit": "5000",
        "x-ratelimit-remaining": "4990", "x-ratelimit-reset": "1718100000", "x-ratelimit-resource": "core",
        "x-github-api-version-selected": "2022-11-28"}


def gh_user(login, uid, typ="User"):
    return {"login": login, "id": uid, "node_id": "MDQ6VXNlcj%d" % uid,
            "avatar_url": "https://avatars.githubusercontent.com/u/%d?v=4" % uid, "gravatar_id": "",
            "url": GH + "/users/" + login, "html_url": "https://github.com/" + login,
            "type": typ, "site_admin": False}


USERS = {"alice": gh_user("alice", 5001), "bob": gh_user("bob", 5002), "carol": gh_user("carol", 5003),
         "dependabot[bot]": gh_user("dependabot[bot]", 49699333, "Bot")}
ORG = {"login": "demo-org", "id": 9000, "node_id": "MDEyOk9yZ2FuaXphdGlvbjkwMDA=",
       "url": GH + "/orgs/demo-org", "avatar_url": "https://avatars.githubusercontent.com/u/9000?v=4",
       "type": "Organization", "site_admin": False, "html_url": "https://github.com/demo-org"}


def gh_repo(name, rid, lang, desc, topics, stars, created, pushed, archived=False, license="MIT"):
    return {"id": rid, "node_id": "R_kgDO%07d" % rid, "name": name, "full_name": "demo-org/" + name,
            "private": False, "owner": ORG, "html_url": "https://github.com/demo-org/" + name,
            "description": desc, "fork": False, "url": GH + "/repos/demo-org/" + name,
            "clone_url": "https://github.com/demo-org/%s.git" % name,
            "ssh_url": "git@github.com:demo-org/%s.git" % name, "homepage": None, "size": 1024 + rid % 977,
            "stargazers_count": stars, "watchers_count": stars, "language": lang, "has_issues": True,
            "has_projects": True, "has_wiki": False, "has_pages": False, "forks_count": stars // 7,
            "mirror_url": None, "archived": archived, "disabled": False, "open_issues_count": 2,
            "license": {"key": license.lower(), "name": license + " License", "spdx_id": license,
                        "url": GH + "/licenses/" + license.lower(), "node_id": "MDc6TGljZW5zZTEz"}
            if license else None,
            "allow_forking": True, "is_template": False, "topics": topics, "visibility": "public",
            "forks": stars // 7, "open_issues": 2, "watchers": stars, "default_branch": "main",
            "created_at": created, "updated_at": pushed, "pushed_at": pushed,
            "permissions": {"admin": False, "maintain": False, "push": True, "triage": True, "pull": True}}


def gh_label(repo, lid, name, color, desc, default=False):
    return {"id": lid, "node_id": "LA_kwDO%07d" % lid, "url": "%s/repos/demo-org/%s/labels/%s" % (GH, repo, name),
            "name": name, "color": color, "default": default, "description": desc}


def gh_issue(repo, num, iid, title, user, state, labels, created, closed=None, assignees=(), pr=False,
             milestone=None, body=None, comments=0):
    i = {"url": "%s/repos/demo-org/%s/issues/%d" % (GH, repo, num),
         "repository_url": "%s/repos/demo-org/%s" % (GH, repo),
         "html_url": "https://github.com/demo-org/%s/%s/%d" % (repo, "pull" if pr else "issues", num),
         "id": iid, "node_id": "I_kwDO%08d" % iid, "number": num, "title": title, "user": USERS[user],
         "labels": labels, "state": state, "locked": False,
         "assignee": USERS[assignees[0]] if assignees else None, "assignees": [USERS[a] for a in assignees],
         "milestone": milestone, "comments": comments, "created_at": created, "updated_at": closed or created,
         "closed_at": closed, "author_association": "MEMBER" if user != "dependabot[bot]" else "NONE",
         "active_lock_reason": None, "body": body,
         "state_reason": ("completed" if closed else None),
         "reactions": {"url": "%s/repos/demo-org/%s/issues/%d/reactions" % (GH, repo, num), "total_count": 0,
                       "+1": 0, "-1": 0, "laugh": 0, "hooray": 0, "confused": 0, "heart": 0, "rocket": 0, "eyes": 0}}
    if pr:
        i["pull_request"] = {"url": "%s/repos/demo-org/%s/pulls/%d" % (GH, repo, num),
                             "html_url": "https://github.com/demo-org/%s/pull/%d" % (repo, num),
                             "merged_at": closed}
        i["draft"] = False
    return i


def gh_pull(repo, num, pid, title, user, state, created, head, merged=None, closed=None, labels=(),
            reviewers=(), draft=False):
    return {"url": "%s/repos/demo-org/%s/pulls/%d" % (GH, repo, num), "id": pid,
            "node_id": "PR_kwDO%08d" % pid, "html_url": "https://github.com/demo-org/%s/pull/%d" % (repo, num),
            "number": num, "state": state, "locked": False, "title": title, "user": USERS[user],
            "body": None, "labels": list(labels), "milestone": None, "active_lock_reason": None,
            "created_at": created, "updated_at": closed or created, "closed_at": closed, "merged_at": merged,
            "merge_commit_sha": "%040x" % (pid * 7919), "assignee": None, "assignees": [],
            "requested_reviewers": [USERS[r] for r in reviewers], "requested_teams": [],
            "head": {"label": "demo-org:" + head, "ref": head, "sha": "%040x" % (pid * 104729), "user": ORG},
            "base": {"label": "demo-org:main", "ref": "main", "sha": "%040x" % (pid * 1299709), "user": ORG},
            "author_association": "MEMBER", "auto_merge": None, "draft": draft}


def gh_release(repo, rid, tag, name, author, created, published, prerelease=False, draft=False, assets=()):
    return {"url": "%s/repos/demo-org/%s/releases/%d" % (GH, repo, rid),
            "html_url": "https://github.com/demo-org/%s/releases/tag/%s" % (repo, tag), "id": rid,
            "author": USERS[author], "node_id": "RE_kwDO%08d" % rid, "tag_name": tag, "target_commitish": "main",
            "name": name, "draft": draft, "prerelease": prerelease, "created_at": created,
            "published_at": published,
            "assets": [{"url": "%s/repos/demo-org/%s/releases/assets/%d" % (GH, repo, rid * 10 + k),
                        "id": rid * 10 + k, "node_id": "RA_kwDO%08d" % (rid * 10 + k), "name": a, "label": "",
                        "uploader": USERS[author], "content_type": "application/gzip", "state": "uploaded",
                        "size": 1048576 * (k + 1), "download_count": dl, "created_at": published or created,
                        "updated_at": published or created,
                        "browser_download_url": "https://github.com/demo-org/%s/releases/download/%s/%s" % (
                            repo, tag, a)}
                       for k, (a, dl) in enumerate(assets)],
            "tarball_url": "%s/repos/demo-org/%s/tarball/%s" % (GH, repo, tag),
            "zipball_url": "%s/repos/demo-org/%s/zipball/%s" % (GH, repo, tag), "body": "Release " + tag}


def github():
    repos = [gh_repo("api", 700001, "Go", "The shop's HTTP API", ["api", "go"], 120,
                     "2021-02-03T10:00:00Z", "2024-06-10T17:22:31Z"),
             gh_repo("web", 700002, "TypeScript", "Storefront", ["frontend"], 45,
                     "2021-02-03T10:05:00Z", "2024-06-11T08:01:00Z"),
             gh_repo("infra", 700003, "HCL", None, [], 3, "2022-08-19T14:00:00Z", "2023-12-01T09:00:00Z",
                     archived=True, license=None)]
    labels = {r: [gh_label(r, 800000 + i * 10 + k, n, c, d, dflt) for k, (n, c, d, dflt) in enumerate([
        ("bug", "d73a4a", "Something isn't working", True),
        ("enhancement", "a2eeef", "New feature or request", True),
        ("security", "b60205", None, False)])] for i, r in enumerate(["api", "web", "infra"])}
    L = lambda r, *names: [l for l in labels[r] if l["name"] in names]
    ms = {"url": GH + "/repos/demo-org/api/milestones/1", "id": 6100, "number": 1, "title": "v2.5",
          "state": "open", "open_issues": 2, "closed_issues": 1, "created_at": "2024-04-01T00:00:00Z",
          "due_on": "2024-07-01T07:00:00Z"}
    issues = {
        "api": [gh_issue("api", 42, 900042, "Timeout on /orders under load", "alice", "open", L("api", "bug"),
                         "2024-06-01T12:00:00Z", assignees=("bob",), milestone=ms, comments=3,
                         body="p99 latency goes above 5 s when..."),
                gh_issue("api", 41, 900041, "Bump golang.org/x/net from 0.22.0 to 0.23.0", "dependabot[bot]",
                         "closed", [], "2024-05-20T04:00:00Z", closed="2024-05-21T09:30:00Z", pr=True),
                gh_issue("api", 40, 900040, "Add rate limiting to the public API", "carol", "open",
                         L("api", "enhancement", "security"), "2024-05-11T15:45:10+02:00", milestone=ms),
                gh_issue("api", 12, 900012, "Crash on empty cart", "bob", "closed", L("api", "bug"),
                         "2023-01-09T08:00:00Z", closed="2023-01-10T10:00:00Z", assignees=("alice", "bob"))],
        "web": [gh_issue("web", 7, 910007, "Dark mode", "carol", "open", L("web", "enhancement"),
                         "2024-03-03T03:03:03Z"),
                gh_issue("web", 6, 910006, "Checkout button misaligned on Safari", "alice", "closed",
                         L("web", "bug"), "2024-02-14T10:00:00Z", closed="2024-02-15T11:11:11Z")],
        "infra": [],
    }
    pulls = {
        "api": [gh_pull("api", 43, 950043, "Retry idempotent requests on 503", "bob", "open",
                        "2024-06-09T10:00:00Z", "retry-503", labels=L("api", "enhancement"), reviewers=("alice",)),
                gh_pull("api", 41, 950041, "Bump golang.org/x/net from 0.22.0 to 0.23.0", "dependabot[bot]",
                        "closed", "2024-05-20T04:00:00Z", "dependabot/go_modules/golang.org/x/net-0.23.0",
                        merged="2024-05-21T09:30:00Z", closed="2024-05-21T09:30:00Z"),
                gh_pull("api", 39, 950039, "WIP: GraphQL endpoint", "carol", "closed", "2024-04-01T09:00:00Z",
                        "graphql", closed="2024-04-20T09:00:00Z", draft=True)],
        "web": [gh_pull("web", 8, 960008, "Dark mode toggle", "carol", "open", "2024-06-10T16:20:00Z",
                        "dark-mode", draft=True)],
        "infra": [],
    }
    releases = {
        "api": [gh_release("api", 1003, "v2.4.1", "v2.4.1", "alice", "2024-05-30T10:00:00Z",
                           "2024-05-30T10:05:00Z", assets=[("api-linux-amd64.tar.gz", 312),
                                                           ("api-darwin-arm64.tar.gz", 57)]),
                gh_release("api", 1002, "v2.5.0-rc.1", "v2.5.0 release candidate", "bob", "2024-06-08T10:00:00Z",
                           "2024-06-08T10:00:00Z", prerelease=True, assets=[("api-linux-amd64.tar.gz", 4)]),
                gh_release("api", 1004, "v2.5.0", "v2.5.0 (draft)", "bob", "2024-06-11T08:00:00Z", None,
                           draft=True)],
        "web": [gh_release("web", 2001, "2024.06.1", "June release", "carol", "2024-06-03T12:00:00Z",
                           "2024-06-03T12:00:00Z")],
        "infra": [],
    }
    members = [USERS["alice"], USERS["bob"], USERS["carol"]]
    h = dict(GH_H)
    demo = [
        rec("/orgs/demo-org/repos", repos[:2],
            headers=dict(h, link='<%s/organizations/9000/repos?per_page=2&page=2>; rel="next", '
                                 '<%s/organizations/9000/repos?per_page=2&page=2>; rel="last"' % (GH, GH))),
        rec("/organizations/9000/repos?per_page=2&page=2", repos[2:],
            headers=dict(h, link='<%s/organizations/9000/repos?per_page=2&page=1>; rel="prev", '
                                 '<%s/organizations/9000/repos?per_page=2&page=1>; rel="first"' % (GH, GH))),
        rec("/orgs/demo-org/members", members, headers=h),
    ]
    for r in ["api", "web", "infra"]:
        demo += [rec("/repos/demo-org/%s/issues" % r, issues[r], headers=h),
                 rec("/repos/demo-org/%s/pulls" % r, pulls[r], headers=h),
                 rec("/repos/demo-org/%s/releases" % r, releases[r], headers=h),
                 rec("/repos/demo-org/%s/labels" % r, labels[r], headers=h)]
    # detail calls of github_repositories ("hydrate"): the repository's own
    # GET (fields the list omits) and its default branch's protection --
    # api is protected, web and infra answer 404 "Branch not protected"
    for k, r in enumerate(repos):
        full = dict(r, subscribers_count=[14, 6, 1][k], network_count=[9, 3, 0][k],
                    security_and_analysis={
                        "secret_scanning": {"status": "enabled" if k == 0 else "disabled"},
                        "secret_scanning_push_protection": {"status": "enabled" if k == 0 else "disabled"},
                        "dependabot_security_updates": {"status": "enabled"}})
        demo.append(rec("/repos/demo-org/%s" % r["name"], full, headers=h))
        prot = "/repos/demo-org/%s/branches/main/protection" % r["name"]
        if k == 0:
            demo.append(rec(prot, {
                "url": GH + prot,
                "required_status_checks": {"strict": True, "contexts": ["ci/test"]},
                "enforce_admins": {"url": GH + prot + "/enforce_admins", "enabled": True},
                "required_pull_request_reviews": {"dismiss_stale_reviews": True,
                                                  "require_code_owner_reviews": False,
                                                  "required_approving_review_count": 2},
                "allow_force_pushes": {"enabled": False},
                "allow_deletions": {"enabled": False}}, headers=h))
        else:
            demo.append(rec(prot, {"message": "Branch not protected",
                                   "documentation_url": "https://docs.github.com/rest/branches/branch-protection#get-branch-protection"},
                            404, headers=h))
    # ?since= (issues updated at or after it), as GitHub answers it
    since = "2024-03-01T00:00:00Z"
    at = lambda ts: datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    demo.append(rec("/repos/demo-org/api/issues?since=" + since,
                    [i for i in issues["api"] if at(i["updated_at"]) >= at(since)], headers=h))
    errors = [
        rec("/orgs/no-such-org/repos", {"message": "Not Found",
                                        "documentation_url": "https://docs.github.com/rest/repos/repos#list-organization-repositories"},
            404, headers=h),
        rec("/repos/demo-org/private/issues", {"message": "Bad credentials",
                                               "documentation_url": "https://docs.github.com/rest"},
            401, headers={"content-type": "application/json; charset=utf-8"}),
        rec("/orgs/demo-org/members", {"message": "API rate limit exceeded for user ID 5001. If you reach out to "
                                                  "GitHub Support for help, please include the request ID "
                                                  "DEAD:BEEF:1234:5678:66680A1B.",
                                       "documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api"},
            403, headers=dict(h, **{"x-ratelimit-remaining": "0"})),
    ]
    return {"demo": demo, "errors": errors}


# ---------------------------------------------------------------------------
# Azure: subscription 11111111-2222-3333-4444-555555555555
# ---------------------------------------------------------------------------

SUB = "11111111-2222-3333-4444-555555555555"
AZ = "https://management.azure.com"
AZ_SCOPE = AZ + ":443"


def arm_id(rg, prov, typ, name):
    return "/subscriptions/%s/resourceGroups/%s/providers/%s/%s/%s" % (SUB, rg, prov, typ, name)


def azure():
    rg = "demo-rg"
    vnet_id = arm_id("net-rg", "Microsoft.Network", "virtualNetworks", "demo-vnet")
    subnet = lambda n: vnet_id + "/subnets/" + n

    def vm(name, size, nics, os_type="Linux", zone="1", created="2024-04-02T08:11:12.4367512+00:00",
           state="Succeeded", vmid=None):
        return {"name": name, "id": arm_id(rg, "Microsoft.Compute", "virtualMachines", name),
                "type": "Microsoft.Compute/virtualMachines", "location": "westeurope",
                "tags": {"env": "demo", "role": name.split("-")[1]}, "zones": [zone],
                "properties": {"vmId": vmid, "hardwareProfile": {"vmSize": size},
                               "storageProfile": {"imageReference": {"publisher": "Canonical",
                                                                     "offer": "0001-com-ubuntu-server-jammy",
                                                                     "sku": "22_04-lts-gen2", "version": "latest",
                                                                     "exactVersion": "22.04.202404010"},
                                                  "osDisk": {"osType": os_type, "name": name + "_OsDisk_1",
                                                             "createOption": "FromImage", "caching": "ReadWrite",
                                                             "managedDisk": {"storageAccountType": "Premium_LRS"},
                                                             "deleteOption": "Delete", "diskSizeGB": 30},
                                                  "dataDisks": []},
                               "osProfile": {"computerName": name, "adminUsername": "azureuser",
                                             "linuxConfiguration": {"disablePasswordAuthentication": True}},
                               "networkProfile": {"networkInterfaces": [
                                   {"id": arm_id(rg, "Microsoft.Network", "networkInterfaces", n),
                                    "properties": {"primary": k == 0}} for k, n in enumerate(nics)]},
                               "provisioningState": state, "timeCreated": created}}
    vms = [vm("vm-web-1", "Standard_D2s_v3", ["vm-web-1-nic"], vmid="3a5c1f0e-7b2d-4c8e-9f10-5d6e7f8a9b01"),
           vm("vm-web-2", "Standard_D2s_v3", ["vm-web-2-nic"], zone="2", vmid="3A5C1F0E-7B2D-4C8E-9F10-5D6E7F8A9B02"),
           vm("vm-db-1", "Standard_E4s_v5", ["vm-db-1-nic", "vm-db-1-nic-backup"], zone="1",
              created="2023-12-24T23:59:59.9999999+01:00", vmid="{3a5c1f0e-7b2d-4c8e-9f10-5d6e7f8a9b03}"),
           vm("vm-build-1", "Standard_F8s_v2", ["vm-build-1-nic"], zone="3", state="Failed",
              vmid="3a5c1f0e7b2d4c8e9f105d6e7f8a9b04")]
    vm_next = (AZ + "/subscriptions/%s/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01"
               "&%%24skiptoken=ZGVtby1wYWdlLTI%%3D" % SUB)

    def nic(name, mac, ip, sub, pip=None, vm_name=None, primary=True, accel=True):
        ipconf = {"name": "ipconfig1", "id": arm_id(rg, "Microsoft.Network", "networkInterfaces", name) +
                  "/ipConfigurations/ipconfig1",
                  "properties": {"provisioningState": "Succeeded", "privateIPAddress": ip,
                                 "privateIPAllocationMethod": "Dynamic", "subnet": {"id": subnet(sub)},
                                 "primary": True, "privateIPAddressVersion": "IPv4"}}
        if pip:
            ipconf["properties"]["publicIPAddress"] = {"id": arm_id(rg, "Microsoft.Network", "publicIPAddresses", pip)}
        n = {"name": name, "id": arm_id(rg, "Microsoft.Network", "networkInterfaces", name),
             "etag": None, "location": "westeurope", "tags": {},
             "type": "Microsoft.Network/networkInterfaces",
             "properties": {"provisioningState": "Succeeded",
                            "resourceGuid": None,
                            "ipConfigurations": [ipconf], "dnsSettings": {"dnsServers": [],
                                                                          "appliedDnsServers": []},
                            "macAddress": mac, "enableAcceleratedNetworking": accel, "enableIPForwarding": False,
                            "networkSecurityGroup": {"id": arm_id("net-rg", "Microsoft.Network",
                                                                  "networkSecurityGroups", "app-nsg")},
                            "primary": primary, "nicType": "Standard"}}
        if vm_name:
            n["properties"]["virtualMachine"] = {"id": arm_id(rg, "Microsoft.Compute", "virtualMachines", vm_name)}
        return n
    nics = [nic("vm-web-1-nic", "00-0D-3A-2B-4C-01", "10.1.1.4", "app", "pip-web-1", "vm-web-1"),
            nic("vm-web-2-nic", "00-0D-3A-2B-4C-02", "10.1.1.5", "app", "pip-web-2", "vm-web-2"),
            nic("vm-db-1-nic", "00-0D-3A-2B-4C-03", "10.1.2.4", "data", None, "vm-db-1"),
            nic("vm-db-1-nic-backup", "00-0D-3A-2B-4C-04", "10.1.2.5", "data", None, "vm-db-1", primary=False,
                accel=False),
            nic("vm-build-1-nic", "00-0D-3A-2B-4C-05", "10.1.1.10", "app", "pip-build", "vm-build-1"),
            nic("orphan-nic", "00-0D-3A-2B-4C-06", "10.1.1.99", "app")]
    # each resource its own etag and resourceGuid (numbered in list order;
    # check_unique() verifies no two resources share one)
    for k, n in enumerate(nics, 1):
        n["etag"] = "W/\"a%07d\"" % k
        n["properties"]["resourceGuid"] = "7e57%04x-1c2d-4e5f-8a9b-0c1d2e3f4a5b" % k

    def pip(name, ip, method="Static", sku="Standard", nicname=None, fqdn=None, ver="IPv4"):
        p = {"name": name, "id": arm_id(rg, "Microsoft.Network", "publicIPAddresses", name),
             "etag": None, "location": "westeurope", "zones": ["1", "2", "3"],
             "type": "Microsoft.Network/publicIPAddresses", "sku": {"name": sku, "tier": "Regional"},
             "properties": {"provisioningState": "Succeeded",
                            "resourceGuid": None,
                            "publicIPAddressVersion": ver, "publicIPAllocationMethod": method,
                            "idleTimeoutInMinutes": 4, "ipTags": []}}
        if ip:
            p["properties"]["ipAddress"] = ip
        if nicname:
            p["properties"]["ipConfiguration"] = {
                "id": arm_id(rg, "Microsoft.Network", "networkInterfaces", nicname) + "/ipConfigurations/ipconfig1"}
        if fqdn:
            p["properties"]["dnsSettings"] = {"domainNameLabel": fqdn, "fqdn": fqdn + ".westeurope.cloudapp.azure.com"}
        return p
    pips = [pip("pip-web-1", "20.61.10.1", nicname="vm-web-1-nic", fqdn="demo-web-1"),
            pip("pip-web-2", "20.61.10.2", nicname="vm-web-2-nic"),
            pip("pip-build", "51.124.7.200", method="Dynamic", sku="Basic", nicname="vm-build-1-nic"),
            pip("pip-unassigned", None, method="Dynamic", sku="Basic"),
            pip("pip-v6", "2603:1020:203:3::1a", ver="IPv6")]
    for k, p in enumerate(pips, 1):
        p["etag"] = "W/\"b%07d\"" % k
        p["properties"]["resourceGuid"] = "5190%04x-2d3e-4f50-9a1b-2c3d4e5f6a7b" % k
    for p in pips[3:4]:
        p.pop("zones")
    vnets = [{"name": "demo-vnet", "id": vnet_id, "etag": "W/\"c0000001\"", "type": "Microsoft.Network/virtualNetworks",
              "location": "westeurope", "tags": {"env": "demo"},
              "properties": {"provisioningState": "Succeeded", "resourceGuid": "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a00",
                             "addressSpace": {"addressPrefixes": ["10.1.0.0/16"]},
                             "dhcpOptions": {"dnsServers": ["10.1.0.4", "168.63.129.16"]},
                             "subnets": [{"name": n, "id": subnet(n), "properties": {
                                 "provisioningState": "Succeeded", "addressPrefix": pfx,
                                 "privateEndpointNetworkPolicies": "Disabled"}}
                                 for n, pfx in [("default", "10.1.0.0/24"), ("app", "10.1.1.0/24"),
                                                ("data", "10.1.2.0/24")]],
                             "virtualNetworkPeerings": [], "enableDdosProtection": False}},
             {"name": "hub-vnet", "id": arm_id("net-rg", "Microsoft.Network", "virtualNetworks", "hub-vnet"),
              "etag": "W/\"c0000002\"", "type": "Microsoft.Network/virtualNetworks", "location": "westeurope",
              "properties": {"provisioningState": "Succeeded", "resourceGuid": "0e1d2c3b-4a59-4687-9a6b-5c4d3e2f1a01",
                             "addressSpace": {"addressPrefixes": ["10.0.0.0/16", "fd00:db8:deca::/48"]},
                             "subnets": [{"name": "GatewaySubnet",
                                          "id": arm_id("net-rg", "Microsoft.Network", "virtualNetworks",
                                                       "hub-vnet") + "/subnets/GatewaySubnet",
                                          "properties": {"addressPrefix": "10.0.255.0/27",
                                                         "provisioningState": "Succeeded"}}],
                             "virtualNetworkPeerings": [], "enableDdosProtection": False}}]
    rgs = [{"id": "/subscriptions/%s/resourceGroups/%s" % (SUB, n), "name": n, "type": "Microsoft.Resources/resourceGroups",
            "location": loc, "managedBy": mb, "tags": tags, "properties": {"provisioningState": st}}
           for n, loc, mb, tags, st in [
               ("demo-rg", "westeurope", None, {"env": "demo"}, "Succeeded"),
               ("net-rg", "westeurope", None, {"env": "demo", "owner": "network-team"}, "Succeeded"),
               ("MC_aks-rg_demo-aks_westeurope", "westeurope",
                "/subscriptions/%s/resourcegroups/aks-rg/providers/Microsoft.ContainerService/managedClusters/demo-aks"
                % SUB, None, "Succeeded"),
               ("old-rg", "northeurope", None, {}, "Deleting")]]
    for g in rgs:
        if g["managedBy"] is None:
            del g["managedBy"]
        if g["tags"] is None:
            del g["tags"]
    S = "/subscriptions/" + SUB
    demo = [
        rec(S + "/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01",
            {"value": vms[:2], "nextLink": vm_next}, scope=AZ_SCOPE),
        rec(S + "/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01&%24skiptoken=ZGVtby1wYWdlLTI%3D",
            {"value": vms[2:]}, scope=AZ_SCOPE),
        rec(S + "/resourceGroups/demo-rg/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01",
            {"value": vms}, scope=AZ_SCOPE),
        rec(S + "/resourceGroups/empty-rg/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01",
            {"value": []}, scope=AZ_SCOPE),
        rec(S + "/providers/Microsoft.Network/networkInterfaces?api-version=2023-05-01", {"value": nics},
            scope=AZ_SCOPE),
        rec(S + "/providers/Microsoft.Network/publicIPAddresses?api-version=2023-05-01", {"value": pips},
            scope=AZ_SCOPE),
        rec(S + "/providers/Microsoft.Network/virtualNetworks?api-version=2023-05-01", {"value": vnets},
            scope=AZ_SCOPE),
        rec(S + "/resourcegroups?api-version=2021-04-01", {"value": rgs}, scope=AZ_SCOPE),
    ]
    errors = [
        rec(S + "/providers/Microsoft.Compute/virtualMachines?api-version=2023-03-01",
            {"error": {"code": "AuthorizationFailed",
                       "message": "The client '6f1d3c2b-0000-4000-8000-00000000abcd' with object id "
                                  "'6f1d3c2b-0000-4000-8000-00000000abcd' does not have authorization to perform "
                                  "action 'Microsoft.Compute/virtualMachines/read' over scope '/subscriptions/%s' "
                                  "or the scope is invalid. If access was recently granted, please refresh your "
                                  "credentials." % SUB}}, 403,
            {"content-type": "application/json; charset=utf-8", "x-ms-failure-cause": "gateway"}, scope=AZ_SCOPE),
        rec("/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups?api-version=2021-04-01",
            {"error": {"code": "SubscriptionNotFound",
                       "message": "The subscription '00000000-0000-0000-0000-000000000000' could not be found."}},
            404, scope=AZ_SCOPE),
    ]
    return {"demo": demo, "errors": errors}


# ---------------------------------------------------------------------------
# DigitalOcean
# ---------------------------------------------------------------------------

DO = "https://api.digitalocean.com"


def digitalocean():
    vpc_ams = "5a4981aa-9653-4bd1-bef5-d6bff52042e4"
    vpc_nyc = "0d3176ad-41e0-4021-b831-0c5c45c60959"

    def droplet(did, name, region, size, v4pub, v4priv, v6, vpc, tags, status="active", mem=2048, vcpus=1,
                disk=50, image="ubuntu-22-04-x64", created="2024-02-06T21:19:23Z", vols=()):
        nets = {"v4": [{"ip_address": v4priv, "netmask": "255.255.240.0", "gateway": "", "type": "private"}],
                "v6": []}
        if v4pub:
            nets["v4"].insert(0, {"ip_address": v4pub, "netmask": "255.255.240.0",
                                  "gateway": v4pub.rsplit(".", 1)[0] + ".1", "type": "public"})
        if v6:
            nets["v6"].append({"ip_address": v6, "netmask": 64, "gateway": "2A03:B0C0:0002:00D0:0000:0000:0000:0001",
                               "type": "public"})
        return {"id": did, "name": name, "memory": mem, "vcpus": vcpus, "disk": disk, "locked": False,
                "status": status, "kernel": None, "created_at": created,
                "features": ["monitoring", "droplet_agent"] + (["ipv6"] if v6 else []) + ["private_networking"],
                "backup_ids": [], "next_backup_window": None, "snapshot_ids": [],
                "image": {"id": 129211873, "name": "22.04 (LTS) x64", "distribution": "Ubuntu", "slug": image,
                          "public": True if image else False, "regions": ["nyc3", "ams3"],
                          "created_at": "2023-03-01T14:01:05Z", "min_disk_size": 7, "type": "base",
                          "size_gigabytes": 2.36, "description": "Ubuntu 22.04 x64", "tags": [],
                          "status": "available"},
                "volume_ids": list(vols), "size": {"slug": size, "memory": mem, "vcpus": vcpus, "disk": disk,
                                                   "transfer": 2.0, "price_monthly": 18.0, "price_hourly": 0.02679,
                                                   "regions": [region], "available": True},
                "size_slug": size, "networks": nets,
                "region": {"name": {"ams3": "Amsterdam 3", "nyc3": "New York 3"}[region], "slug": region,
                           "features": ["backups", "ipv6", "metadata"], "available": True,
                           "sizes": [size]},
                "tags": tags, "vpc_uuid": vpc}
    droplets = [
        droplet(412345001, "web-1", "ams3", "s-1vcpu-2gb", "188.166.1.10", "10.110.0.2",
                "2A03:B0C0:0002:00D0:0000:0000:0E2F:7001", vpc_ams, ["web", "prod"], vols=[
                    "506f78a4-e098-11e5-ad9f-000f53306ae1"]),
        droplet(412345002, "web-2", "ams3", "s-1vcpu-2gb", "188.166.1.11", "10.110.0.3",
                "2a03:b0c0:2:d0::e2f:7002", vpc_ams, ["web", "prod"]),
        droplet(412345003, "db-1", "nyc3", "s-4vcpu-8gb", None, "10.116.0.5", None, vpc_nyc, ["db", "prod"],
                mem=8192, vcpus=4, disk=160, vols=["506f78a4-e098-11e5-ad9f-000f53306ae2"]),
        droplet(412345004, "scratch", "nyc3", "s-1vcpu-1gb", "159.203.90.4", "10.116.0.9", None, vpc_nyc, [],
                status="off", mem=1024, image=None, created="2023-07-14T00:00:00Z"),
    ]
    droplets[3]["image"] = {"id": 150000001, "name": "scratch-snapshot", "distribution": "Ubuntu", "slug": None,
                            "public": False, "regions": ["nyc3"], "created_at": "2023-07-13T23:00:00Z",
                            "min_disk_size": 25, "type": "snapshot", "size_gigabytes": 4.1,
                            "description": None, "tags": [], "status": "available"}
    page1 = {"droplets": droplets[:2],
             "links": {"pages": {"last": DO + "/v2/droplets?page=2&per_page=2",
                                 "next": DO + "/v2/droplets?page=2&per_page=2"}},
             "meta": {"total": 4}}
    page2 = {"droplets": droplets[2:],
             "links": {"pages": {"first": DO + "/v2/droplets?page=1&per_page=2",
                                 "prev": DO + "/v2/droplets?page=1&per_page=2"}},
             "meta": {"total": 4}}
    by_tag = {"droplets": droplets[:2], "links": {}, "meta": {"total": 2}}
    empty_tag = {"droplets": [], "links": {}, "meta": {"total": 0}}
    region = lambda slug: {"name": {"ams3": "Amsterdam 3", "nyc3": "New York 3"}[slug], "slug": slug,
                           "sizes": [], "features": ["backups", "ipv6", "metadata"], "available": True}
    volumes = {"volumes": [
        {"id": "506f78a4-e098-11e5-ad9f-000f53306ae1", "region": region("ams3"), "droplet_ids": [412345001],
         "name": "web-1-uploads", "description": "Uploaded images", "size_gigabytes": 100,
         "created_at": "2024-02-06T21:30:00Z", "filesystem_type": "ext4", "filesystem_label": "uploads",
         "tags": ["web"]},
        {"id": "506f78a4-e098-11e5-ad9f-000f53306ae2", "region": region("nyc3"), "droplet_ids": [412345003],
         "name": "db-1-data", "description": "", "size_gigabytes": 500, "created_at": "2024-02-06T21:31:00Z",
         "filesystem_type": "xfs", "filesystem_label": "pgdata", "tags": ["db"]},
        {"id": "506f78a4-e098-11e5-ad9f-000f53306ae3", "region": region("nyc3"), "droplet_ids": [],
         "name": "detached-backup", "description": None, "size_gigabytes": 10, "created_at": "2022-12-01T10:00:00Z",
         "filesystem_type": "", "filesystem_label": "", "tags": []}],
        "links": {}, "meta": {"total": 3}}
    vol_nyc = dict(volumes, volumes=[v for v in volumes["volumes"] if v["region"]["slug"] == "nyc3"],
                   meta={"total": 2})
    vpcs = {"vpcs": [
        {"id": vpc_ams, "urn": "do:vpc:" + vpc_ams, "name": "default-ams3", "description": "",
         "region": "ams3", "ip_range": "10.110.0.0/20", "default": True, "created_at": "2020-03-13T18:48:45Z"},
        {"id": vpc_nyc, "urn": "do:vpc:" + vpc_nyc, "name": "prod-nyc3", "description": "Production network",
         "region": "nyc3", "ip_range": "10.116.0.0/20", "default": False, "created_at": "2021-05-04T12:00:00Z"},
        {"id": "7d3d6a1e-31a2-4b5b-8a0c-9e8f7a6b5c4d", "urn": "do:vpc:7d3d6a1e-31a2-4b5b-8a0c-9e8f7a6b5c4d",
         "name": "empty-lab", "description": "", "region": "nyc3", "ip_range": "10.200.0.0/24",
         "default": False, "created_at": "2024-06-01T00:00:00Z"}],
        "links": {}, "meta": {"total": 3}}
    firewalls = {"firewalls": [
        {"id": "bb4b2611-3d72-467b-8602-280330ecd65c", "name": "web", "status": "succeeded",
         "inbound_rules": [{"protocol": "tcp", "ports": "80", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
                           {"protocol": "tcp", "ports": "443", "sources": {"addresses": ["0.0.0.0/0", "::/0"]}},
                           {"protocol": "tcp", "ports": "22", "sources": {"addresses": ["203.0.113.0/24"]}}],
         "outbound_rules": [{"protocol": "tcp", "ports": "0",
                             "destinations": {"addresses": ["0.0.0.0/0", "::/0"]}}],
         "created_at": "2024-02-06T21:40:00Z", "droplet_ids": [412345001, 412345002], "tags": ["web"],
         "pending_changes": []},
        {"id": "bb4b2611-3d72-467b-8602-280330ecd65d", "name": "db", "status": "waiting",
         "inbound_rules": [{"protocol": "tcp", "ports": "5432", "sources": {"addresses": ["10.110.0.0/20"],
                                                                            "tags": ["web"]}}],
         "outbound_rules": [], "created_at": "2024-02-06T21:41:00Z", "droplet_ids": [412345003], "tags": [],
         "pending_changes": [{"droplet_id": 412345003, "removing": False, "status": "waiting"}]}],
        "links": {}, "meta": {"total": 2}}
    domains = {"domains": [
        {"name": "demo-shop.example", "ttl": 1800,
         "zone_file": "$ORIGIN demo-shop.example.\n$TTL 1800\ndemo-shop.example. IN SOA ns1.digitalocean.com. "
                      "hostmaster.demo-shop.example. 1718000000 10800 3600 604800 1800\n"
                      "demo-shop.example. 1800 IN A 188.166.1.10\n"},
        {"name": "internal.example", "ttl": 3600, "zone_file": None, "ip_address": None}],
        "links": {}, "meta": {"total": 2}}
    demo = [
        rec("/v2/droplets", page1),
        rec("/v2/droplets?page=2&per_page=2", page2),
        rec("/v2/droplets?tag_name=web&per_page=200", by_tag),
        rec("/v2/droplets?tag_name=nothing&per_page=200", empty_tag),
        rec("/v2/volumes", volumes),
        rec("/v2/volumes?region=nyc3&per_page=200", vol_nyc),
        rec("/v2/vpcs", vpcs),
        rec("/v2/firewalls", firewalls),
        rec("/v2/domains", domains),
    ]
    errors = [
        rec("/v2/droplets", {"id": "unauthorized", "message": "Unable to authenticate you"}, 401,
            {"content-type": "application/json; charset=utf-8", "ratelimit-limit": "5000",
             "ratelimit-remaining": "4999", "ratelimit-reset": "1718100000"}),
        rec("/v2/volumes", {"id": "too_many_requests", "message": "API Rate limit exceeded."}, 429,
            {"content-type": "application/json; charset=utf-8", "ratelimit-limit": "5000",
             "ratelimit-remaining": "0", "ratelimit-reset": "1718100000", "retry-after": "1"}),
        rec("/v2/vpcs", {"id": "not_found", "message": "The resource you were accessing could not be found.",
                         "request_id": "4d9d8375-3c56-4925-a3e7-eceb6ff0e4d4"}, 404),
    ]
    return {"demo": demo, "errors": errors}


BUILDERS = {"gcp": gcp, "kubernetes": k8s, "github": github, "azure": azure, "digitalocean": digitalocean}


# Values that identify one resource: two different objects of a scenario
# must not share one (the same resource listed twice, identical, may).
UNIQUE_KEYS = ("resourceGuid", "etag", "vmId", "macAddress", "mac_address", "node_id")


def check_unique(source, scenario, recs):
    """Problems (text) where two different objects share a UNIQUE_KEYS value."""
    owners = {}

    def walk(o):
        if isinstance(o, dict):
            for k in UNIQUE_KEYS:
                if isinstance(o.get(k), (str, int)):
                    owners.setdefault((k, o[k]), set()).add(json.dumps(o, sort_keys=True))
            for v in o.values():
                walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
    for r in recs:
        walk(r["response"])

    def distinct(objs):
        # a detail reply (GET of one resource) is the listed object plus
        # fields the list omits: the same resource, not another one
        ds = [json.loads(x) for x in objs]
        sub = lambda a, b: a is not b and all(k in b and b[k] == v for k, v in a.items())
        return [a for a in ds if not any(sub(a, b) for b in ds)]
    return ["%s/%s: %d objects share %s %s" % (source, scenario, len(objs), k, v)
            for (k, v), objs in sorted(owners.items(), key=str) if len(distinct(objs)) > 1]


def main():
    check = "--check" in sys.argv[1:]
    rc = 0
    for source, build in sorted(BUILDERS.items()):
        for scenario, recs in sorted(build().items()):
            dups = check_unique(source, scenario, recs)
            if dups:
                sys.stderr.write("make_fixtures: %s\n" % "\nmake_fixtures: ".join(dups))
                rc = 1
                continue
            # "errors" would shadow the shared github/errors recording
            scenario = "api-errors" if scenario == "errors" else scenario
            fn = os.path.join(OUT, source, scenario + ".json")
            text = json.dumps(recs, indent=1, ensure_ascii=False) + "\n"
            if check:
                try:
                    with open(fn) as f:
                        cur = f.read()
                except OSError:
                    cur = None
                if cur != text:
                    print("make_fixtures: %s is out of date" % os.path.relpath(fn, TOP))
                    rc = 1
                continue
            os.makedirs(os.path.dirname(fn), exist_ok=True)
            with open(fn, "w") as f:
                f.write(text)
            print("make_fixtures: wrote %s (%d recordings)" % (os.path.relpath(fn, TOP), len(recs)))
    return rc


if __name__ == "__main__":
    sys.exit(main())
