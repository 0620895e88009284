#!/usr/bin/env python3
"""Merge benchmark: kprof vs `go tool pprof -proto` on the same files, same run.

For each corpus (2,000 real CPU profiles, 2,000 real heap profiles) and each of
--reps repetitions, runs in turn:
  go      go tool pprof -proto FILES > out        (the peer users run today)
  kprof   kprof merge -o out FILES                (all cores)
  floor   kprof_inflate_floor --threads N FILES   (read + libdeflate inflate + one
                                                   varint scan; N = kprof's threads)
  floor1  the same on one thread
measuring wall time (wait4, no extra process) in every repetition and peak RSS
(GNU time) in one extra run of each. Reports medians and the ratios
go/kprof (speed-up), kprof/go RSS, kprof/floor. Checks that both merged profiles
give the same `go tool pprof -top`.
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time


def timed(cmd, stdout_path=None):
    """Runs cmd; returns (wall seconds, peak RSS KiB) from the child's own rusage."""
    out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    err = proc.stderr.read()
    proc.stderr.close()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if stdout_path:
        out.close()
    if proc.returncode != 0:
        sys.exit("command failed: %s\n%s" % (" ".join(cmd[:4]), err.decode()[-2000:]))
    return wall, usage.ru_maxrss


def peak_rss_kib(cmd, stdout_path=None):
    """Peak RSS of one run, from GNU time (wait4's figure would include Python's pages)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        out = open(stdout_path, "wb") if stdout_path else subprocess.DEVNULL
        subprocess.run(["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd, stdout=out,
                       stderr=subprocess.DEVNULL, check=True)
        if stdout_path:
            out.close()
        return int(tf.read().strip().splitlines()[-1])


def top(path):
    return subprocess.run(["go", "tool", "pprof", "-top", path], capture_output=True,
                          env=dict(os.environ, TZ="UTC")).stdout


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--data", default=None)
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    data = os.path.abspath(args.data or os.path.join(build, "bench-data"))
    kprof = os.path.join(build, "apps/kprof/kprof")
    floor = os.path.join(build, "bench/kprof_inflate_floor")
    threads = os.cpu_count() or 1
    results = {"machine": {"cpus": threads}, "reps": args.reps, "corpora": {}}
    tmp = tempfile.mkdtemp(prefix="kprof-bench-")
    for corpus in ("cpu", "cpu-small", "heap"):
        files = sorted(glob.glob(os.path.join(data, corpus, "*.pb.gz")))
        if len(files) != 2000:
            sys.exit("corpus %s has %d files; run bench/make_corpus.sh" % (corpus, len(files)))
        gz_bytes = sum(os.path.getsize(f) for f in files)
        runs = {"go": [], "kprof": [], "floor": [], "floor1": []}
        go_out = os.path.join(tmp, corpus + "-go.pb.gz")
        k_out = os.path.join(tmp, corpus + "-kprof.pb.gz")
        commands = {
            "go": (["go", "tool", "pprof", "-proto"] + files, go_out),
            "kprof": ([kprof, "merge", "-o", k_out] + files, None),
            "floor": ([floor, "--threads", str(threads)] + files, None),
            "floor1": ([floor, "--threads", "1"] + files, None),
        }
        order = list(commands)
        for rep in range(args.reps):
            # Rotate the order so no tool always runs right after another.
            for name in order[rep % len(order):] + order[:rep % len(order)]:
                cmd, stdout_path = commands[name]
                runs[name].append(timed(cmd, stdout_path))
            print("%s rep %d: go %.3fs kprof %.3fs floor %.3fs floor1 %.3fs" % (
                corpus, rep + 1, runs["go"][-1][0], runs["kprof"][-1][0],
                runs["floor"][-1][0], runs["floor1"][-1][0]), flush=True)
        same = top(go_out) == top(k_out)
        rss = {
            "go": peak_rss_kib(["go", "tool", "pprof", "-proto"] + files, go_out),
            "kprof": peak_rss_kib([kprof, "merge", "-o", k_out] + files),
            "floor": peak_rss_kib([floor, "--threads", str(threads)] + files),
            "floor1": peak_rss_kib([floor, "--threads", "1"] + files),
        }
        med = {k: {"wall_s": statistics.median(w for w, _ in v), "rss_mib": rss[k] / 1024.0}
               for k, v in runs.items()}
        # Ratios per repetition (same run), then their median.
        def ratio(a, b, idx):
            return statistics.median(x[idx] / y[idx] for x, y in zip(runs[a], runs[b]))
        results["corpora"][corpus] = {
            "files": len(files), "gzip_mib": gz_bytes / 2**20, "median": med,
            "speedup_vs_go": ratio("go", "kprof", 0),
            "rss_kprof_over_go": rss["kprof"] / rss["go"],
            "kprof_over_floor": ratio("kprof", "floor", 0),
            "kprof_over_floor1": ratio("kprof", "floor1", 0),
            "same_top_as_go": same,
        }
    print()
    print("| corpus | go tool pprof | kprof merge | floor (%d thr) | floor (1 thr) | speed-up vs go | RSS kprof/go | kprof/floor | same -top |" % threads)
    print("|---|---|---|---|---|---|---|---|---|")
    for corpus, r in results["corpora"].items():
        m = r["median"]
        print("| %s (%d files, %.1f MiB gz) | %.3f s, %.0f MiB | %.3f s, %.0f MiB | %.3f s | %.3f s | %.1fx | %.2f | %.2fx | %s |" % (
            corpus, r["files"], r["gzip_mib"], m["go"]["wall_s"], m["go"]["rss_mib"],
            m["kprof"]["wall_s"], m["kprof"]["rss_mib"], m["floor"]["wall_s"],
            m["floor1"]["wall_s"], r["speedup_vs_go"], r["rss_kprof_over_go"],
            r["kprof_over_floor"], "yes" if r["same_top_as_go"] else "NO"))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, "w") as f:
            json.dump(results, f, indent=2)
    if not all(r["same_top_as_go"] for r in results["corpora"].values()):
        sys.exit("merged profiles differ from go tool pprof's")


if __name__ == "__main__":
    main()
