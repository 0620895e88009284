#!/usr/bin/env bash
# Rollout tracker benchmark (issue 5): watch events a Tracker handles per CPU-second, and
# its memory, over a recorded rollout of 1,000 Deployments × 10 pods; the Python peer
# (python3-kubernetes' watch decoding and dict tracking) on the same lines, for a ratio.
#
#   bench/rollout_bench.sh BUILD_DIR [RESULTS.json]
#
# Records BUILD_DIR/bench-data/rollout-1000x10.tsv.gz on first use (bench/rollout_record.py
# on the simulator, ~3 minutes). Then, KPROF_BENCH_REPS times (default 5), in an order that
# rotates between repetitions, each a fresh process:
#   kprof_rollout_bench on the whole recording (the issue's measure),
#   kprof_rollout_bench and bench/rollout_peer.py on the lines of one namespace of ten
#   (100 Deployments: python3-kubernetes takes ~1 ms an event, so the whole recording
#   would take minutes a run); the peer also times plain json.loads dicts for context.
# Prints medians and writes every repetition's results with them to RESULTS.json.
set -euo pipefail

build=$(cd "${1:?usage: rollout_bench.sh BUILD_DIR [RESULTS.json]}" && pwd)
results=${2:-$build/bench-results/rollout.json}
here=$(cd "$(dirname "$0")" && pwd)
reps=${KPROF_BENCH_REPS:-5}
slice=shop-00
recording="$build/bench-data/rollout-1000x10.tsv.gz"
bench="$build/bench/kprof_rollout_bench"
mkdir -p "$(dirname "$results")" "$build/bench-data"

if [[ ! -f "$recording" ]]; then
  GOCACHE="${GOCACHE:-$build/kubesim/gocache}" \
    bash "$here/../tests/support/kubesim/build.sh" "$build/kubesim" >/dev/null
  /usr/bin/python3 "$here/rollout_record.py" --kubesim "$build/kubesim" --out "$recording" \
    --deployments 1000 --pods 10
fi

work=$(mktemp -d /tmp/kprof-rollout-bench-XXXXXX)
trap 'rm -rf "$work"' EXIT

kprof_full() { "$bench" --in "$recording" --runs 1 --out "$work/full-$1.json" 2>>"$work/log"; }
kprof_slice() {
  "$bench" --in "$recording" --runs 1 --namespace "$slice" --out "$work/slice-$1.json" 2>>"$work/log"
}
python_slice() {
  /usr/bin/python3 "$here/rollout_peer.py" --in "$recording" --runs 1 --namespace "$slice" \
    --out "$work/peer-$1.json" 2>>"$work/log"
}

for rep in $(seq 1 "$reps"); do
  echo "repetition $rep of $reps" >&2
  if ((rep % 2)); then
    kprof_full "$rep"; kprof_slice "$rep"; python_slice "$rep"
  else
    python_slice "$rep"; kprof_slice "$rep"; kprof_full "$rep"
  fi
done

