"""Deployment controller behaviour through kubectl: Recreate, pause/resume,
scale, undo, restart, patches, conflicts, cascading deletes and namespace
deletion. Pods use the virtual image (no processes) to stay fast."""

import json
import threading
import unittest

from kubesim_helper import Sim, deployment, wait_for, write_manifest

from kubernetes import client, watch

VIRTUAL = "kprof.test/virtual/app:v1"
FAST = {"schedule_ms": 10, "pull_ms": 20, "start_ms": 20, "ready_ms": 20}


def rs_by_revision(sim, app):
    return {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs
            for rs in sim.kubectl_json("get", "rs", "-l", "app=" + app)["items"]}


class Deployments(unittest.TestCase):
    def setUp(self):
        self.sim = Sim(config=FAST)

    def tearDown(self):
        self.sim.stop()

    def create(self, dep):
        self.sim.kubectl("create", "-f", write_manifest(self.sim, dep, dep["metadata"]["name"] + ".json"))
        self.sim.kubectl("rollout", "status", "deployment/" + dep["metadata"]["name"], "--timeout=30s")

    def test_recreate_never_overlaps(self):
        sim = self.sim
        self.create(deployment("rec", image=VIRTUAL, replicas=3, strategy={"type": "Recreate"}))
        rv = sim.get("/api/v1/namespaces/default/pods")["metadata"]["resourceVersion"]
        overlaps, hashes = [], set()
        done = threading.Event()

        def watcher():
            api = client.CoreV1Api(sim.python_client())
            state = {}
            for ev in watch.Watch().stream(api.list_namespaced_pod, "default", label_selector="app=rec",
                                           resource_version=rv, timeout_seconds=30):
                o = ev["raw_object"]
                # Pods in a terminal phase have no running containers; the
                # controller (like the real one) does not wait for their objects.
                if ev["type"] == "DELETED" or o["status"].get("phase") in ("Succeeded", "Failed"):
                    state.pop(o["metadata"]["name"], None)
                else:
                    state[o["metadata"]["name"]] = o["metadata"]["labels"]["pod-template-hash"]
                hs = set(state.values())
                hashes.update(hs)
                if len(hs) > 1:
                    overlaps.append(dict(state))
                if done.is_set() and len(state) == 3 and len(hs) == 1 and hs != {min(hashes)} and len(hashes) == 2:
                    return

        t = threading.Thread(target=watcher, daemon=True)
        t.start()
        sim.kubectl("set", "image", "deployment/rec", "app=kprof.test/virtual/app:v2")
        sim.kubectl("rollout", "status", "deployment/rec", "--timeout=30s")
        done.set()
        sim.kubectl("annotate", "pods", "-l", "app=rec", "poke=1")
        t.join(30)
        self.assertEqual(len(hashes), 2, hashes)
        self.assertEqual(overlaps, [], "Recreate ran old and new pods at once")
        revs = rs_by_revision(sim, "rec")
        self.assertEqual(revs["1"]["spec"]["replicas"], 0)
        self.assertEqual(revs["2"]["spec"]["replicas"], 3)

    def test_pause_resume_scale_undo_restart(self):
        sim = self.sim
        self.create(deployment("pr", image=VIRTUAL, replicas=2))
        sim.kubectl("rollout", "pause", "deployment/pr")
        sim.kubectl("set", "image", "deployment/pr", "app=kprof.test/virtual/app:v2")
        d = wait_for(lambda: (lambda d: d if d["status"]["observedGeneration"] == d["metadata"]["generation"] else None)(
            sim.kubectl_json("get", "deploy", "pr")), 10, what="observedGeneration")
        prog = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"][0]
        self.assertEqual((prog["status"], prog["reason"], prog["message"]), ("Unknown", "DeploymentPaused", "Deployment is paused"))
        self.assertEqual(list(rs_by_revision(sim, "pr")), ["1"], "no rollout while paused")
        sim.kubectl("rollout", "resume", "deployment/pr")
        sim.kubectl("rollout", "status", "deployment/pr", "--timeout=30s")
        self.assertEqual(sorted(rs_by_revision(sim, "pr")), ["1", "2"])

        # Scale through the scale subresource.
        sim.kubectl("scale", "deployment/pr", "--replicas=4")
        sim.kubectl("rollout", "status", "deployment/pr", "--timeout=30s")
        wait_for(lambda: len(sim.pods(selector="app=pr")) == 4, 10, what="4 pods")
        scale = sim.get("/apis/apps/v1/namespaces/default/deployments/pr/scale")
        self.assertEqual((scale["kind"], scale["apiVersion"], scale["spec"]["replicas"]), ("Scale", "autoscaling/v1", 4))
        self.assertEqual(scale["status"]["selector"], "app=pr")
        msgs = [e["message"] for e in sim.get("/api/v1/namespaces/default/events?fieldSelector=reason%3DScalingReplicaSet")["items"]]
        self.assertIn("Scaled up replica set %s from 2 to 4" % rs_by_revision(sim, "pr")["2"]["metadata"]["name"], msgs)

        # Undo goes back to revision 1's template, which becomes revision 3.
        old_rs = rs_by_revision(sim, "pr")["1"]["metadata"]["name"]
        sim.kubectl("rollout", "undo", "deployment/pr")
        sim.kubectl("rollout", "status", "deployment/pr", "--timeout=30s")
        revs = rs_by_revision(sim, "pr")
        self.assertEqual(sorted(revs), ["2", "3"])
        self.assertEqual(revs["3"]["metadata"]["name"], old_rs)
        self.assertEqual(revs["3"]["metadata"]["annotations"]["deployment.kubernetes.io/revision-history"], "1")
        self.assertEqual(revs["3"]["spec"]["replicas"], 4)

        # Restart stamps the template and rolls a new ReplicaSet.
        sim.kubectl("rollout", "restart", "deployment/pr")
        sim.kubectl("rollout", "status", "deployment/pr", "--timeout=30s")
        revs = rs_by_revision(sim, "pr")
        self.assertIn("4", revs)
        self.assertIn("kubectl.kubernetes.io/restartedAt", revs["4"]["spec"]["template"]["metadata"]["annotations"])

    def test_patches_and_conflicts(self):
        sim = self.sim
        dep = deployment("pt", image=VIRTUAL, replicas=1)
        dep["spec"]["template"]["spec"]["containers"].append({"name": "side", "image": VIRTUAL, "ports": [{"containerPort": 7070}]})
        self.create(dep)
        # Strategic merge: containers merge by name.
        sim.kubectl("patch", "deployment", "pt", "--type=strategic", "-p",
                    json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "side", "env": [{"name": "A", "value": "1"}]}]}}}}))
        cs = sim.kubectl_json("get", "deploy", "pt")["spec"]["template"]["spec"]["containers"]
        self.assertEqual([c["name"] for c in cs], ["app", "side"])
        self.assertEqual(cs[1]["env"], [{"name": "A", "value": "1"}])
        self.assertEqual(cs[1]["ports"][0]["containerPort"], 7070)
        # Merge patch replaces lists.
        sim.kubectl("patch", "deployment", "pt", "--type=merge", "-p",
                    json.dumps({"spec": {"template": {"spec": {"containers": [{"name": "only", "image": VIRTUAL}]}}}}))
        cs = sim.kubectl_json("get", "deploy", "pt")["spec"]["template"]["spec"]["containers"]
        self.assertEqual([c["name"] for c in cs], ["only"])
        self.assertEqual(cs[0]["imagePullPolicy"], "IfNotPresent", "defaults apply to patched templates")
        # JSON patch.
        sim.kubectl("patch", "deployment", "pt", "--type=json", "-p",
                    json.dumps([{"op": "replace", "path": "/spec/replicas", "value": 2},
                                {"op": "add", "path": "/metadata/labels/extra", "value": "x"}]))
        d = sim.kubectl_json("get", "deploy", "pt")
        self.assertEqual((d["spec"]["replicas"], d["metadata"]["labels"]["extra"]), (2, "x"))
        self.assertEqual(d["metadata"]["generation"], 4)
        # Optimistic concurrency.
        stale = dict(d)
        stale["metadata"] = dict(d["metadata"], resourceVersion="1")
        status, body, _ = sim.request("PUT", "/apis/apps/v1/namespaces/default/deployments/pt", stale)
        self.assertEqual((status, body["reason"]), (409, "Conflict"))
        self.assertIn("the object has been modified", body["message"])
        status, body, _ = sim.request("PUT", "/apis/apps/v1/namespaces/default/deployments/pt", d)
        self.assertEqual(status, 200)
        # Validation.
        bad = deployment("bad", image=VIRTUAL)
        bad["spec"]["selector"]["matchLabels"] = {"app": "other"}
        status, body, _ = sim.request("POST", "/apis/apps/v1/namespaces/default/deployments", bad)
        self.assertEqual((status, body["reason"]), (422, "Invalid"))
        self.assertIn("`selector` does not match template `labels`", body["message"])

    def test_kubectl_create_deployment_protobuf(self):
        # kubectl create namespace/deployment send protobuf bodies.
        sim = self.sim
        sim.kubectl("create", "namespace", "pb")
        sim.kubectl("-n", "pb", "create", "deployment", "pbd", "--image=" + VIRTUAL, "--replicas=2", "--port=6060")
        sim.kubectl("-n", "pb", "rollout", "status", "deployment/pbd", "--timeout=30s")
        d = sim.kubectl_json("-n", "pb", "get", "deploy", "pbd")
        self.assertEqual(d["metadata"]["labels"], {"app": "pbd"})
        self.assertEqual(d["spec"]["replicas"], 2)
        self.assertEqual(d["spec"]["selector"], {"matchLabels": {"app": "pbd"}})
        tmpl = d["spec"]["template"]
        self.assertIsNone(tmpl["metadata"]["creationTimestamp"])
        c = tmpl["spec"]["containers"][0]
        self.assertEqual((c["name"], c["image"], c["ports"]), ("app", VIRTUAL, [{"containerPort": 6060, "protocol": "TCP"}]))
        self.assertEqual(len(sim.pods("pb", "app=pbd")), 2)
        sim.kubectl("create", "deployment", "zero", "--image=" + VIRTUAL, "--replicas=0")
        self.assertEqual(sim.kubectl_json("get", "deploy", "zero")["spec"]["replicas"], 0)

    def test_cascading_and_namespace_delete(self):
        sim = self.sim
        sim.kubectl("create", "namespace", "tmp")
        dep = deployment("gc", image=VIRTUAL, replicas=2, ns="tmp")
        sim.kubectl("create", "-f", write_manifest(sim, dep))
        sim.kubectl("-n", "tmp", "rollout", "status", "deployment/gc", "--timeout=30s")
        orphan = deployment("orph", image=VIRTUAL, replicas=1, ns="tmp")
        sim.kubectl("create", "-f", write_manifest(sim, orphan, "orph.json"))
        sim.kubectl("-n", "tmp", "rollout", "status", "deployment/orph", "--timeout=30s")

        out = sim.kubectl("-n", "tmp", "delete", "deployment", "gc").stdout
        self.assertIn('deployment.apps "gc" deleted', out)
        wait_for(lambda: not sim.pods("tmp", "app=gc") and not sim.get("/apis/apps/v1/namespaces/tmp/replicasets?labelSelector=app%3Dgc")["items"],
                 20, what="dependents of gc to be collected")
        sim.kubectl("-n", "tmp", "delete", "deployment", "orph", "--cascade=orphan")
        rs = wait_for(lambda: [r for r in sim.get("/apis/apps/v1/namespaces/tmp/replicasets?labelSelector=app%3Dorph")["items"]
                               if not r["metadata"].get("ownerReferences")], 10, what="orphaned ReplicaSet")
        self.assertEqual(len(rs), 1)
        self.assertEqual(len(sim.pods("tmp", "app=orph")), 1)

        status, body, _ = sim.request("DELETE", "/api/v1/namespaces/tmp")
        self.assertEqual((status, body["kind"], body["status"]["phase"]), (200, "Namespace", "Terminating"))
        status, body, _ = sim.request("POST", "/api/v1/namespaces/tmp/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "late"},
            "spec": {"containers": [{"name": "app", "image": VIRTUAL}]}})
        self.assertEqual(status, 403)
        wait_for(lambda: sim.request("GET", "/api/v1/namespaces/tmp")[0] == 404, 20, what="namespace to go away")
        self.assertEqual(sim.get("/api/v1/pods?fieldSelector=metadata.namespace%3Dtmp")["items"], [])
        status, body, _ = sim.request("POST", "/api/v1/namespaces/tmp/pods", {
            "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
            "spec": {"containers": [{"name": "app", "image": VIRTUAL}]}})
        self.assertEqual((status, body["message"]), (404, 'namespaces "tmp" not found'))


if __name__ == "__main__":
    unittest.main()
