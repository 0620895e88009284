#!/usr/bin/python3
"""Records the watch streams of a cluster-wide rollout for the rollout tracker benchmark.

    bench/rollout_record.py --kubesim DIR --out FILE [--deployments 1000] [--pods 10]

Starts the Kubernetes API simulator (DIR/kubesim, from tests/support/kubesim/build.sh),
opens raw watch streams on Deployments, ReplicaSets, Pods and events.k8s.io/v1 Events in
all namespaces before anything exists, then creates DEPLOYMENTS Deployments of PODS
virtual pods each (image kprof.test/virtual/app:v1: no processes), waits until all are
available, changes every image to :v2 with a strategic merge patch and waits until every
Deployment has rolled out (updated == available == replicas == PODS, the new generation
observed) and the streams have gone quiet.

FILE gets every watch line in arrival order across the four streams, one per line:
RESOURCE TAB ARRIVAL TAB LINE, RESOURCE one of deployments, replicasets, pods, events and
ARRIVAL the Unix nanoseconds when the line arrived (a replay's clock). The first line is a
comment, "# kprof rollout recording " followed by a JSON object describing the run
("started_ns": when the watches were opened).
FILE ending in .gz is gzipped. Python standard library only (run with /usr/bin/python3).
"""

import argparse
import ctypes
import gzip
import http.client
import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

STREAMS = [
    ("deployments", "/apis/apps/v1/deployments"),
    ("replicasets", "/apis/apps/v1/replicasets"),
    ("pods", "/api/v1/pods"),
    ("events", "/apis/events.k8s.io/v1/events"),
]
IMAGE = "kprof.test/virtual/app"

_prctl = ctypes.CDLL(None, use_errno=True).prctl


def _die_with_parent():
    _prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL: no simulator left behind if we die


def log(msg):
    print("rollout_record: " + msg, file=sys.stderr, flush=True)


class Recording:
    """The output file; every watch line goes through Write, in arrival order."""

    def __init__(self, path, header):
        self.path = path
        self.tmp = path + ".partial"
        self.f = gzip.open(self.tmp, "wb", compresslevel=3) if path.endswith(".gz") else open(self.tmp, "wb")
        self.f.write(b"# kprof rollout recording " + json.dumps(header).encode() + b"\n")
        self.mu = threading.Lock()
        self.lines = {name: 0 for name, _ in STREAMS}
        self.bytes = 0
        self.last_change = time.monotonic()  # last line that was not a bookmark

    def write(self, resource, line):
        with self.mu:
            self.f.write(b"%s\t%d\t%s" % (resource.encode(), time.time_ns(), line))
            self.lines[resource] += 1
            self.bytes += len(line)
            if not line.startswith(b'{"type":"BOOKMARK"'):
                self.last_change = time.monotonic()

    def finish(self):
        with self.mu:
            self.f.close()
            os.replace(self.tmp, self.path)


class Deployments:
    """What the deployments stream said last about each Deployment."""

    def __init__(self):
        self.mu = threading.Lock()
        self.state = {}  # ns/name → (image, generation, observed, replicas, updated, available)

    def update(self, line):
        event = json.loads(line)
        obj = event.get("object", {})
        meta = obj.get("metadata", {})
        if event.get("type") not in ("ADDED", "MODIFIED") or "name" not in meta:
            return
        spec, status = obj.get("spec", {}), obj.get("status", {})
        image = spec["template"]["spec"]["containers"][0]["image"]
        with self.mu:
            self.state[meta["namespace"] + "/" + meta["name"]] = (
                image, meta.get("generation", 0), status.get("observedGeneration", 0),
                status.get("replicas", 0), status.get("updatedReplicas", 0),
                status.get("availableReplicas", 0))

    def rolled_out(self, image, pods):
        with self.mu:
            return sum(1 for (img, gen, observed, replicas, updated, available) in self.state.values()
                       if img == image and observed >= gen and replicas == updated == available == pods)


