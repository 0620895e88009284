#!/usr/bin/python3
"""The Python peer of the rollout tracker benchmark: what a Python operator pays per event.

    /usr/bin/python3 bench/rollout_peer.py --in FILE [--runs 3] [--namespace shop-00] [--out F]

Reads a recording by bench/rollout_record.py (only the lines that name --namespace, the
same slice `kprof_rollout_bench --namespace` replays; "" for all), then for each run
decodes every line the way python3-kubernetes' watch module does
(kubernetes.watch.Watch.unmarshal_event: json.loads, json.dumps of the object, then
ApiClient.deserialize into V1Deployment / V1ReplicaSet / V1Pod / EventsV1Event) and keeps a
minimal dict-based picture: per Deployment desired / updated / available replicas and its
revision, per ReplicaSet its owner and revision, per pod its ReplicaSet and readiness, per
pod a count of its events. Timed with time.process_time(). After each run every
Deployment of the slice must be at revision 2 with desired == updated == available.
Each run also times the same tracking on plain json.loads dicts, without the models
("dicts_only": what an operator working on raw JSON pays), for context.

Events written the legacy way carry eventTime null; EventsV1Event's client-side
validation rejects that (ValueError, after decoding the nested objects), as a typed
EventsV1Api watch would. Those lines are counted as rejected and tracked from the dict
json.loads gave.
"""

import argparse
import gzip
import json
import statistics
import sys
import time

from kubernetes import watch

TYPES = {b"deployments": "V1Deployment", b"replicasets": "V1ReplicaSet", b"pods": "V1Pod",
         b"events": "EventsV1Event"}


def load(path, namespace):
    opener = gzip.open if path.endswith(".gz") else open
    needle = ('"namespace":"%s"' % namespace).encode()
    header, lines = None, []
    with opener(path, "rb") as f:
        for line in f:
            if line.startswith(b"# kprof rollout recording "):
                header = json.loads(line[len(b"# kprof rollout recording "):])
                continue
            resource, _, rest = line.partition(b"\t")
            _, _, body = rest.partition(b"\t")
            if namespace and needle not in body:
                continue
            lines.append((resource, body))
    if header is None:
        sys.exit("rollout_peer: %s: no recording header" % path)
    return header, lines


def revision(meta):
    return (meta.annotations or {}).get("deployment.kubernetes.io/revision")


def complete(deployments):
    return sum(1 for d in deployments.values()
               if d["revision"] == "2" and d["observed"] and d["desired"] == d["updated"] == d["available"] == d["replicas"])


def run_once(lines):
    w = watch.Watch()
    deployments, replicasets, pods, pod_events = {}, {}, {}, {}
    events = rejected = 0
    start = time.process_time()
    for resource, body in lines:
        return_type = TYPES[resource]
        try:
            e = w.unmarshal_event(body, return_type)
        except ValueError:
            rejected += 1
            raw = json.loads(body)
            e = {"type": raw["type"], "object": None, "raw_object": raw["object"]}
        kind = e["type"]
        if kind == "BOOKMARK":
            continue
        events += 1
        o = e["object"]
        if resource == b"deployments":
            uid = o.metadata.uid
            if kind == "DELETED":
                deployments.pop(uid, None)
            else:
                st = o.status
                deployments[uid] = {
                    "name": o.metadata.namespace + "/" + o.metadata.name,
                    "revision": revision(o.metadata),
                    "desired": o.spec.replicas,
                    "updated": st.updated_replicas or 0,
                    "available": st.available_replicas or 0,
                    "replicas": st.replicas or 0,
                    "observed": (st.observed_generation or 0) >= o.metadata.generation,
                }
        elif resource == b"replicasets":
            uid = o.metadata.uid
            if kind == "DELETED":
                replicasets.pop(uid, None)
            else:
                owner = next((r.uid for r in o.metadata.owner_references or [] if r.controller), None)
                replicasets[uid] = (owner, revision(o.metadata), o.status.replicas)
        elif resource == b"pods":
            uid = o.metadata.uid
            if kind == "DELETED":
                pods.pop(uid, None)
            else:
                owner = next((r.uid for r in o.metadata.owner_references or [] if r.controller), None)
                ready = any(c.type == "Ready" and c.status == "True" for c in o.status.conditions or [])
                pods[uid] = (owner, o.status.phase, ready)
        else:
            regarding = o.regarding if o is not None else None
            kind_, uid = ((regarding.kind, regarding.uid) if regarding is not None
                          else (e["raw_object"]["regarding"].get("kind"), e["raw_object"]["regarding"].get("uid")))
            if kind_ == "Pod":
                pod_events[uid] = pod_events.get(uid, 0) + 1
    cpu = time.process_time() - start
    return {"events": events, "rejected_events": rejected, "cpu_seconds": cpu,
            "events_per_cpu_second": events / cpu, "deployments": len(deployments),
            "complete": complete(deployments), "pods": len(pods), "replicasets": len(replicasets)}