/usr/bin/python3 - "$work" "$reps" "$results" "$recording" <<'PY'
import json, os, statistics, sys
work, reps, out, recording = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
load = lambda name: json.load(open(os.path.join(work, name)))
full = [load("full-%d.json" % r) for r in range(1, reps + 1)]
sl = [load("slice-%d.json" % r) for r in range(1, reps + 1)]
peer = [load("peer-%d.json" % r) for r in range(1, reps + 1)]
med = statistics.median
run = lambda res: res["runs"][0]
rate = lambda res: run(res)["track"]["events_per_cpu_second"]
drate = lambda res: run(res)["decode"]["events_per_cpu_second"]
prate = lambda res: res["runs"][0]["events_per_cpu_second"]
mem = lambda res, k: run(res)["memory"][k]
ratios = [rate(k) / prate(p) for k, p in zip(sl, peer)]
ratios_full = [rate(k) / prate(p) for k, p in zip(full, peer)]
dicts = lambda res: res["runs"][0]["dicts_only"]["events_per_cpu_second"]
ratios_dicts = [rate(k) / dicts(p) for k, p in zip(sl, peer)]
first = run(full[0])
summary = {
    "recording": recording,
    "recording_header": full[0]["recording"],
    "lines": full[0]["lines"], "json_bytes": full[0]["json_bytes"],
    "events": first["track"]["events"],
    "slice": sl[0]["namespace"], "slice_events": run(sl[0])["track"]["events"],
    "repetitions": reps,
    "machine": {"cpus": os.cpu_count(), "loadavg": open("/proc/loadavg").read().split()[:3],
                "cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                             if l.startswith("model name")), "")},
    "median": {
        "kprof_events_per_cpu_second": med(rate(r) for r in full),
        "kprof_decode_only_events_per_cpu_second": med(drate(r) for r in full),
        "kprof_track_cpu_seconds": med(run(r)["track"]["cpu_seconds"] for r in full),
        "kprof_decode_cpu_seconds": med(run(r)["decode"]["cpu_seconds"] for r in full),
        "kprof_track_wall_seconds": med(run(r)["track"]["wall_seconds"] for r in full),
        "kprof_heap_growth_mb": med(mem(r, "heap_growth_bytes") for r in full) / 1e6,
        "kprof_rss_growth_mb": med((mem(r, "rss_after_kb") - mem(r, "rss_before_kb")) / 1024 for r in full),
        "kprof_peak_rss_growth_mb": med(mem(r, "peak_rss_growth_kb") / 1024 for r in full),
        "kprof_slice_events_per_cpu_second": med(rate(r) for r in sl),
        "python_slice_events_per_cpu_second": med(prate(r) for r in peer),
        "ratio_kprof_slice_over_python": med(ratios),
        "ratio_kprof_full_over_python": med(ratios_full),
        "python_dicts_only_slice_events_per_cpu_second": med(dicts(r) for r in peer),
        "ratio_kprof_slice_over_python_dicts_only": med(ratios_dicts),
    },
    "checks_ok": all(r["checks_ok"] for r in full + sl + peer),
    "kprof_full": full, "kprof_slice": sl, "python_slice": peer,
}
m = summary["median"]
summary["target_events_per_cpu_second"] = 5000
summary["target_met"] = m["kprof_events_per_cpu_second"] >= 5000
json.dump(summary, open(out, "w"), indent=2)
c = first["counts"]
print("Rollout tracker replay: %d watch events, %.0f MB of JSON (the tracker saw %d Deployments, %d "
      "ReplicaSets, %d pods), medians of %d" % (summary["events"], summary["json_bytes"] / 1e6,
                                                c["deployments"], c["replicasets"], c["pods"], reps))
print("%-46s %14s %10s" % ("", "events/CPU-s", "CPU s"))
print("%-46s %14.0f %10.2f" % ("kprof decode only (ParseWatchEvent)", m["kprof_decode_only_events_per_cpu_second"],
                               m["kprof_decode_cpu_seconds"]))
print("%-46s %14.0f %10.2f" % ("kprof decode + Tracker", m["kprof_events_per_cpu_second"], m["kprof_track_cpu_seconds"]))
print("%-46s %14.0f" % ("kprof decode + Tracker, namespace " + summary["slice"], m["kprof_slice_events_per_cpu_second"]))
print("%-46s %14.0f" % ("python3-kubernetes watch decode + dicts, " + summary["slice"],
                        m["python_slice_events_per_cpu_second"]))
print("%-46s %14.0f" % ("python json.loads + the same dicts (context)",
                        m["python_dicts_only_slice_events_per_cpu_second"]))
print("ratio kprof / python3-kubernetes on the same lines: %.0fx (whole recording vs the slice: %.0fx); "
      "kprof / json.loads dicts: %.1fx" % (m["ratio_kprof_slice_over_python"], m["ratio_kprof_full_over_python"],
                                           m["ratio_kprof_slice_over_python_dicts_only"]))
print("kprof memory: heap in use +%.1f MB, RSS +%.1f MB, peak RSS +%.1f MB" % (
    m["kprof_heap_growth_mb"], m["kprof_rss_growth_mb"], m["kprof_peak_rss_growth_mb"]))
print("target >= 5,000 events/s on one core: %s; rollout checks: %s" % (
    "met" if summary["target_met"] else "MISSED", "ok" if summary["checks_ok"] else "FAILED"))
print("results: " + out)
sys.exit(0 if summary["checks_ok"] else 1)
PY
