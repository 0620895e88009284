"""python3-kubernetes against kubesim: typed lists, watch streams, paging,
label and field selectors, 410 handling, dropped watches, token and TLS
authentication."""

import json
import os
import time
import unittest

from kubesim_helper import Sim, WatchLog, deployment, wait_for

from kubernetes import client, watch
from kubernetes.client.rest import ApiException

VIRTUAL = "kprof.test/virtual/app:v1"


def pod(name, labels=None, image=VIRTUAL, ns="default"):
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": ns, "labels": labels or {}},
            "spec": {"containers": [{"name": "app", "image": image}]}}


class PythonClient(unittest.TestCase):
    def setUp(self):
        self.sim = Sim(config={"schedule_ms": 10, "pull_ms": 20, "start_ms": 10, "ready_ms": 10})
        self.api = self.sim.python_client()
        self.core = client.CoreV1Api(self.api)
        self.apps = client.AppsV1Api(self.api)

    def tearDown(self):
        self.sim.stop()

    def test_typed_lists(self):
        dep = deployment("virt", image=VIRTUAL, replicas=2)
        self.apps.create_namespaced_deployment("default", dep)
        wait_for(lambda: (self.apps.read_namespaced_deployment("virt", "default").status.available_replicas or 0) == 2,
                 20, what="deployment available")
        pods = self.core.list_namespaced_pod("default", label_selector="app=virt")
        self.assertEqual(len(pods.items), 2)
        self.assertTrue(int(pods.metadata.resource_version) > 0)
        for p in pods.items:
            self.assertEqual(p.status.phase, "Running")
            self.assertTrue(p.status.container_statuses[0].ready)
            self.assertEqual(p.metadata.owner_references[0].kind, "ReplicaSet")
            self.assertIsNotNone(p.status.start_time)
            self.assertEqual(p.spec.containers[0].termination_message_path, "/dev/termination-log")
            self.assertTrue(p.spec.volumes[0].name.startswith("kube-api-access-"))
        deps = self.apps.list_namespaced_deployment("default")
        self.assertEqual([d.metadata.name for d in deps.items], ["virt"])
        d = deps.items[0]
        self.assertEqual(d.spec.strategy.rolling_update.max_surge, "25%")
        self.assertEqual(d.spec.revision_history_limit, 10)
        self.assertEqual(d.spec.progress_deadline_seconds, 600)
        self.assertEqual(d.status.ready_replicas, 2)
        rss = self.apps.list_replica_set_for_all_namespaces(label_selector="app=virt")
        self.assertEqual(len(rss.items), 1)
        self.assertEqual(rss.items[0].metadata.annotations["deployment.kubernetes.io/revision"], "1")
        nss = {n.metadata.name for n in self.core.list_namespace().items}
        self.assertTrue({"default", "kube-system"} <= nss)
        nodes = self.core.list_node().items
        self.assertEqual([n.metadata.name for n in nodes], ["node-a", "node-b"])
        self.assertEqual([c.type for c in nodes[0].status.conditions if c.status == "True"], ["Ready"])
        with self.assertRaises(ApiException) as e:
            self.core.read_namespaced_pod("nope", "default")
        self.assertEqual(e.exception.status, 404)
        status = json.loads(e.exception.body)
        self.assertEqual((status["kind"], status["reason"], status["message"]), ("Status", "NotFound", 'pods "nope" not found'))
        with self.assertRaises(ApiException) as e:
            self.apps.create_namespaced_deployment("default", dep)
        self.assertEqual((e.exception.status, json.loads(e.exception.body)["reason"]), (409, "AlreadyExists"))

    def test_watch_added_modified_deleted(self):
        rv = self.core.list_namespaced_pod("default").metadata.resource_version
        self.core.create_namespaced_pod("default", pod("w1", {"app": "w"}))
        self.core.patch_namespaced_pod("w1", "default", {"metadata": {"labels": {"extra": "1"}}})
        self.core.delete_namespaced_pod("w1", "default")
        types = []
        last_rv = 0
        for ev in watch.Watch().stream(self.core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=5):
            self.assertEqual(ev["object"].metadata.name, "w1")
            new_rv = int(ev["object"].metadata.resource_version)
            self.assertGreater(new_rv, last_rv)
            last_rv = new_rv
            types.append(ev["type"])
            if ev["type"] == "DELETED":
                break
        self.assertEqual(types[0], "ADDED")
        self.assertIn("MODIFIED", types)
        self.assertEqual(types[-1], "DELETED")
        # A watch without a resourceVersion starts with the current objects.
        self.core.create_namespaced_pod("default", pod("w2"))
        first = next(iter(watch.Watch().stream(self.core.list_namespaced_pod, "default", timeout_seconds=2)))
        self.assertEqual((first["type"], first["object"].metadata.name), ("ADDED", "w2"))

    def test_paging(self):
        r = self.sim.sim("seed", {"namespace": "bench", "count": 1200, "labels": {"tier": "bench"}})
        self.assertEqual(r["created"], 1200)
        names, pages, cont, rvs = [], 0, None, set()
        while True:
            kw = {"limit": 500}
            if cont:
                kw["_continue"] = cont
            page = self.core.list_namespaced_pod("bench", **kw)
            pages += 1
            names += [p.metadata.name for p in page.items]
            rvs.add(page.metadata.resource_version)
            if pages == 1:
                self.assertEqual(page.metadata.remaining_item_count, 700)
                # Changes after the first page do not show up in later pages.
                self.core.delete_namespaced_pod("p-01100", "bench", grace_period_seconds=0)
            cont = page.metadata._continue
            if not cont:
                break
        self.assertEqual(pages, 3)
        self.assertEqual(len(names), 1200)
        self.assertEqual(names, sorted(names))
        self.assertEqual(len(rvs), 1, "all pages come from one snapshot")
        self.assertEqual(len(self.core.list_namespaced_pod("bench").items), 1199)
        # resourceVersion=0 is served "from the cache": limit is ignored.
        whole = self.core.list_namespaced_pod("bench", limit=10, resource_version="0")
        self.assertEqual((len(whole.items), whole.metadata._continue), (1199, None))
        # A seeded pod is realistically sized.
        raw = self.sim.get("/api/v1/namespaces/bench/pods/p-00001")
        self.assertGreater(len(json.dumps(raw)), 3000)
        self.assertEqual(raw["status"]["phase"], "Running")
        self.assertEqual(raw["metadata"]["labels"]["tier"], "bench")

    def test_selectors(self):
        specs = {"a": {"app": "x", "tier": "web"}, "b": {"app": "x", "tier": "db"}, "c": {"app": "y"}, "d": {}}
        for n, labels in specs.items():
            self.core.create_namespaced_pod("default", pod(n, labels))
        wait_for(lambda: all(p.status.phase == "Running" for p in self.core.list_namespaced_pod("default").items), 20,
                 what="pods running")

        def names(**kw):
            return sorted(p.metadata.name for p in self.core.list_namespaced_pod("default", **kw).items)

        self.assertEqual(names(label_selector="app=x"), ["a", "b"])
        self.assertEqual(names(label_selector="app==x,tier=db"), ["b"])
        self.assertEqual(names(label_selector="app!=x"), ["c", "d"])
        self.assertEqual(names(label_selector="tier in (web,db)"), ["a", "b"])
        self.assertEqual(names(label_selector="tier notin (web)"), ["b", "c", "d"])
        self.assertEqual(names(label_selector="tier"), ["a", "b"])
        self.assertEqual(names(label_selector="!tier"), ["c", "d"])
        self.assertEqual(names(field_selector="metadata.name=c"), ["c"])
        self.assertEqual(names(field_selector="metadata.name!=c,metadata.namespace=default"), ["a", "b", "d"])
        self.assertEqual(names(field_selector="status.phase=Running"), ["a", "b", "c", "d"])
        self.assertEqual(names(field_selector="status.phase=Pending"), [])
        by_node = {}
        for p in self.core.list_namespaced_pod("default").items:
            by_node.setdefault(p.spec.node_name, []).append(p.metadata.name)
        self.assertEqual(set(by_node), {"node-a", "node-b"})
        for node, ns in by_node.items():
            self.assertEqual(names(field_selector="spec.nodeName=" + node), sorted(ns))
        self.assertEqual(len(self.core.list_pod_for_all_namespaces(field_selector="spec.nodeName=node-a", label_selector="app").items),
                         len([n for n in by_node["node-a"] if n != "d"]))
        with self.assertRaises(ApiException) as e:
            self.core.list_namespaced_pod("default", field_selector="spec.bogus=1")
        self.assertEqual(e.exception.status, 400)
        self.assertIn("field label not supported", json.loads(e.exception.body)["message"])
        with self.assertRaises(ApiException) as e:
            self.core.list_namespaced_pod("default", label_selector="app in (x")
        self.assertEqual(e.exception.status, 400)
        # Events selectors, both APIs.
        ev = self.sim.get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3Da,reason%3DScheduled")
        self.assertEqual(len(ev["items"]), 1)
        ev2 = self.sim.get("/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3Da,reason%3DScheduled")
        self.assertEqual([e["metadata"]["name"] for e in ev2["items"]], [ev["items"][0]["metadata"]["name"]])

    def test_watch_410_after_expire(self):
        rv = self.core.list_namespaced_pod("default").metadata.resource_version
        self.core.create_namespaced_pod("default", pod("e1"))
        self.core.create_namespaced_pod("default", pod("e1b"))
        log = WatchLog(self.sim, "/api/v1/namespaces/default/pods?watch=1&resourceVersion=%s" % rv)
        wait_for(lambda: log.snapshot(), 10, what="first watch event")
        page = self.core.list_namespaced_pod("default", limit=1)
        self.assertTrue(page.metadata._continue)
        self.core.create_namespaced_pod("default", pod("e2"))
        self.sim.sim("faults/expire")
        self.assertTrue(log.join(10), "watch did not end after the 410")
        last = log.snapshot()[-1]
        self.assertEqual(last["type"], "ERROR")
        self.assertEqual((last["object"]["kind"], last["object"]["code"], last["object"]["reason"]), ("Status", 410, "Expired"))
        # Watching from the old RV now gets the 410 inside the stream (python raises it).
        with self.assertRaises(ApiException) as e:
            for _ in watch.Watch().stream(self.core.list_namespaced_pod, "default", resource_version=rv, timeout_seconds=5):
                pass
        self.assertEqual(e.exception.status, 410)
        # Continue tokens from before the compaction expire too.
        with self.assertRaises(ApiException) as e:
            self.core.list_namespaced_pod("default", limit=1, _continue=page.metadata._continue)
        self.assertEqual(e.exception.status, 410)
        self.assertEqual(json.loads(e.exception.body)["reason"], "Expired")
        status, body, _ = self.sim.request("GET", "/api/v1/pods?resourceVersion=%s&resourceVersionMatch=Exact" % rv)
        self.assertEqual((status, body["reason"]), (410, "Expired"))
        # The current RV still works.
        cur = self.core.list_namespaced_pod("default").metadata.resource_version
        self.core.create_namespaced_pod("default", pod("e3"))
        got = next(iter(watch.Watch().stream(self.core.list_namespaced_pod, "default", resource_version=cur,
                                             field_selector="metadata.name=e3", timeout_seconds=5)))
        self.assertEqual((got["type"], got["object"].metadata.name), ("ADDED", "e3"))

    def test_history_window_and_bookmarks(self):
        with Sim(config={"history": 20, "bookmark_ms": 200}) as sim:
            api = client.CoreV1Api(sim.python_client())
            rv = api.list_namespaced_pod("default").metadata.resource_version
            sim.sim("seed", {"namespace": "default", "count": 30})
            status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=2&resourceVersion=" + rv, raw=True)
            lines = [json.loads(l) for l in body.splitlines() if l.strip()]
            self.assertEqual(status, 200)
            self.assertEqual(len(lines), 1)
            self.assertEqual((lines[0]["type"], lines[0]["object"]["code"]), ("ERROR", 410))
            cur = api.list_namespaced_pod("default").metadata.resource_version
            status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods?watch=1&timeoutSeconds=1"
                                          "&allowWatchBookmarks=true&resourceVersion=" + cur, raw=True)
            evs = [json.loads(l) for l in body.splitlines() if l.strip()]
            self.assertTrue(evs)
            for e in evs:
                self.assertEqual(e["type"], "BOOKMARK")
                self.assertEqual(e["object"]["kind"], "Pod")
                self.assertEqual(e["object"]["metadata"], {"resourceVersion": cur})

    def test_drop_watches_ends_stream(self):
        self.core.create_namespaced_pod("default", pod("d1"))
        seen = []
        t0 = time.monotonic()
        import threading
        threading.Timer(1.0, lambda: self.sim.sim("faults/drop-watches")).start()
        for ev in watch.Watch().stream(self.core.list_namespaced_pod, "default", timeout_seconds=30):
            seen.append(ev["type"])
        took = time.monotonic() - t0
        self.assertIn("ADDED", seen)
        self.assertLess(took, 10, "the stream should end when the watches are dropped")
        self.assertGreater(took, 0.9)


