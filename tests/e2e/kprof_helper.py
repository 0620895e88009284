"""Start a kprof server (collecting from a kubesim cluster) for end-to-end tests.

KPROF_BIN names the kprof binary; KPROF_KUBESIM_DIR the built simulator (see
tests/kubesim/kubesim_helper.py, which these tests import).
"""

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "kubesim"))
import kubesim_helper  # noqa: E402

KPROF_BIN = os.environ.get("KPROF_BIN", "")
wait_for = kubesim_helper.wait_for


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`kprof server --kubeconfig SIM` on a free loopback port with its own data dir."""

    def __init__(self, sim, extra_args=()):
        if not os.access(KPROF_BIN, os.X_OK):
            raise RuntimeError("KPROF_BIN=%r is not executable" % KPROF_BIN)
        self.dir = tempfile.mkdtemp(prefix="kprof-e2e-")
        self.log_path = os.path.join(self.dir, "server.log")
        self._log = open(self.log_path, "wb")
        args = [KPROF_BIN, "server", "--listen", "127.0.0.1:0", "--data-dir",
                os.path.join(self.dir, "data"), "--no-sync", "--kubeconfig", sim.kubeconfig,
                "--spool-dir", os.path.join(self.dir, "spool")] + list(extra_args)
        self.proc = subprocess.Popen(args, stdout=self._log, stderr=subprocess.STDOUT,
                                     preexec_fn=kubesim_helper._die_with_parent)
        self.url = wait_for(self._listening, 30, 0.05, "kprof server to listen")
        wait_for(lambda: "tracking Deployment rollouts" in self.log() or
                 self.proc.poll() is not None, 30, 0.05, "rollout tracking to start")
        if self.proc.poll() is not None:
            raise RuntimeError("kprof server exited: " + self.log())

    def _listening(self):
        if self.proc.poll() is not None:
            raise RuntimeError("kprof server exited: " + self.log())
        m = re.search(r"listening on (http://127\.0\.0\.1:\d+)", self.log())
        return m.group(1) if m else None

    def log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode(errors="replace")

    def get(self, path, raw=False):
        with urllib.request.urlopen(self.url + path, timeout=60) as resp:
            data = resp.read()
        return data.decode() if raw else json.loads(data)

    def status_of(self, path):
        try:
            with urllib.request.urlopen(self.url + path, timeout=60) as resp:
                return resp.status, json.loads(resp.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def rollouts(self, deployment, ns="default"):
        return self.get("/api/v1/rollouts?namespace=%s&deployment=%s" % (ns, deployment))["rollouts"]

    def profiles(self, selector, type_="cpu", since="-1h"):
        q = urllib.parse.urlencode({"type": type_, "query": selector, "from": since, "limit": 1000})
        return self.get("/api/v1/profiles?" + q)["profiles"]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._log.close()
        shutil.rmtree(self.dir, ignore_errors=True)


def plugin_env(sim):
    """Environment in which `kubectl kprof` finds the kubectl-kprof next to KPROF_BIN."""
    env = dict(os.environ, KUBECONFIG=sim.kubeconfig, HOME=sim.home)
    env["PATH"] = os.path.dirname(KPROF_BIN) + os.pathsep + env.get("PATH", "")
    return env


def set_image(sim, deployment, image, ns="default"):
    sim.kubectl("-n", ns, "set", "image", "deploy/" + deployment, "app=" + image)


def rollout_status(sim, deployment, ns="default", timeout="120s"):
    """Runs `kubectl rollout status`; returns (exit code, output, monotonic time it returned)."""
    p = sim.kubectl("-n", ns, "rollout", "status", "deploy/" + deployment, "--timeout", timeout,
                    check=False, timeout=180)
    return p.returncode, p.stdout + p.stderr, time.monotonic()


def deploy(sim, name, replicas, image="kprof.test/workload:v1"):
    """Applies a Deployment of the Go workload and waits until `kubectl rollout status`
    says it rolled out; raises with kubectl's output otherwise."""
    manifest = kubesim_helper.deployment(name, image=image, replicas=replicas)
    sim.kubectl("apply", "-f", kubesim_helper.write_manifest(sim, manifest, name + ".json"))
    code, out, _ = rollout_status(sim, name)
    if code != 0:
        raise AssertionError("deployment %s did not roll out: %s" % (name, out))
