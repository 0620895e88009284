"""Pod resource sampling keeps working while the collector holds the API server busy.

The server watches Deployments, ReplicaSets, Pods, Events and Nodes (long-lived
connections to the API server) and captures CPU profiles of every pod through the API
server's pod proxy (connections held for the whole capture). The kubelet sampler's
/stats/summary requests go to the same host; none of them may starve behind the others.
"""

import os
import re
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kprof_helper  # noqa: E402
from kprof_helper import kubesim_helper, wait_for  # noqa: E402


def scrapes(server):
    text = server.get("/metrics", raw=True)
    if isinstance(text, bytes):
        text = text.decode()
    counts = {"ok": 0, "error": 0}
    for m in re.finditer(r'^kprof_resources_scrapes_total\{result="(\w+)"\} (\d+)', text, re.M):
        counts[m.group(1)] = int(m.group(2))
    return counts


class ResourcesUnderLoadTest(unittest.TestCase):
    def test_stats_summary_is_not_starved_by_watches_and_cpu_captures(self):
        with kubesim_helper.Sim(config={"pull_ms": 50, "ready_ms": 50}) as sim:
            # Six pods captured for 8 s every 2 s: with the watches, more long requests
            # to the API server than one host's connection pool held before.
            server = kprof_helper.Server(sim, ["--interval", "2s", "--cpu-seconds", "8",
                                               "--types", "cpu", "--resources-interval", "1s"])
            try:
                kprof_helper.deploy(sim, "busy", replicas=6)
                # Captures are running once the first CPU profiles have arrived.
                wait_for(lambda: len(server.profiles('{deployment="busy"}')) >= 6, 90, 0.2,
                         "CPU profiles of the six pods")
                start = scrapes(server)
                wait_for(lambda: sum(scrapes(server).values()) >= sum(start.values()) + 16, 60,
                         0.2, "16 more stats/summary scrapes (from %r)" % start)
                end = scrapes(server)
                self.assertEqual(end["error"], start["error"], (start, end, server.log()))
            finally:
                server.stop()


if __name__ == "__main__":
    unittest.main()