class Watch(threading.Thread):
    def __init__(self, addr, resource, path, recording, deployments):
        super().__init__(daemon=True)
        self.resource, self.recording, self.deployments = resource, recording, deployments
        host, port = addr.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=None)
        self.conn.request("GET", path + "?watch=1&allowWatchBookmarks=true")
        self.resp = self.conn.getresponse()  # the headers: the watch is open
        if self.resp.status != 200:
            raise RuntimeError("watch %s: HTTP %d %r" % (path, self.resp.status, self.resp.read(500)))
        self.error = None
        self.closing = False

    def run(self):
        try:
            for line in self.resp:
                if not line.endswith(b"\n"):
                    break  # the stream ended mid-line
                self.recording.write(self.resource, line)
                if self.resource == "deployments":
                    self.deployments.update(line)
        except Exception as e:  # noqa: BLE001 - reported by the main thread
            if not self.closing:
                self.error = e

    def close(self):
        """Ends the stream; the reader thread then returns."""
        self.closing = True
        sock = self.conn.sock
        if sock is not None:
            try:
                sock.shutdown(2)
            except OSError:
                pass


class Api:
    """One keep-alive connection for creates and patches."""

    def __init__(self, addr):
        host, port = addr.rsplit(":", 1)
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def send(self, method, path, body, content_type="application/json"):
        self.conn.request(method, path, body=json.dumps(body).encode(), headers={"Content-Type": content_type})
        resp = self.conn.getresponse()
        payload = resp.read()
        if resp.status not in (200, 201):
            raise RuntimeError("%s %s: HTTP %d %s" % (method, path, resp.status, payload[:500]))


def deployment(name, pods):
    labels = {"app": name, "tier": "web", "team": "checkout"}
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": labels,
                     "annotations": {"kprof.io/bench": "rollout"}},
        "spec": {
            "replicas": pods,
            "selector": {"matchLabels": {"app": name}},
            "template": {
                "metadata": {"labels": labels, "annotations": {"prometheus.io/scrape": "true"}},
                "spec": {"containers": [{
                    "name": "app",
                    "image": IMAGE + ":v1",
                    "ports": [{"name": "http", "containerPort": 8080}],
                    "env": [{"name": "SERVICE", "value": name}, {"name": "LOG_LEVEL", "value": "info"}],
                    "resources": {"requests": {"cpu": "100m", "memory": "128Mi"},
                                  "limits": {"memory": "256Mi"}},
                    "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"},
                                       "periodSeconds": 5},
                }]},
            },
        },
    }


def start_simulator(kubesim_dir, workdir, config, nodes):
    cfg = os.path.join(workdir, "config.json")
    with open(cfg, "w") as f:
        json.dump(config, f)
    args = [os.path.join(kubesim_dir, "kubesim"), "-listen", "127.0.0.1:0", "-config", cfg,
            "-nodes", ",".join(nodes), "-kubeconfig-out", os.path.join(workdir, "kubeconfig")]
    stderr = open(os.path.join(workdir, "kubesim.stderr"), "wb")
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=stderr, preexec_fn=_die_with_parent)
    buf = b""
    deadline = time.monotonic() + 30
    while b"\n" not in buf and time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 1)
        if r:
            chunk = os.read(proc.stdout.fileno(), 256)
            if not chunk:
                break
            buf += chunk
    if not buf.startswith(b"LISTENING "):
        proc.kill()
        raise RuntimeError("kubesim did not start: %r" % buf)
    return proc, buf.split()[1].decode()


