"""kubectl against kubesim: get (JSON and tables), create, rollout status,
set image (a real rolling update), pod proxy, events in both APIs, and a
failing rollout (ProgressDeadlineExceeded)."""

import re
import threading
import time
import unittest

from kubesim_helper import Sim, deployment, gunzip, wait_for, write_manifest

# Pods here run the real workload; -busy 0 keeps them off the CPU.
QUIET = ["-busy", "0"]


class KubectlRollout(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = Sim(config={"pull_ms": 150, "start_ms": 50, "ready_ms": 100, "schedule_ms": 20})

    @classmethod
    def tearDownClass(cls):
        cls.sim.stop()

    def test_create_rollout_get_proxy_set_image(self):
        sim = self.sim
        dep = deployment("web", replicas=3, args=QUIET,
                         strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 1}})
        out = sim.kubectl("create", "-f", write_manifest(sim, dep)).stdout
        self.assertIn("deployment.apps/web created", out)
        p = sim.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        self.assertIn('deployment "web" successfully rolled out', p.stdout)

        # kubectl get pods -o json: shapes of a real server.
        pods = sim.kubectl_json("get", "pods", "-l", "app=web")["items"]
        self.assertEqual(len(pods), 3)
        nodes = {n["metadata"]["name"] for n in sim.kubectl_json("get", "nodes")["items"]}
        for pod in pods:
            md, spec, st = pod["metadata"], pod["spec"], pod["status"]
            self.assertEqual(pod["kind"], "Pod")
            self.assertRegex(md["name"], r"^web-[bcdfghjklmnpqrstvwxz2456789]+-[bcdfghjklmnpqrstvwxz2456789]{5}$")
            self.assertEqual(md["labels"]["pod-template-hash"], md["name"].split("-")[1])
            ref = md["ownerReferences"][0]
            self.assertEqual((ref["kind"], ref["apiVersion"], ref["controller"]), ("ReplicaSet", "apps/v1", True))
            self.assertIn(spec["nodeName"], nodes)
            self.assertEqual(st["phase"], "Running")
            self.assertRegex(st["podIP"], r"^127\.1\.\d+\.\d+$")
            self.assertEqual([c["type"] for c in st["conditions"]],
                             ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"])
            for c in st["conditions"]:
                self.assertEqual(c["status"], "True")
                self.assertRegex(c["lastTransitionTime"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
            cs = st["containerStatuses"][0]
            self.assertTrue(cs["ready"])
            self.assertTrue(cs["started"])
            self.assertEqual(cs["restartCount"], 0)
            self.assertEqual(cs["image"], "kprof.test/workload:v1")
            self.assertRegex(cs["imageID"], r"^kprof\.test/workload@sha256:[0-9a-f]{64}$")
            self.assertRegex(cs["containerID"], r"^containerd://[0-9a-f]{64}$")
            self.assertIn("startedAt", cs["state"]["running"])

        # Tables: kubectl prints the server's columns.
        lines = sim.kubectl("get", "deploy", "web").stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"])
        self.assertEqual(lines[1].split()[:4], ["web", "3/3", "3", "3"])
        lines = sim.kubectl("get", "pods", "-l", "app=web").stdout.splitlines()
        self.assertEqual(lines[0].split(), ["NAME", "READY", "STATUS", "RESTARTS", "AGE"])
        for line in lines[1:]:
            self.assertEqual(line.split()[1:4], ["1/1", "Running", "0"])

        # The pods' processes serve pprof through the API server's pod proxy.
        name = pods[0]["metadata"]["name"]
        heap = sim.kubectl("get", "--raw", "/api/v1/namespaces/default/pods/%s:6060/proxy/debug/pprof/heap" % name,
                           binary_output=True).stdout
        self.assertEqual(heap[:2], b"\x1f\x8b")
        self.assertIn(b"inuse_space", gunzip(heap))
        status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods/http:%s:6060/proxy/debug/pprof/" % name, raw=True)
        self.assertEqual(status, 200)
        self.assertIn(b"goroutine", body)

        # Rolling update, watched pod by pod.
        steps = []
        stop = threading.Event()
        rv = sim.get("/api/v1/namespaces/default/pods?labelSelector=app%3Dweb")["metadata"]["resourceVersion"]

        def watch():
            from kubernetes import client, watch as kwatch
            api = client.CoreV1Api(sim.python_client())
            state = {p["metadata"]["name"]: p for p in pods}
            w = kwatch.Watch()
            for ev in w.stream(api.list_namespaced_pod, "default", label_selector="app=web",
                               resource_version=rv, timeout_seconds=60):
                obj = ev["raw_object"]
                n = obj["metadata"]["name"]
                if ev["type"] == "DELETED":
                    state.pop(n, None)
                else:
                    state[n] = obj
                live = [p for p in state.values() if not p["metadata"].get("deletionTimestamp")]
                ready = [p for p in live if any(c["type"] == "Ready" and c["status"] == "True"
                                                for c in p["status"].get("conditions", []))]
                steps.append((len(live), len(ready)))
                if stop.is_set():
                    w.stop()

        t = threading.Thread(target=watch, daemon=True)
        t.start()
        out = sim.kubectl("set", "image", "deployment/web", "app=kprof.test/workload:v2").stdout
        self.assertIn("image updated", out)
        sim.kubectl("rollout", "status", "deployment/web", "--timeout=60s")
        wait_for(lambda: all(p["spec"]["containers"][0]["image"].endswith(":v2") for p in sim.pods(selector="app=web"))
                 and len(sim.pods(selector="app=web")) == 3, 30, what="old pods to be gone")
        stop.set()
        # One more change wakes the watcher so it can stop.
        sim.kubectl("label", "pods", "-l", "app=web", "touched=yes", "--overwrite")
        t.join(30)
        self.assertTrue(steps, "the watch saw no pod changes")
        self.assertLessEqual(max(s[0] for s in steps), 3 + 1, "maxSurge=1 exceeded: %r" % steps)
        self.assertGreaterEqual(min(s[1] for s in steps), 3 - 1, "maxUnavailable=1 exceeded: %r" % steps)
        self.assertGreaterEqual(max(s[0] for s in steps), 4, "a surge pod was expected: %r" % steps)

        rss = sim.kubectl_json("get", "rs", "-l", "app=web")["items"]
        self.assertEqual(len(rss), 2)
        by_rev = {rs["metadata"]["annotations"]["deployment.kubernetes.io/revision"]: rs for rs in rss}
        self.assertEqual(set(by_rev), {"1", "2"})
        self.assertEqual(by_rev["1"]["spec"]["replicas"], 0)
        self.assertEqual(by_rev["2"]["spec"]["replicas"], 3)
        self.assertEqual(by_rev["2"]["metadata"]["annotations"]["deployment.kubernetes.io/desired-replicas"], "3")
        self.assertEqual(by_rev["2"]["metadata"]["annotations"]["deployment.kubernetes.io/max-replicas"], "4")
        self.assertEqual(by_rev["2"]["spec"]["template"]["spec"]["containers"][0]["image"], "kprof.test/workload:v2")
        d = sim.kubectl_json("get", "deploy", "web")
        self.assertEqual(d["metadata"]["generation"], 2)
        self.assertEqual(d["metadata"]["annotations"]["deployment.kubernetes.io/revision"], "2")
        st = d["status"]
        self.assertEqual((st["observedGeneration"], st["replicas"], st["updatedReplicas"], st["readyReplicas"],
                          st["availableReplicas"]), (2, 3, 3, 3, 3))
        conds = {c["type"]: c for c in st["conditions"]}
        self.assertEqual(conds["Available"]["reason"], "MinimumReplicasAvailable")
        self.assertEqual(conds["Progressing"]["reason"], "NewReplicaSetAvailable")
        self.assertEqual(conds["Progressing"]["message"],
                         'ReplicaSet "%s" has successfully progressed.' % by_rev["2"]["metadata"]["name"])
        hist = sim.kubectl("rollout", "history", "deployment/web").stdout
        self.assertRegex(hist, r"(?m)^1\s+<none>$")
        self.assertRegex(hist, r"(?m)^2\s+<none>$")

        # Events: the same events through core/v1 and events.k8s.io/v1.
        new_pod = sim.pods(selector="app=web")[0]["metadata"]["name"]
        core = sim.get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D" + new_pod)["items"]
        reasons = {e["reason"] for e in core}
        self.assertTrue({"Scheduled", "Pulled", "Created", "Started"} <= reasons, reasons)
        pulled = [e for e in core if e["reason"] == "Pulled"][0]
        self.assertRegex(pulled["message"],
                         r'^(Successfully pulled image "kprof\.test/workload:v2" in \d+(\.\d+)?m?s '
                         r'\(\d+(\.\d+)?m?s including waiting\)\. Image size: \d+ bytes\.'
                         r'|Container image "kprof\.test/workload:v2" already present on machine)$')
        self.assertEqual(pulled["source"]["component"], "kubelet")
        self.assertEqual(pulled["involvedObject"]["fieldPath"], "spec.containers{app}")
        self.assertEqual(pulled["count"], 1)
        sched = [e for e in core if e["reason"] == "Scheduled"][0]
        self.assertRegex(sched["message"], r"^Successfully assigned default/%s to node-[ab]$" % new_pod)
        self.assertRegex(sched["eventTime"], r"\.\d{6}Z$")
        v1 = sim.get("/apis/events.k8s.io/v1/namespaces/default/events?fieldSelector=regarding.name%3D" + new_pod)
        self.assertEqual(v1["kind"], "EventList")
        self.assertEqual(v1["apiVersion"], "events.k8s.io/v1")
        notes = {e["reason"]: e for e in v1["items"]}
        self.assertEqual(set(notes), reasons)
        self.assertEqual(notes["Pulled"]["note"], pulled["message"])
        self.assertEqual(notes["Pulled"]["deprecatedCount"], 1)
        self.assertEqual(notes["Pulled"]["regarding"]["uid"], pulled["involvedObject"]["uid"])
        self.assertEqual(notes["Scheduled"]["reportingController"], "default-scheduler")
        self.assertEqual(notes["Scheduled"]["eventTime"], sched["eventTime"])
        dep_events = sim.get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.kind%3DDeployment")["items"]
        msgs = [e["message"] for e in dep_events if e["reason"] == "ScalingReplicaSet"]
        self.assertIn("Scaled up replica set %s to 3" % by_rev["1"]["metadata"]["name"], msgs)
        self.assertTrue(any(re.match(r"^Scaled down replica set %s from \d to \d$" % by_rev["1"]["metadata"]["name"], m)
                            for m in msgs), msgs)
        killing = sim.get("/api/v1/namespaces/default/events?fieldSelector=reason%3DKilling")["items"]
        self.assertEqual(len(killing), 3)
        self.assertEqual(killing[0]["message"], "Stopping container app")

        # Old pods' processes are gone; new ones run the v2 variant.
        procs = [p for p in sim.sim_pods() if p["name"].startswith("web-")]
        self.assertEqual(len(procs), 3)
        for p in procs:
            with open("/proc/%d/cmdline" % p["pid"], "rb") as f:
                self.assertIn(b"v2", f.read().split(b"\0"))


class KubectlFailedRollout(unittest.TestCase):
    def test_progress_deadline_exceeded(self):
        with Sim(config={"pull_ms": 50, "pull_backoff_ms": 300}) as sim:
            dep = deployment("broken", image="kprof.test/missing:v1", replicas=1, progress_deadline=2)
            sim.kubectl("create", "-f", write_manifest(sim, dep))
            t0 = time.monotonic()
            p = sim.kubectl("rollout", "status", "deployment/broken", "--timeout=40s", check=False)
            self.assertNotEqual(p.returncode, 0)
            self.assertIn('deployment "broken" exceeded its progress deadline', p.stderr)
            self.assertLess(time.monotonic() - t0, 30)
            d = sim.kubectl_json("get", "deploy", "broken")
            prog = [c for c in d["status"]["conditions"] if c["type"] == "Progressing"][0]
            self.assertEqual((prog["status"], prog["reason"]), ("False", "ProgressDeadlineExceeded"))
            self.assertRegex(prog["message"], r'^ReplicaSet "broken-\w+" has timed out progressing\.$')
            pod = sim.pods(selector="app=broken")[0]
            waiting = pod["status"]["containerStatuses"][0]["state"]["waiting"]
            self.assertIn(waiting["reason"], ("ErrImagePull", "ImagePullBackOff"))
            self.assertEqual(pod["status"]["phase"], "Pending")
            evs = sim.get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D" + pod["metadata"]["name"])["items"]
            msgs = {(e["reason"], e["message"]) for e in evs}
            self.assertIn(("Failed", "Error: ErrImagePull"), msgs)
            self.assertIn(("BackOff", 'Back-off pulling image "kprof.test/missing:v1"'), msgs)
            self.assertTrue(any(r == "Failed" and m.startswith('Failed to pull image "kprof.test/missing:v1": ')
                                for r, m in msgs), msgs)
            lines = sim.kubectl("get", "pods", "-l", "app=broken").stdout.splitlines()
            self.assertIn(lines[1].split()[2], ("ErrImagePull", "ImagePullBackOff"))


if __name__ == "__main__":
    unittest.main()