def controller(meta):
    return next((r["uid"] for r in meta.get("ownerReferences", ()) if r.get("controller")), None)


def run_dicts(lines):
    """The same tracking on json.loads dicts, no models: what an operator working on raw
    JSON (kopf-style) pays. Context for the typed figure, not the peer."""
    deployments, replicasets, pods, pod_events = {}, {}, {}, {}
    events = 0
    start = time.process_time()
    for resource, body in lines:
        e = json.loads(body)
        kind = e["type"]
        if kind == "BOOKMARK":
            continue
        events += 1
        o = e["object"]
        meta = o["metadata"]
        if resource == b"deployments":
            if kind == "DELETED":
                deployments.pop(meta["uid"], None)
            else:
                st = o.get("status", {})
                deployments[meta["uid"]] = {
                    "name": meta["namespace"] + "/" + meta["name"],
                    "revision": meta.get("annotations", {}).get("deployment.kubernetes.io/revision"),
                    "desired": o["spec"].get("replicas", 1),
                    "updated": st.get("updatedReplicas", 0),
                    "available": st.get("availableReplicas", 0),
                    "replicas": st.get("replicas", 0),
                    "observed": st.get("observedGeneration", 0) >= meta.get("generation", 0),
                }
        elif resource == b"replicasets":
            if kind == "DELETED":
                replicasets.pop(meta["uid"], None)
            else:
                replicasets[meta["uid"]] = (controller(meta),
                                            meta.get("annotations", {}).get("deployment.kubernetes.io/revision"),
                                            o.get("status", {}).get("replicas", 0))
        elif resource == b"pods":
            if kind == "DELETED":
                pods.pop(meta["uid"], None)
            else:
                st = o.get("status", {})
                ready = any(c["type"] == "Ready" and c["status"] == "True" for c in st.get("conditions", ()))
                pods[meta["uid"]] = (controller(meta), st.get("phase"), ready)
        else:
            regarding = o.get("regarding", {})
            if regarding.get("kind") == "Pod":
                pod_events[regarding.get("uid")] = pod_events.get(regarding.get("uid"), 0) + 1
    cpu = time.process_time() - start
    return {"events": events, "cpu_seconds": cpu, "events_per_cpu_second": events / cpu,
            "deployments": len(deployments), "complete": complete(deployments)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--in", dest="path", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--namespace", default="shop-00", help='replay only this namespace\'s lines ("" = all)')
    ap.add_argument("--out")
    args = ap.parse_args()
    t = time.monotonic()
    header, lines = load(args.path, args.namespace)
    print("rollout_peer: %d lines loaded in %.1f s" % (len(lines), time.monotonic() - t), file=sys.stderr)
    want = header["deployments"] // (header["namespaces"] if args.namespace else 1)
    runs, ok = [], True
    for i in range(args.runs):
        r = run_once(lines)
        r["dicts_only"] = run_dicts(lines)
        r["ok"] = (r["deployments"] == want and r["complete"] == want and
                   r["dicts_only"]["complete"] == want)
        ok = ok and r["ok"]
        runs.append(r)
        print("run %d: %d events in %.1f s CPU (%.0f/s; dicts only %.0f/s), %d of %d Deployments rolled "
              "out to revision 2%s" % (i + 1, r["events"], r["cpu_seconds"], r["events_per_cpu_second"],
                                       r["dicts_only"]["events_per_cpu_second"], r["complete"], want,
                                       "" if r["ok"] else "  FAILED"), file=sys.stderr)
    result = {"input": args.path, "namespace": args.namespace, "lines": len(lines),
              "client": "python3-kubernetes " + __import__("kubernetes").__version__,
              "python": sys.version.split()[0], "runs": runs,
              "median": {"events_per_cpu_second": statistics.median(r["events_per_cpu_second"] for r in runs),
                         "cpu_seconds": statistics.median(r["cpu_seconds"] for r in runs),
                         "dicts_only_events_per_cpu_second": statistics.median(
                             r["dicts_only"]["events_per_cpu_second"] for r in runs)},
              "checks_ok": ok}
    text = json.dumps(result, indent=2) + "\n"
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
