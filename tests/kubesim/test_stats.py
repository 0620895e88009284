"""The kubelet Summary API through nodes/proxy, pod logs and /sim/pods."""

import unittest

from kubesim_helper import Sim, deployment, wait_for, write_manifest

FAST = {"schedule_ms": 10, "pull_ms": 20, "start_ms": 10, "ready_ms": 20}


class Stats(unittest.TestCase):
    def test_summary_logs_and_sim_pods(self):
        with Sim(config=FAST, nodes=["node-a"]) as sim:
            # One busy pod (the workload's default -busy 1) for real CPU numbers.
            sim.kubectl("create", "-f", write_manifest(sim, deployment("busy", replicas=1)))
            sim.kubectl("rollout", "status", "deployment/busy", "--timeout=30s")
            sim.sim("seed", {"namespace": "virt", "count": 2})
            pod = sim.pods(selector="app=busy")[0]
            name, uid = pod["metadata"]["name"], pod["metadata"]["uid"]

            def busy_stats():
                s = sim.get("/api/v1/nodes/node-a/proxy/stats/summary")
                ps = [p for p in s["pods"] if p["podRef"]["uid"] == uid]
                if ps and ps[0]["containers"][0]["cpu"]["usageNanoCores"] > 10_000_000:
                    return s, ps[0]
                return None

            summary, ps = wait_for(busy_stats, 15, interval=0.5, what="CPU usage of the busy pod")
            self.assertEqual(summary["node"]["nodeName"], "node-a")
            self.assertEqual(ps["podRef"], {"name": name, "namespace": "default", "uid": uid})
            c = ps["containers"][0]
            self.assertEqual(c["name"], "app")
            self.assertGreater(c["cpu"]["usageCoreNanoSeconds"], 10_000_000)
            self.assertLess(c["cpu"]["usageNanoCores"], 4_000_000_000)
            for k in ("workingSetBytes", "usageBytes", "rssBytes"):
                self.assertGreater(c["memory"][k], 1 << 20, k)
            self.assertLessEqual(c["memory"]["rssBytes"], c["memory"]["usageBytes"])
            self.assertEqual(ps["network"]["name"], "eth0")
            virt = [p for p in summary["pods"] if p["podRef"]["namespace"] == "virt"]
            self.assertEqual(len(virt), 2)
            self.assertGreater(virt[0]["containers"][0]["cpu"]["usageNanoCores"], 0)
            self.assertGreater(virt[0]["memory"]["workingSetBytes"], 0)

            # Network counters: bytes through the pod proxy.
            tx0 = ps["network"]["txBytes"]
            status, body, _ = sim.request("GET", "/api/v1/namespaces/default/pods/%s:6060/proxy/debug/pprof/heap" % name, raw=True)
            self.assertEqual(status, 200)
            s2 = sim.get("/api/v1/nodes/node-a/proxy/stats/summary")
            p2 = [p for p in s2["pods"] if p["podRef"]["uid"] == uid][0]
            self.assertGreaterEqual(p2["network"]["txBytes"] - tx0, len(body))
            self.assertEqual(p2["network"]["interfaces"][0]["txBytes"], p2["network"]["txBytes"])
            self.assertGreaterEqual(p2["containers"][0]["cpu"]["usageCoreNanoSeconds"], c["cpu"]["usageCoreNanoSeconds"])
            status, _, _ = sim.request("GET", "/api/v1/nodes/nope/proxy/stats/summary")
            self.assertEqual(status, 404)

            # kubectl logs: the container's stdout.
            logs = sim.kubectl("logs", name).stdout
            self.assertRegex(logs, r"LISTENING 127\.1\.\d+\.\d+:6060")

            # /sim/pods: pid, IP and port for tests.
            sp = [p for p in sim.sim_pods() if p["name"] == name][0]
            self.assertEqual((sp["podIP"], sp["port"], sp["node"], sp["virtual"]), (pod["status"]["podIP"], 6060, "node-a", False))
            with open("/proc/%d/cmdline" % sp["pid"], "rb") as f:
                argv = f.read().split(b"\0")
            self.assertIn(b"-addr", argv)
            self.assertIn(("%s:6060" % pod["status"]["podIP"]).encode(), argv)
            self.assertIn(b"v1", argv)
            vp = [p for p in sim.sim_pods() if p["namespace"] == "virt"]
            self.assertTrue(all(p["virtual"] and p["pid"] == 0 for p in vp))
            self.assertEqual(sorted(p["podIP"] for p in vp), ["127.2.0.1", "127.2.0.2"])


if __name__ == "__main__":
    unittest.main()
