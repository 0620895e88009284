"""Rollout metrics through a real Prometheus, and a rollout whose image pulls are slow.

A Prometheus server (Debian's package) scrapes kprof's /metrics every second; while a
rollout runs, PromQL over its HTTP API sees kprof_rollout_progress_ratio between 0 and 1
and kprof_rollout_in_progress at 1, and afterwards the ratio at 1. The Grafana dashboard in
deploy/ queries only series that Prometheus has. The slow-pull rollout's report says the
image pull is where the time went.
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kprof_helper  # noqa: E402
from kprof_helper import kubesim_helper, wait_for  # noqa: E402

PROMETHEUS = os.environ.get("KPROF_PROMETHEUS", "/usr/bin/prometheus")
ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SLOW_IMAGE = "kprof.test/virtual/slowpull:v2"


class Prometheus:
    def __init__(self, target):
        self.dir = tempfile.mkdtemp(prefix="kprof-prom-")
        config = os.path.join(self.dir, "prometheus.yml")
        with open(config, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                    "scrape_configs:\n  - job_name: kprof\n    scrape_interval: 1s\n"
                    "    static_configs:\n      - targets: ['%s']\n" % target)
        self.port = kprof_helper.free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.log_path = os.path.join(self.dir, "prometheus.log")
        self._log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [PROMETHEUS, "--config.file=" + config, "--storage.tsdb.path=" + os.path.join(self.dir, "data"),
             "--web.listen-address=127.0.0.1:%d" % self.port, "--log.level=warn"],
            stdout=self._log, stderr=subprocess.STDOUT, preexec_fn=kubesim_helper._die_with_parent)
        wait_for(self._ready, 60, 0.1, "Prometheus to be ready")

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("prometheus exited: " + open(self.log_path).read())
        try:
            with urllib.request.urlopen(self.url + "/-/ready", timeout=2) as r:
                return r.status == 200
        except OSError:
            return False

    def query(self, expr):
        q = urllib.parse.urlencode({"query": expr})
        with urllib.request.urlopen(self.url + "/api/v1/query?" + q, timeout=10) as r:
            body = json.loads(r.read())
        assert body["status"] == "success", body
        return body["data"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


class RolloutPrometheusTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = kubesim_helper.Sim(config={"images": {SLOW_IMAGE: {"pull_ms": 2500}},
                                             "pull_ms": 100, "ready_ms": 100},
                                     # one node per pod: no node has the new image already
                                     nodes=["node-a", "node-b", "node-c", "node-d"])
        cls.server = kprof_helper.Server(cls.sim, ["--events-api", "v1", "--types", "heap"])
        cls.prom = Prometheus(cls.server.url[len("http://"):])

    @classmethod
    def tearDownClass(cls):
        cls.prom.stop()
        cls.server.stop()
        cls.sim.stop()

    def test_progress_ratio_in_prometheus_and_slow_pulls_dominate(self):
        sim, server, prom = self.sim, self.server, self.prom
        manifest = kubesim_helper.deployment(
            "slow", image="kprof.test/virtual/slowpull:v1", replicas=4,
            strategy={"type": "RollingUpdate", "rollingUpdate": {"maxSurge": 1, "maxUnavailable": 0}})
        sim.kubectl("apply", "-f", kubesim_helper.write_manifest(sim, manifest, "slow.json"))
        code, out, _ = kprof_helper.rollout_status(sim, "slow")
        self.assertEqual(code, 0, out)
        selector = '{deployment="slow",namespace="default"}'
        wait_for(lambda: [s for s in prom.query("kprof_rollout_progress_ratio" + selector)["result"]
                          if s["value"][1] == "1"], 30, 0.2, "Prometheus to scrape the ratio")

        seen = []
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                for s in prom.query("kprof_rollout_progress_ratio" + selector)["result"]:
                    seen.append(("ratio", float(s["value"][1])))
                for s in prom.query("kprof_rollout_in_progress" + selector)["result"]:
                    seen.append(("in_progress", float(s["value"][1])))
                stop.wait(0.25)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        kprof_helper.set_image(sim, "slow", SLOW_IMAGE)
        status = subprocess.Popen(["kubectl", "kprof", "rollout", "status", "deploy/slow"],
                                  env=kprof_helper.plugin_env(sim), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True)
        code, out, _ = kprof_helper.rollout_status(sim, "slow")
        self.assertEqual(code, 0, out)
        plugin_out, plugin_err = status.communicate(timeout=60)
        self.assertEqual(status.returncode, 0, plugin_err)
        self.assertIn("successfully rolled out", plugin_out)
        self.assertIn("PullingImage", plugin_out)
        self.assertRegex(plugin_out, r"ready after [\d.]+s \(schedule [^,]+, image_pull [\d.]+s")
        self.assertIn("image_pull", plugin_out.split("PHASE", 1)[1])

        wait_for(lambda: any(k == "ratio" and v == 1.0 for k, v in seen[-4:]), 30, 0.2,
                 "the ratio back at 1 in Prometheus")
        stop.set()
        sampler.join(10)
        ratios = [v for k, v in seen if k == "ratio"]
        self.assertTrue(any(0 < v < 1 for v in ratios), ratios)
        self.assertIn(1.0, [v for k, v in seen if k == "in_progress"])
        # Both revisions' pods, once Prometheus has scraped the last observation.
        wait_for(lambda: [s for s in prom.query(
            'kprof_pod_phase_duration_seconds_count{phase="image_pull"}')["result"]
            if float(s["value"][1]) >= 8], 20, 0.2, "8 image_pull observations in Prometheus")

        # Every query of the Grafana dashboard is valid PromQL with data behind it.
        with open(os.path.join(ROOT, "deploy", "grafana", "kprof-rollouts.json")) as f:
            dashboard = json.load(f)
        exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
        self.assertGreaterEqual(len(exprs), 4)
        for expr in exprs:
            expr = expr.replace("$namespace", "default").replace("$deployment", "slow")
            expr = expr.replace("$__rate_interval", "1m").replace("$__range", "10m")
            data = prom.query(expr)
            self.assertTrue(data["result"], expr)

        # The report: image pulls took the time.
        rollout = [r for r in server.rollouts("slow") if r["revision"] == 2][0]
        self.assertEqual(rollout["outcome"], "complete")
        self.assertEqual(rollout["slowest"]["slowest_phase"], "image_pull")
        stats = rollout["phase_stats"]
        detail = server.get("/api/v1/rollouts/" + rollout["id"])
        self.assertGreaterEqual(stats["image_pull"]["p50_seconds"], 2.4, detail["pods"])
        for phase in ("schedule", "start", "ready"):
            self.assertLess(stats[phase]["p50_seconds"], stats["image_pull"]["p50_seconds"])
        for pod in detail["pods"]:
            self.assertAlmostEqual(pod["pull_reported_seconds"], 2.5, delta=0.3)
            self.assertFalse(pod["image_present"])
        text = server.get("/api/v1/rollouts/%s/report?format=text" % rollout["id"], raw=True)
        self.assertIn("most of it in image_pull", text)


if __name__ == "__main__":
    unittest.main()
