"""The web UI's rollout detail page against a kprof server watching the Kubernetes
simulator: after one `kubectl set image`, the page (reached from the rollouts list) draws
one waterfall row per new pod, each with the phases the API reports, and links to the text
report.

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
            server = kprof_helper.Server(sim, ["--resources-interval", "0"])
            try:
                manifest = kubesim_helper.deployment("shop", image="kprof.test/workload:v1",
                                                     replicas=3)
                sim.kubectl("apply", "-f", kubesim_helper.write_manifest(sim, manifest))
                code, out, _ = kprof_helper.rollout_status(sim, "shop")
                self.assertEqual(code, 0, out)
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

                p = subprocess.run(["node", os.path.join(HERE, "waterfall_check.mjs"), server.url,
                                    rollout["id"]], capture_output=True, text=True, timeout=120)
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
                self.assertEqual(page["report_status"], 200)
                self.assertIn("Rollout of deployment default/shop to revision 2", page["report_head"])
            finally:
                server.stop()


if __name__ == "__main__":
    unittest.main()
