"""The web UI's rollout detail page against a kprof server watching the Kubernetes
simulator and profiling its pods (real Go workloads): after one `kubectl set image` to a
version that burns CPU in main.regressedFunc, the page (reached from the rollouts list)
draws one waterfall row per new pod with the phases the API reports, CPU and memory lines
for the old and the new pods, the before/after comparison with main.regressedFunc first
among the functions that grew, and opens that comparison as a diff flame graph; the Diff
view compares revision 1's pods with revision 2's the same way.

The browser part is waterfall_check.mjs (node + playwright-core + Debian's chromium);
KPROF_WEB_DIR names the build's web directory, KPROF_BIN and KPROF_KUBESIM_DIR as for
tests/e2e.
"""

import json
import os
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "e2e"))
import kprof_helper  # noqa: E402
from kprof_helper import kubesim_helper, wait_for  # noqa: E402


class RolloutWaterfallTest(unittest.TestCase):
    def test_one_row_per_new_pod(self):
        with kubesim_helper.Sim(config={"pull_ms": 300, "ready_ms": 100}) as sim:
            server = kprof_helper.Server(sim, ["--interval", "2s", "--cpu-seconds", "1",
                                               "--types", "cpu", "--resources-interval", "1s"])
            try:
                kprof_helper.deploy(sim, "shop", replicas=3)
                first = wait_for(lambda: [r for r in server.rollouts("shop")
                                          if r["outcome"] == "complete"], 10, 0.1, "revision 1")
                old_rs = first[0]["new_replicaset"]
                wait_for(lambda: len(server.profiles('{replicaset="%s"}' % old_rs)) >= 6, 60, 0.2,
                         "CPU profiles of the v1 pods")
                kprof_helper.set_image(sim, "shop", "kprof.test/workload:v2")
                code, out, _ = kprof_helper.rollout_status(sim, "shop")
                self.assertEqual(code, 0, out)

                def complete():
                    rs = [r for r in server.rollouts("shop") if r["revision"] == 2]
                    return rs and rs[0]["outcome"] == "complete" and rs[0]
                rollout = wait_for(complete, 10, 0.05, "revision 2 to be complete")
                detail = server.get("/api/v1/rollouts/" + rollout["id"])
                new_pods = sorted(p["name"] for p in detail["pods"])
                self.assertEqual(len(new_pods), 3)
                new_rs = rollout["new_replicaset"]
                wait_for(lambda: len(server.profiles('{replicaset="%s"}' % new_rs)) >= 6, 60, 0.2,
                         "CPU profiles of the v2 pods")

                p = subprocess.run(["node", os.path.join(HERE, "waterfall_check.mjs"), server.url,
                                    rollout["id"], first[0]["id"]],
                                   capture_output=True, text=True, timeout=120)
                self.assertEqual(p.returncode, 0, p.stderr)
                page = json.loads(p.stdout)
                if os.environ.get("KPROF_E2E_VERBOSE"):
                    print(json.dumps(page, indent=1))
                self.assertEqual(page["problems"], [])
                self.assertEqual(sorted(r["pod"] for r in page["rows"]), new_pods)
                # Every pod has its phases; image_pull only where the kubelet pulled (the
                # first pod on a node pulls v2, the others find it present).
                pods = {p["name"]: p for p in detail["pods"]}
                for row in page["rows"]:
                    pod = pods[row["pod"]]
                    pulled = bool(pod["pull_started"]) and not pod["image_present"]
                    expected = ["schedule"] + (["image_pull"] if pulled else []) + ["start", "ready"]
                    self.assertEqual(row["phases"], expected, (row, pod))
                self.assertTrue(any("image_pull" in r["phases"] for r in page["rows"]), page["rows"])
                self.assertEqual(page["progress_points"], len(detail["progress"]))
                self.assertGreaterEqual(page["progress_points"], 2)
                # CPU and memory: a line per old pod and per new pod.
                for metric in ("cpu_cores", "memory_working_set_bytes"):
                    self.assertEqual(page["resources"].get(metric), {"old": 3, "new": 3},
                                     page["resources"])
                self.assertEqual(page["grew"][:1], ["main.regressedFunc"], page["grew"])
                self.assertIsNotNone(page["diff"])
                self.assertGreater(page["diff"]["drawn"], 10, page["diff"])
                self.assertEqual(page["diff"]["grew"][:1], ["main.regressedFunc"], page["diff"])
                self.assertIn("base_query=%7Bnamespace", page["diff"]["url"])
                # Revision 1's pods against revision 2's, picked in the Diff view.
                self.assertGreater(page["revisions"]["drawn"], 10, page["revisions"])
                self.assertEqual(page["revisions"]["grew"][:1], ["main.regressedFunc"],
                                 page["revisions"])
                self.assertIn("replicaset%3D%22" + old_rs, page["revisions"]["url"])
                self.assertEqual(page["report_status"], 200)
                self.assertIn("Rollout of deployment default/shop to revision 2", page["report_head"])
            finally:
                server.stop()


if __name__ == "__main__":
    unittest.main()