def wait_rolled_out(deployments, watches, image, want, pods, timeout, what):
    start = time.monotonic()
    last_log = start
    while True:
        done = deployments.rolled_out(image, pods)
        now = time.monotonic()
        if done >= want:
            log("%s: %d Deployments rolled out in %.1f s" % (what, done, now - start))
            return now - start
        if any(w.error is not None or not w.is_alive() for w in watches):
            raise RuntimeError("a watch stream ended: %s" % [(w.resource, w.error) for w in watches])
        if now - start > timeout:
            raise RuntimeError("%s: only %d of %d Deployments rolled out after %.0f s" % (what, done, want, timeout))
        if now - last_log > 15:
            log("%s: %d of %d rolled out after %.0f s" % (what, done, want, now - start))
            last_log = now
        time.sleep(0.5)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kubesim", required=True, help="directory holding the kubesim binary")
    ap.add_argument("--out", required=True, help="recording to write (.gz: gzipped)")
    ap.add_argument("--deployments", type=int, default=1000)
    ap.add_argument("--pods", type=int, default=10, help="replicas per Deployment")
    ap.add_argument("--namespaces", type=int, default=10)
    ap.add_argument("--nodes", type=int, default=50)
    ap.add_argument("--timeout", type=float, default=900, help="seconds each rollout wave may take")
    ap.add_argument("--quiet", type=float, default=3, help="seconds without a change that end the recording")
    args = ap.parse_args()

    # Small kubelet delays so 2 × DEPLOYMENTS × PODS pods start in minutes; a history long
    # enough that no stream can fall out of it; some bookmarks in the streams.
    config = {"schedule_ms": 20, "pull_ms": 20, "start_ms": 20, "ready_ms": 20,
              "bookmark_ms": 5000, "history": 5000000, "controller_sync_ms": 100}
    nodes = ["node-%02d" % i for i in range(args.nodes)]
    workdir = tempfile.mkdtemp(prefix="kprof-rollout-record-")
    proc = None
    watches = []
    try:
        proc, addr = start_simulator(args.kubesim, workdir, config, nodes)
        header = {"deployments": args.deployments, "pods_per_deployment": args.pods,
                  "namespaces": args.namespaces, "nodes": args.nodes, "kubesim_config": config,
                  "images": [IMAGE + ":v1", IMAGE + ":v2"], "started_ns": time.time_ns()}
        recording = Recording(args.out, header)
        deployments = Deployments()
        for resource, path in STREAMS:
            watches.append(Watch(addr, resource, path, recording, deployments))
        for w in watches:
            w.start()
        api = Api(addr)
        t0 = time.monotonic()
        namespaces = ["shop-%02d" % i for i in range(args.namespaces)]
        for ns in namespaces:
            api.send("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": ns}})
        names = [(namespaces[i % len(namespaces)], "svc-%04d" % i) for i in range(args.deployments)]
        for ns, name in names:
            api.send("POST", "/apis/apps/v1/namespaces/%s/deployments" % ns, deployment(name, args.pods))
        log("created %d Deployments in %.1f s" % (len(names), time.monotonic() - t0))
        v1_s = wait_rolled_out(deployments, watches, IMAGE + ":v1", len(names), args.pods, args.timeout, "v1")

        t1 = time.monotonic()
        patch = {"spec": {"template": {"spec": {"containers": [{"name": "app", "image": IMAGE + ":v2"}]}}}}
        for ns, name in names:
            api.send("PATCH", "/apis/apps/v1/namespaces/%s/deployments/%s" % (ns, name), patch,
                     "application/strategic-merge-patch+json")
        log("patched %d Deployments to :v2 in %.1f s" % (len(names), time.monotonic() - t1))
        v2_s = wait_rolled_out(deployments, watches, IMAGE + ":v2", len(names), args.pods, args.timeout, "v2")

        # Old pods finishing their termination, the last events: wait for quiet streams.
        deadline = time.monotonic() + 120
        while time.monotonic() - recording.last_change < args.quiet and time.monotonic() < deadline:
            time.sleep(0.2)
        for w in watches:
            w.close()
        for w in watches:
            w.join(10)
        recording.finish()
        total = sum(recording.lines.values())
        log("%d lines (%.0f MB of JSON) in %.1f s (v1 %.1f s, v2 %.1f s): %s → %s" % (
            total, recording.bytes / 1e6, time.monotonic() - t0, v1_s, v2_s,
            ", ".join("%s %d" % kv for kv in recording.lines.items()), args.out))
    finally:
        for w in watches:
            w.close()
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
