"""Scale: 10,000 seeded pods listed in pages of 500, and 50 concurrent
watches while the API stays responsive."""

import gzip
import http.client
import json
import threading
import time
import unittest

from kubesim_helper import Sim

WAVE = 500  # pods created while 50 watches are open (50 x 500 x ~6 KB streamed)


class Scale(unittest.TestCase):
    def test_10k_pods_paged_and_50_watches(self):
        with Sim() as sim:
            r = sim.sim("seed", {"namespace": "bench", "count": 10000, "labels": {"bench": "yes"}})
            self.assertEqual(r["created"], 10000)

            # Paged list: every page well under a second.
            names, cont, worst, pages = [], None, 0.0, 0
            while True:
                path = "/api/v1/namespaces/bench/pods?limit=500" + ("&continue=" + cont if cont else "")
                t0 = time.monotonic()
                page = sim.get(path)
                worst = max(worst, time.monotonic() - t0)
                pages += 1
                names += [p["metadata"]["name"] for p in page["items"]]
                cont = page["metadata"].get("continue")
                if not cont:
                    break
            self.assertEqual(pages, 20)
            self.assertEqual(len(set(names)), 10000)
            self.assertLess(worst, 1.0, "slowest page took %.3fs" % worst)
            sizes = [len(json.dumps(p)) for p in page["items"][:10]]
            self.assertTrue(all(3000 < s < 8000 for s in sizes), sizes)

            # Large responses are gzipped for clients that ask (like the API server).
            status, body, hdrs = sim.request("GET", "/api/v1/namespaces/bench/pods?limit=500",
                                             headers={"Accept-Encoding": "gzip"}, raw=True)
            self.assertEqual((status, hdrs.get("Content-Encoding")), (200, "gzip"))
            self.assertEqual(len(json.loads(gzip.decompress(body))["items"]), 500)
            status, body, hdrs = sim.request("GET", "/api/v1/namespaces/bench/pods?limit=500", raw=True)
            self.assertIsNone(hdrs.get("Content-Encoding"))
            status, body, hdrs = sim.request("GET", "/api/v1/namespaces/bench/pods?limit=2",
                                             headers={"Accept-Encoding": "gzip"}, raw=True)
            self.assertIsNone(hdrs.get("Content-Encoding"), "small responses stay uncompressed")

            # 50 watches from the current RV; a second seed fans out to all.
            rv = sim.get("/api/v1/namespaces/bench/pods?limit=1")["metadata"]["resourceVersion"]
            host, port = sim.addr.split(":")
            counts = [0] * 50
            started = threading.Barrier(51, timeout=30)

            def watcher(i):
                c = http.client.HTTPConnection(host, int(port), timeout=60)
                c.request("GET", "/api/v1/pods?watch=1&timeoutSeconds=30&labelSelector=wave%3D2&resourceVersion=" + rv)
                resp = c.getresponse()
                started.wait()
                # Count event lines cheaply (objects never contain a raw newline).
                while counts[i] < WAVE:
                    chunk = resp.read1(1 << 16)
                    if not chunk:
                        break
                    counts[i] += chunk.count(b"\n")
                c.close()

            ts = [threading.Thread(target=watcher, args=(i,), daemon=True) for i in range(50)]
            for t in ts:
                t.start()
            started.wait()
            sim.sim("seed", {"namespace": "bench2", "count": WAVE, "labels": {"wave": "2"}})
            lat = []
            for _ in range(5):
                t0 = time.monotonic()
                sim.get("/api/v1/namespaces/bench/pods?limit=500")
                lat.append(time.monotonic() - t0)
            self.assertLess(max(lat), 1.0, "list latency with 50 watches: %r" % lat)
            for t in ts:
                t.join(60)
            self.assertEqual(counts, [WAVE] * 50)


if __name__ == "__main__":
    unittest.main()
