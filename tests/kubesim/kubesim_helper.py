"""Start/stop a kubesim simulator for tests and talk to it.

Run tests with Debian's /usr/bin/python3 (it has python3-kubernetes).
KPROF_KUBESIM_DIR names the directory holding the built kubesim and
workload binaries (tests/support/kubesim/build.sh OUTDIR).
"""

import atexit
import ctypes
import gzip
import json
import os
import select
import shutil
import signal
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

KUBESIM_DIR = os.environ.get("KPROF_KUBESIM_DIR", "")

_live = set()  # simulators not stopped yet (stopped at exit whatever happens)


@atexit.register
def _stop_all():
    for sim in list(_live):
        sim.stop()


_prctl = ctypes.CDLL(None, use_errno=True).prctl  # looked up before any fork


def _die_with_parent():
    # The simulator gets SIGKILL if this test process dies (e.g. a CTest
    # timeout); its pods follow through their own Pdeathsig.
    _prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL


def binary(name):
    path = os.path.join(KUBESIM_DIR, name)
    if not os.access(path, os.X_OK):
        raise RuntimeError("%s not built (set KPROF_KUBESIM_DIR; run build.sh)" % path)
    return path


def wait_for(cond, timeout, interval=0.05, what="condition"):
    """Polls cond() until it returns a truthy value; raises on timeout."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        try:
            last = cond()
        except Exception as e:  # noqa: BLE001 - keep polling, report the last error
            last = e
        else:
            if last:
                return last
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s (last: %r)" % (timeout, what, last))
        time.sleep(interval)


def pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is dead for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


class Sim:
    """One simulator process on 127.0.0.1:0 with its own temp dir."""

    def __init__(self, config=None, token=None, tls=False, nodes=None, extra_args=()):
        self.dir = tempfile.mkdtemp(prefix="kubesim-test-")
        self.kubeconfig = os.path.join(self.dir, "kubeconfig")
        self.token = token
        self.tls = tls
        args = [binary("kubesim"), "-listen", "127.0.0.1:0", "-workload", binary("workload"),
                "-kubeconfig-out", self.kubeconfig]
        if config is not None:
            cfg = os.path.join(self.dir, "config.json")
            with open(cfg, "w") as f:
                json.dump(config, f)
            args += ["-config", cfg]
        if token:
            args += ["-token", token]
        if tls:
            args += ["-tls-generate", os.path.join(self.dir, "tls")]
        if nodes:
            args += ["-nodes", ",".join(nodes)]
        args += list(extra_args)
        self.stderr_path = os.path.join(self.dir, "kubesim.stderr")
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=self._stderr, preexec_fn=_die_with_parent)
        _live.add(self)
        self.addr = self._wait_listening(15)
        self.url = ("https://" if tls else "http://") + self.addr
        self.home = os.path.join(self.dir, "home")
        os.makedirs(self.home)

    def _wait_listening(self, timeout):
        deadline = time.monotonic() + timeout
        buf = b""
        fd = self.proc.stdout.fileno()
        while time.monotonic() < deadline:
            r, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not r:
                break
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            for line in buf.split(b"\n"):
                if line.startswith(b"LISTENING "):
                    return line.split()[1].decode()
        self.stop()
        raise RuntimeError("kubesim did not print LISTENING: %r %s" % (buf, self.stderr()))

    def stderr(self):
        try:
            with open(self.stderr_path, "rb") as f:
                return f.read().decode(errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self):
        _live.discard(self)
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._stderr.close()
        if self.proc.stdout:
            self.proc.stdout.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()

    # ---- clients ----

    def kubectl(self, *args, check=True, timeout=90, binary_output=False):
        env = dict(os.environ, KUBECONFIG=self.kubeconfig, HOME=self.home)
        p = subprocess.run(["kubectl"] + list(args), env=env, capture_output=True, text=not binary_output,
                           timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError("kubectl %s failed (%d): %s%s" % (" ".join(args), p.returncode, p.stdout, p.stderr))
        return p

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*(list(args) + ["-o", "json"])).stdout)

    def _ssl(self):
        if not self.tls:
            return None
        return ssl.create_default_context(cafile=os.path.join(self.dir, "tls", "ca.crt"))

    def request(self, method, path, body=None, headers=None, auth=True, timeout=30, raw=False):
        """Returns (status, parsed JSON or bytes, headers)."""
        data = None
        hdrs = dict(headers or {})
        if body is not None:
            data = body if isinstance(body, bytes) else json.dumps(body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if auth and self.token:
            hdrs["Authorization"] = "Bearer " + self.token
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=hdrs)
        try:
            resp = urllib.request.urlopen(req, timeout=timeout, context=self._ssl())
            status, payload, rh = resp.status, resp.read(), resp.headers
        except urllib.error.HTTPError as e:
            status, payload, rh = e.code, e.read(), e.headers
        if raw:
            return status, payload, rh
        try:
            return status, json.loads(payload), rh
        except ValueError:
            return status, payload, rh

    def get(self, path, **kw):
        status, obj, _ = self.request("GET", path, **kw)
        if status != 200:
            raise AssertionError("GET %s: %d %r" % (path, status, obj))
        return obj

    def sim(self, path, body=None, method="POST"):
        req = urllib.request.Request(self.url + "/sim/" + path, method=method,
                                     data=json.dumps(body).encode() if body is not None else (b"" if method == "POST" else None))
        with urllib.request.urlopen(req, timeout=60, context=self._ssl()) as resp:
            return json.loads(resp.read())

    def python_client(self):
        """A python3-kubernetes ApiClient built from the written kubeconfig."""
        from kubernetes import client, config
        cfg = client.Configuration()
        config.load_kube_config(config_file=self.kubeconfig, client_configuration=cfg)
        return client.ApiClient(cfg)

    def pods(self, ns="default", selector=None):
        q = "?labelSelector=" + urllib.request.quote(selector) if selector else ""
        return self.get("/api/v1/namespaces/%s/pods%s" % (ns, q))["items"]

    def sim_pods(self):
        return self.sim("pods", method="GET")["pods"]


def deployment(name, image="kprof.test/workload:v1", replicas=2, strategy=None, args=None,
               progress_deadline=None, ns="default", labels=None):
    """A Deployment manifest running the workload (args lower its CPU use)."""
    container = {"name": "app", "image": image, "ports": [{"containerPort": 6060, "name": "pprof"}]}
    if args:
        container["args"] = args
    lab = {"app": name}
    lab.update(labels or {})
    spec = {
        "replicas": replicas,
        "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": lab, "annotations": {"kprof.io/scrape": "true"}},
                     "spec": {"containers": [container], "terminationGracePeriodSeconds": 5}},
    }
    if strategy:
        spec["strategy"] = strategy
    if progress_deadline is not None:
        spec["progressDeadlineSeconds"] = progress_deadline
    return {"apiVersion": "apps/v1", "kind": "Deployment",
            "metadata": {"name": name, "namespace": ns, "labels": {"app": name}}, "spec": spec}


def write_manifest(sim, obj, name="manifest.json"):
    path = os.path.join(sim.dir, name)
    with open(path, "w") as f:
        json.dump(obj, f)
    return path


def gunzip(data):
    return gzip.decompress(data)


class WatchLog:
    """Collects a raw watch stream in a background thread."""

    def __init__(self, sim, path):
        import threading
        self.events = []
        self.closed = False
        self.error = None
        self._sim = sim
        self._path = path
        self._lock = threading.Lock()
        self._t = threading.Thread(target=self._run, daemon=True)
        self._t.start()

    def _run(self):
        try:
            hdrs = {}
            if self._sim.token:
                hdrs["Authorization"] = "Bearer " + self._sim.token
            req = urllib.request.Request(self._sim.url + self._path, headers=hdrs)
            with urllib.request.urlopen(req, timeout=120, context=self._sim._ssl()) as resp:
                for line in resp:
                    if line.strip():
                        with self._lock:
                            self.events.append(json.loads(line))
        except Exception as e:  # noqa: BLE001 - recorded for the test to inspect
            self.error = e
        finally:
            self.closed = True

    def snapshot(self):
        with self._lock:
            return list(self.events)

    def join(self, timeout):
        self._t.join(timeout)
        return not self._t.is_alive()
