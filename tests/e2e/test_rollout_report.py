"""Rollout tracking end to end: kubesim cluster, kprof server collecting from it,
kubectl changing images and waiting with `kubectl rollout status`.

- a rollout to a version that burns CPU in main.regressedFunc: the report puts that
  function first among the functions whose share grew;
- kprof says "complete" within a second of `kubectl rollout status` returning;
- a rollout past its progress deadline is failed, with the pods' pull errors;
- `kubectl kprof rollout status|report` as a kubectl plugin.
"""

import os
import subprocess
import sys
import time
import unittest
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kprof_helper  # noqa: E402
from kprof_helper import kubesim_helper, wait_for  # noqa: E402


class RolloutReportTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.sim = kubesim_helper.Sim(config={"pull_ms": 200, "ready_ms": 100})
        cls.server = kprof_helper.Server(cls.sim, ["--interval", "2s", "--cpu-seconds", "1",
                                                   "--types", "cpu", "--resources-interval", "1s"])

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        cls.sim.stop()

    def test_regression_first_and_complete_when_kubectl_returns(self):
        sim, server = self.sim, self.server
        manifest = kubesim_helper.deployment("shop", image="kprof.test/workload:v1", replicas=2)
        sim.kubectl("apply", "-f", kubesim_helper.write_manifest(sim, manifest, "shop.json"))
        code, out, _ = kprof_helper.rollout_status(sim, "shop")
        self.assertEqual(code, 0, out)
        first = wait_for(lambda: [r for r in server.rollouts("shop") if r["outcome"] == "complete"],
                         10, 0.1, "revision 1 to be complete")
        old_rs = first[0]["new_replicaset"]
        self.assertEqual(first[0]["revision"], 1)
        # Enough CPU profiles of the old pods before the change.
        wait_for(lambda: len(server.profiles('{replicaset="%s"}' % old_rs)) >= 6, 60, 0.2,
                 "CPU profiles of the v1 pods")

        kprof_helper.set_image(sim, "shop", "kprof.test/workload:v2")
        code, out, returned = kprof_helper.rollout_status(sim, "shop")
        self.assertEqual(code, 0, out)
        self.assertIn("successfully rolled out", out)

        def complete():
            rs = [r for r in server.rollouts("shop") if r["revision"] == 2]
            return rs and rs[0]["outcome"] == "complete" and rs[0]
        rollout = wait_for(complete, 1.0, 0.02, "kprof to mark revision 2 complete")
        lag = time.monotonic() - returned
        if os.environ.get("KPROF_E2E_VERBOSE"):
            print("kprof saw the rollout complete %.3f s after kubectl rollout status returned" % lag)
        self.assertLessEqual(lag, 1.0)
        self.assertEqual(rollout["old_replicasets"], [old_rs])
        self.assertEqual(rollout["images_before"], {"app": "kprof.test/workload:v1"})
        self.assertEqual(rollout["images_after"], {"app": "kprof.test/workload:v2"})
        self.assertEqual(rollout["pods_total"], 2)
        self.assertEqual(rollout["pods_ready"], 2)
        new_rs = rollout["new_replicaset"]

        detail = server.get("/api/v1/rollouts/" + rollout["id"])
        self.assertEqual(len(detail["pods"]), 2)
        for pod in detail["pods"]:
            for phase in ("schedule", "image_pull", "start", "ready", "total"):
                self.assertIsNotNone(pod["phases_seconds"][phase], (phase, pod))
            self.assertGreaterEqual(pod["phases_seconds"]["total"], pod["phases_seconds"]["image_pull"])
        progress = detail["progress"]
        self.assertEqual(progress[-1]["updated"], 2)
        self.assertTrue(any(p["updated"] < 2 for p in progress), progress)

        wait_for(lambda: len(server.profiles('{replicaset="%s"}' % new_rs)) >= 6, 60, 0.2,
                 "CPU profiles of the v2 pods")

        # Resource samples are their own stream (every 1 s per node): wait until both new
        # pods have a few since the rollout ended, as the report's "after" side reads them.
        def sampled():
            q = urllib.parse.urlencode({"namespace": "default", "replicaset": new_rs,
                                        "from": rollout["end"]})
            summary = server.get("/api/v1/resources?" + q)["summary"]
            return summary and summary[0]["pods"] == 2 and summary[0]["samples"] >= 4
        wait_for(sampled, 60, 0.2, "resource samples of both v2 pods")
        report = server.get("/api/v1/rollouts/%s/report?types=cpu" % rollout["id"])
        cpu = [p for p in report["profiles"] if p["type"] == "cpu"][0]
        self.assertEqual(cpu["note"], "")
        self.assertEqual(cpu["normalized"], "per_pod_second")
        self.assertGreater(cpu["before"]["profiles"], 0)
        self.assertGreater(cpu["after"]["profiles"], 0)
        self.assertEqual(cpu["grew"][0]["function"], "main.regressedFunc", cpu["grew"][:3])
        self.assertGreater(cpu["grew"][0]["share_after"], cpu["grew"][0]["share_before"])
        self.assertGreater(cpu["grew"][0]["after"], cpu["grew"][0]["before"])
        # Resource use of the old pods before against the new pods after, from the kubelets.
        for side in ("before", "after"):
            usage = report["resources"][side]
            self.assertEqual(usage["pods"], 2, report["resources"])
            self.assertGreater(usage["cpu_cores_mean"], 0.05, report["resources"])
            self.assertGreater(usage["memory_working_set_bytes_mean"], 1 << 20, report["resources"])

        # The same through the kubectl plugin, as text.
        p = subprocess.run(["kubectl", "kprof", "rollout", "report", "deploy/shop", "--server",
                            server.url, "--types", "cpu"], env=kprof_helper.plugin_env(sim),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        if os.environ.get("KPROF_E2E_VERBOSE"):
            print(p.stdout)
        self.assertIn("Rollout of deployment default/shop to revision 2: complete", p.stdout)
        self.assertIn("FUNCTIONS WHOSE SHARE GREW MOST", p.stdout)
        table = p.stdout.split("FUNCTIONS WHOSE SHARE GREW MOST\n", 1)[1]
        self.assertTrue(table.splitlines()[0].endswith("main.regressedFunc"), table)
        self.assertIn("Waterfall", p.stdout)
        self.assertIn("Resources per pod (old pods before: 2 pods, new pods after: 2 pods)", p.stdout)
        # --revision picks an older rollout; an unknown one says which exist.
        p = subprocess.run(["kubectl", "kprof", "rollout", "report", "deploy/shop", "--server",
                            server.url, "--revision", "1"], env=kprof_helper.plugin_env(sim),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("to revision 1", p.stdout)
        p = subprocess.run(["kubectl", "kprof", "rollout", "report", "deploy/shop", "--server",
                            server.url, "--revision", "9"], env=kprof_helper.plugin_env(sim),
                           capture_output=True, text=True, timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn("known revisions: 2, 1", p.stderr)
        # status of a finished rollout answers at once, like kubectl; unknown names fail clearly.
        p = subprocess.run(["kubectl", "kprof", "rollout", "status", "deploy/shop", "-w=false"],
                           env=kprof_helper.plugin_env(sim), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual((p.returncode, p.stdout), (0, 'deployment "shop" successfully rolled out\n'))
        p = subprocess.run(["kubectl", "kprof", "rollout", "status", "deploy/nope"],
                           env=kprof_helper.plugin_env(sim), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(p.returncode, 1)
        self.assertIn('deployment "nope" not found in namespace default', p.stderr)

    def test_progress_deadline_fails_the_rollout(self):
        sim, server = self.sim, self.server
        manifest = kubesim_helper.deployment("stuck", image="kprof.test/virtual/stuck:v1",
                                             replicas=2, progress_deadline=3)
        sim.kubectl("apply", "-f", kubesim_helper.write_manifest(sim, manifest, "stuck.json"))
        code, out, _ = kprof_helper.rollout_status(sim, "stuck")
        self.assertEqual(code, 0, out)
        kprof_helper.set_image(sim, "stuck", "kprof.test/missing/stuck:v2")
        # kubectl kprof rollout status follows it live and fails like kubectl does.
        p = subprocess.run(["kubectl", "kprof", "rollout", "status", "deploy/stuck",
                            "--timeout", "60s"], env=kprof_helper.plugin_env(sim),
                           capture_output=True, text=True, timeout=90)
        self.assertEqual(p.returncode, 1, p.stdout + p.stderr)
        self.assertIn("exceeded its progress deadline", p.stderr)
        self.assertRegex(p.stdout, r"stuck-\w+-\w+ +(ErrImagePull|ImagePullBackOff)")
        code, out, _ = kprof_helper.rollout_status(sim, "stuck", timeout="30s")
        self.assertNotEqual(code, 0)
        self.assertIn("exceeded its progress deadline", out)

        rollout = wait_for(lambda: [r for r in server.rollouts("stuck") if r["revision"] == 2
                                    and r["outcome"] == "failed"], 10, 0.1, "a failed rollout")[0]
        self.assertEqual(rollout["reason"], "ProgressDeadlineExceeded")
        self.assertIsNotNone(rollout["end"])
        detail = server.get("/api/v1/rollouts/" + rollout["id"])
        reasons = {pr["reason"] for pod in detail["pods"] for pr in pod["problems"]}
        self.assertTrue(reasons & {"ErrImagePull", "ImagePullBackOff", "Failed"}, reasons)
        self.assertTrue(all(pod["ready"] is None for pod in detail["pods"]))
        metrics = server.get("/metrics", raw=True)
        self.assertIn('kprof_rollout_duration_seconds_count{outcome="failed"}', metrics)
        self.assertIn('kprof_store_corrupt_records{store="rollouts"} 0', metrics)

    def test_crashing_pods_show_crash_loop(self):
        sim, server = self.sim, self.server
        manifest = kubesim_helper.deployment("crashy", image="kprof.test/workload:v1", replicas=1,
                                             args=["-busy", "0"], progress_deadline=5)
        sim.kubectl("apply", "-f", kubesim_helper.write_manifest(sim, manifest, "crashy.json"))
        code, out, _ = kprof_helper.rollout_status(sim, "crashy")
        self.assertEqual(code, 0, out)
        # The new version exits at start (an unknown -work-variant): CrashLoopBackOff.
        sim.kubectl("patch", "deploy/crashy", "--type=json", "-p",
                    '[{"op":"replace","path":"/spec/template/spec/containers/0/args",'
                    '"value":["-busy","0","-work-variant","v9"]}]')

        def crashing():
            rs = [r for r in server.rollouts("crashy") if r["revision"] == 2]
            if not rs:
                return None
            pods = server.get("/api/v1/rollouts/" + rs[0]["id"])["pods"]
            reasons = {pr["reason"] for pod in pods for pr in pod["problems"]}
            return "CrashLoopBackOff" in reasons and (rs[0], pods, reasons)
        rollout, pods, reasons = wait_for(crashing, 30, 0.2, "CrashLoopBackOff on the new pod")
        self.assertIn("BackOff", reasons)  # the kubelet's "Back-off restarting failed container"
        self.assertGreaterEqual(max(p["restarts"] for p in pods), 1)
        self.assertIsNone(pods[0]["ready"])
        failed = wait_for(lambda: [r for r in server.rollouts("crashy")
                                   if r["revision"] == 2 and r["outcome"] == "failed"],
                          30, 0.2, "the crash-looping rollout to fail its deadline")
        self.assertEqual(failed[0]["pods_with_problems"], 1)

    def test_bad_requests_get_json_errors(self):
        server = self.server
        for path, code in [("/api/v1/rollouts/nope:nope:1", 404),
                           ("/api/v1/rollouts?outcome=exploded", 400),
                           ("/api/v1/rollouts?deployment=x", 400),
                           ("/api/v1/rollouts?from=yesterday", 400),
                           ("/api/v1/rollouts?limit=-1", 400)]:
            status, body = server.status_of(path)
            self.assertEqual(status, code, path)
            self.assertIn("error", body)


if __name__ == "__main__":
    unittest.main()
