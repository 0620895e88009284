"""Fault injection (/sim/faults/*), container restarts after a killed
process, and the simulator's shutdown never leaving pod processes behind."""

import http.client
import json
import os
import signal
import time
import unittest

from kubesim_helper import Sim, WatchLog, deployment, pid_alive, wait_for, write_manifest

QUIET = ["-busy", "0"]
FAST = {"schedule_ms": 10, "pull_ms": 20, "start_ms": 10, "ready_ms": 50, "restart_backoff_ms": 300}


def running_pids(sim, prefix):
    pods = [p for p in sim.sim_pods() if p["name"].startswith(prefix)]
    return [p["pid"] for p in pods if p["pid"] > 0 and p["ready"]]


class Faults(unittest.TestCase):
    def test_slow_responses(self):
        with Sim(config=FAST) as sim:
            t0 = time.monotonic()
            sim.get("/api/v1/namespaces")
            fast = time.monotonic() - t0
            sim.sim("faults/slow?ms=400")
            t0 = time.monotonic()
            sim.get("/api/v1/namespaces")
            self.assertGreaterEqual(time.monotonic() - t0, 0.4)
            sim.sim("faults/slow?ms=0")
            t0 = time.monotonic()
            sim.get("/api/v1/namespaces")
            self.assertLess(time.monotonic() - t0, max(0.3, fast * 10))

    def test_restart_closes_connections_and_compacts(self):
        with Sim(config=FAST) as sim:
            sim.sim("seed", {"namespace": "default", "count": 3})
            rv = sim.get("/api/v1/pods")["metadata"]["resourceVersion"]
            log = WatchLog(sim, "/api/v1/pods?watch=1&resourceVersion=" + rv)
            sim.sim("seed", {"namespace": "default", "count": 1, "start": 3})
            # An idle keep-alive connection is closed too.
            host, port = sim.addr.split(":")
            conn = http.client.HTTPConnection(host, int(port), timeout=5)
            conn.request("GET", "/api/v1/namespaces")
            self.assertEqual(conn.getresponse().read() and 200, 200)
            time.sleep(0.2)
            sim.sim("faults/restart?ms=1500")
            self.assertTrue(log.join(5), "open watch should be closed by the restart")
            with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
                conn.request("GET", "/api/v1/namespaces")
                conn.getresponse().read()
            # While "down", API requests get no answer.
            with self.assertRaises((ConnectionError, http.client.HTTPException, OSError)):
                c2 = http.client.HTTPConnection(host, int(port), timeout=5)
                c2.request("GET", "/api/v1/namespaces")
                c2.getresponse().read()
            # Back up later, with the same state but no history.
            pods = wait_for(lambda: sim.get("/api/v1/pods")["items"], 10, what="API back after restart")
            self.assertEqual(len(pods), 4)
            status, body, _ = sim.request("GET", "/api/v1/pods?watch=1&timeoutSeconds=1&resourceVersion=" + rv, raw=True)
            ev = json.loads(body.splitlines()[0])
            self.assertEqual((ev["type"], ev["object"]["code"]), ("ERROR", 410))

    def test_killed_process_restarts_container(self):
        with Sim(config=FAST) as sim:
            sim.kubectl("create", "-f", write_manifest(sim, deployment("k", replicas=1, args=QUIET)))
            sim.kubectl("rollout", "status", "deployment/k", "--timeout=30s")
            pod = sim.pods(selector="app=k")[0]
            name = pod["metadata"]["name"]
            old_pid = wait_for(lambda: running_pids(sim, "k-"), 10, what="pid")[0]
            self.assertTrue(pid_alive(old_pid))
            killed = sim.sim("pods/default/%s/kill" % name)
            self.assertEqual(killed["killed"], old_pid)
            wait_for(lambda: not pid_alive(old_pid), 5, what="killed process to exit")
            crash = wait_for(lambda: [cs for p in sim.pods(selector="app=k") for cs in p["status"]["containerStatuses"]
                                      if cs["restartCount"] == 1], 10, what="restartCount 1")[0]
            term = crash["lastState"]["terminated"]
            self.assertEqual((term["exitCode"], term["reason"]), (137, "Error"))
            new_pid = wait_for(lambda: [p for p in running_pids(sim, "k-") if p != old_pid], 15, what="restarted process")[0]
            self.assertTrue(pid_alive(new_pid))
            p2 = sim.pods(selector="app=k")[0]
            self.assertEqual(p2["metadata"]["name"], name, "the pod is kept, its container restarts")
            cs = p2["status"]["containerStatuses"][0]
            self.assertEqual(cs["restartCount"], 1)
            self.assertTrue(cs["ready"])
            self.assertNotEqual(cs["containerID"], pod["status"]["containerStatuses"][0]["containerID"])
            evs = sim.get("/api/v1/namespaces/default/events?fieldSelector=involvedObject.name%3D" + name)["items"]
            backoff = [e for e in evs if e["reason"] == "BackOff"]
            self.assertEqual(len(backoff), 1)
            self.assertEqual(backoff[0]["message"], "Back-off restarting failed container app in pod %s_default(%s)"
                             % (name, pod["metadata"]["uid"]))
            self.assertEqual(backoff[0]["type"], "Warning")
            started = [e for e in evs if e["reason"] == "Started"]
            self.assertEqual(started[0]["count"], 2, "repeated events aggregate into count")
            self.assertRegex(sim.kubectl("get", "pod", name).stdout.splitlines()[1], r"\s1 \(\d+s ago\)\s")
            status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods/%s/proxy/debug/pprof/cmdline" % name, raw=True)
            self.assertEqual(status, 200)
            self.assertIn(b"workload", body)
            # Deleting the pod stops its process (graceful SIGTERM).
            sim.kubectl("delete", "pod", name, "--wait=true", "--timeout=20s")
            wait_for(lambda: not pid_alive(new_pid), 5, what="process of the deleted pod to exit")

    def test_proxy_without_endpoint(self):
        with Sim(config=FAST, nodes=["node-a"]) as sim:
            # A pod bound to a node that does not exist never gets an IP.
            sim.request("POST", "/api/v1/namespaces/default/pods", {
                "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "stuck"},
                "spec": {"nodeName": "nowhere", "containers": [{"name": "app", "image": "kprof.test/workload:v1"}]}})
            status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods/stuck:6060/proxy/debug/pprof/")
            self.assertEqual((status, body["kind"], body["code"]), (503, "Status", 503))
            status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods/missing:6060/proxy/")
            self.assertEqual((status, body["reason"]), (404, "NotFound"))


class Shutdown(unittest.TestCase):
    def _start_pods(self):
        sim = Sim(config=FAST)
        self.addCleanup(sim.stop)
        sim.kubectl("create", "-f", write_manifest(sim, deployment("s", replicas=2, args=QUIET)))
        sim.kubectl("rollout", "status", "deployment/s", "--timeout=30s")
        pids = wait_for(lambda: len(running_pids(sim, "s-")) == 2 and running_pids(sim, "s-"), 10, what="pids")
        for pid in pids:
            self.assertTrue(pid_alive(pid))
        return sim, pids

    def test_sigterm_kills_pods(self):
        sim, pids = self._start_pods()
        sim.proc.send_signal(signal.SIGTERM)
        sim.proc.wait(10)
        for pid in pids:
            wait_for(lambda: not pid_alive(pid), 5, what="pod process %d to die" % pid)

    def test_sigkill_of_simulator_kills_pods(self):
        sim, pids = self._start_pods()
        sim.proc.send_signal(signal.SIGKILL)
        sim.proc.wait(10)
        for pid in pids:
            wait_for(lambda: not pid_alive(pid), 5, what="orphaned pod process %d to die" % pid)


if __name__ == "__main__":
    unittest.main()
