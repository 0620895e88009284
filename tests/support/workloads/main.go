// Command workload is a Go program with known profiling properties, used by
// kprof tests. See README.md.
package main

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"net/http"
	_ "net/http/pprof"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"sync"
	"syscall"
	"time"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:0", "serve mode: HTTP listen address")
	profileRate := flag.Int("profile-rate", 0, "CPU profile rate in Hz (0 = Go default 100)")
	busy := flag.Int("busy", 1, "number of busy CPU worker goroutines")
	variant := flag.String("work-variant", "v1", "v1 | v2 (v2 makes main.regressedFunc much hotter)")
	genDir := flag.String("gen-dir", "", "gen mode: write profiles into this directory")
	genCount := flag.Int("gen-count", 10, "gen mode: number of profiles")
	genKind := flag.String("gen-kind", "cpu", "gen mode: cpu | heap | widetree (one allocs profile, widetree.pb.gz)")
	wideDepth := flag.Int("widetree-depth", 7, "gen -gen-kind widetree: call-tree depth (4^depth leaves)")
	genSeconds := flag.Float64("gen-seconds", 0.2, "gen mode: seconds per CPU profile")
	memRate := flag.Int("mem-profile-rate", 0, "runtime.MemProfileRate in bytes (0 = Go default 512 KiB; gen -gen-kind heap defaults to 4096)")
	genInterval := flag.Duration("gen-interval", 5*time.Millisecond, "gen mode: work time between heap profiles")
	flag.Parse()

	if *variant != "v1" && *variant != "v2" {
		fatalf("bad -work-variant %q (want v1 or v2)", *variant)
	}
	if *genDir != "" && *genKind != "cpu" && *genKind != "heap" && *genKind != "widetree" {
		fatalf("bad -gen-kind %q (want cpu, heap or widetree)", *genKind)
	}
	// The wide tree must be the only work in its profile: no background.
	if *genDir != "" && *genKind == "widetree" {
		if err := genWideTree(*genDir, *wideDepth); err != nil {
			fatalf("%v", err)
		}
		return
	}

	if *memRate == 0 && *genDir != "" && *genKind == "heap" {
		*memRate = 4096
	}
	if *memRate > 0 {
		runtime.MemProfileRate = *memRate
	}
	runtime.SetMutexProfileFraction(1)
	runtime.SetBlockProfileRate(1)

	startBackground(*busy, workConfig{variant: *variant})

	if *genDir != "" {
		if err := gen(*genDir, *genKind, *genCount, *genSeconds, *genInterval, *profileRate); err != nil {
			fatalf("%v", err)
		}
		return
	}
	serve(*addr, *profileRate)
}

func fatalf(format string, args ...interface{}) {
	fmt.Fprintf(os.Stderr, "workload: "+format+"\n", args...)
	os.Exit(1)
}

func startBackground(busy int, cfg workConfig) {
	prefillRetained()
	ctx := context.Background()
	for i := 0; i < busy; i++ {
		go busyWorker(ctx, i, cfg)
	}
	startContention()
	startIdle()
}

func serve(addr string, rate int) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fatalf("listen: %v", err)
	}
	var handler http.Handler = http.DefaultServeMux
	if rate > 0 {
		mux := http.NewServeMux()
		mux.Handle("/", http.DefaultServeMux)
		mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
			cpuProfileAtRate(w, r, rate)
		})
		handler = mux
	}
	out := bufio.NewWriter(os.Stdout)
	fmt.Fprintf(out, "LISTENING %s\n", ln.Addr().String())
	out.Flush()
	if err := http.Serve(ln, handler); err != nil {
		fatalf("serve: %v", err)
	}
}

// cpuMu serializes our own CPU profile starts (rate change + start).
var cpuMu sync.Mutex

// startCPUProfileAtRate starts a CPU profile at hz (0 = default). Go 1.19's
// StartCPUProfile always asks for 100 Hz; setting the rate first makes that
// request a no-op, at the price of a runtime warning on fd 2, which is
// silenced here.
func startCPUProfileAtRate(w interface{ Write([]byte) (int, error) }, hz int) error {
	if hz <= 0 {
		return pprof.StartCPUProfile(w)
	}
	cpuMu.Lock()
	defer cpuMu.Unlock()
	restore := silenceStderr()
	runtime.SetCPUProfileRate(hz)
	err := pprof.StartCPUProfile(w)
	restore()
	// StartCPUProfile only fails when a profile is already running; then the
	// runtime also refused our rate change, so there is nothing to undo.
	return err
}

// silenceStderr points fd 2 at /dev/null until the returned func is called.
func silenceStderr() func() {
	devnull, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		return func() {}
	}
	saved, err := syscall.Dup(2)
	if err != nil {
		devnull.Close()
		return func() {}
	}
	syscall.Dup3(int(devnull.Fd()), 2, 0)
	devnull.Close()
	return func() {
		syscall.Dup3(saved, 2, 0)
		syscall.Close(saved)
	}
}

// cpuProfileAtRate is /debug/pprof/profile with a non-default sampling rate.
func cpuProfileAtRate(w http.ResponseWriter, r *http.Request, hz int) {
	sec, err := strconv.ParseFloat(r.FormValue("seconds"), 64)
	if err != nil || sec <= 0 {
		sec = 30
	}
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="profile"`)
	if err := startCPUProfileAtRate(w, hz); err != nil {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Header().Del("Content-Disposition")
		w.WriteHeader(http.StatusInternalServerError)
		fmt.Fprintf(w, "Could not enable CPU profiling: %s\n", err)
		return
	}
	select {
	case <-time.After(time.Duration(sec * float64(time.Second))):
	case <-r.Context().Done():
	}
	pprof.StopCPUProfile()
}

func gen(dir, kind string, count int, seconds float64, interval time.Duration, rate int) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// Warm up so the first profile already sees steady-state work, and run a
	// GC so the heap profile has a completed cycle to report.
	time.Sleep(50 * time.Millisecond)
	runtime.GC()
	for i := 1; i <= count; i++ {
		name := filepath.Join(dir, fmt.Sprintf("%s-%05d.pb.gz", kind, i))
		f, err := os.Create(name)
		if err != nil {
			return err
		}
		switch kind {
		case "cpu":
			if err = startCPUProfileAtRate(f, rate); err == nil {
				time.Sleep(time.Duration(seconds * float64(time.Second)))
				pprof.StopCPUProfile()
			}
		case "heap":
			// The heap profile reports the last completed GC cycle; force
			// one so consecutive profiles differ as the work progresses.
			time.Sleep(interval)
			runtime.GC()
			err = pprof.Lookup("heap").WriteTo(f, 0)
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("%s: %v", name, err)
		}
	}
	return nil
}