class Auth(unittest.TestCase):
    def test_token(self):
        with Sim(token="s3cret") as sim:
            status, body, hdrs = sim.request("GET", "/api/v1/pods", auth=False)
            self.assertEqual(status, 401)
            self.assertEqual(body, {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                                    "message": "Unauthorized", "reason": "Unauthorized", "code": 401})
            status, body, _ = sim.request("GET", "/api/v1/pods", auth=False, headers={"Authorization": "Bearer wrong"})
            self.assertEqual(status, 401)
            self.assertEqual(sim.get("/api/v1/pods")["kind"], "PodList")
            with open(sim.kubeconfig) as f:
                self.assertIn("token: s3cret", f.read())
            # kubectl (client-go) never sends credentials over plain http: 401.
            p = sim.kubectl("get", "pods", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn("You must be logged in to the server", p.stderr)
            core = client.CoreV1Api(sim.python_client())
            self.assertEqual(core.list_namespaced_pod("default").items, [])
            # /sim helpers stay open on loopback.
            self.assertEqual(sim.sim("pods", method="GET"), {"pods": []})

    def test_tls_and_client_certificates(self):
        with Sim(tls=True) as sim:
            self.assertTrue(sim.url.startswith("https://"))
            with open(sim.kubeconfig) as f:
                kc = f.read()
            self.assertIn("certificate-authority-data:", kc)
            self.assertIn("client-certificate-data:", kc)
            # No client certificate → 401; kubectl and python use the kubeconfig's.
            status, body, _ = sim.request("GET", "/api/v1/namespaces")
            self.assertEqual((status, body["reason"]), (401, "Unauthorized"))
            self.assertIn("default", sim.kubectl("get", "ns").stdout)
            core = client.CoreV1Api(sim.python_client())
            self.assertIn("kube-system", [n.metadata.name for n in core.list_namespace().items])
            for f in ("ca.crt", "server.crt", "server.key", "client.crt", "client.key"):
                self.assertTrue(os.path.exists(os.path.join(sim.dir, "tls", f)), f)

    def test_tls_with_token(self):
        with Sim(tls=True, token="tok") as sim:
            with open(sim.kubeconfig) as f:
                kc = f.read()
            self.assertIn("token: tok", kc)
            self.assertNotIn("client-certificate-data", kc)
            self.assertIn("default", sim.kubectl("get", "ns").stdout)
            status, _, _ = sim.request("GET", "/api/v1/namespaces", auth=False)
            self.assertEqual(status, 401)


if __name__ == "__main__":
    unittest.main()
