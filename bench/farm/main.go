// Command farm serves many pprof targets and a profile sink for the agent benchmark.
//
// Target mode listens on COUNT loopback addresses (BASE, BASE+1, …, all on PORT) and serves
// real captured profiles under /debug/pprof/: heap, goroutine, block, mutex, threadcreate,
// allocs (alternating between two snapshots of one process, so deltas are real) and
// profile?seconds=N (answered after N seconds, as a real Go process does). The sink accepts
// POST /api/v1/profiles like a kprof server and counts what arrives. A peer scraper
// (-peer) does the same scrapes as the agent with one goroutine per target, the way simple
// Go collectors do, so the benchmark can compare CPU in the same run.
//
//	farm -profiles DIR -base 127.3.0.1 -count 2000 -port 6060 -sink 127.0.0.1:0
//
// prints "LISTENING sink=HOST:PORT targets=N" once every listener is up.
package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

type profiles struct {
	heap, goroutine, block, mutex, threadcreate, cpu []byte
	allocs                                           [2][]byte
}

func load(dir string) (*profiles, error) {
	read := func(name string) ([]byte, error) { return os.ReadFile(filepath.Join(dir, name)) }
	p := &profiles{}
	var err error
	for _, f := range []struct {
		name string
		dst  *[]byte
	}{
		{"heap-a.pb.gz", &p.heap}, {"goroutine-a.pb.gz", &p.goroutine}, {"block-a.pb.gz", &p.block},
		{"mutex-a.pb.gz", &p.mutex}, {"threadcreate-a.pb.gz", &p.threadcreate}, {"cpu-a.pb.gz", &p.cpu},
		{"allocs-a.pb.gz", &p.allocs[0]}, {"allocs-a2.pb.gz", &p.allocs[1]},
	} {
		if *f.dst, err = read(f.name); err != nil {
			return nil, err
		}
	}
	return p, nil
}

type sink struct {
	received, bytes atomic.Int64
}

func (s *sink) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodPost && r.URL.Path == "/api/v1/profiles":
		n, _ := io.Copy(io.Discard, r.Body)
		if r.URL.Query().Get("service") == "" || r.URL.Query().Get("type") == "" {
			http.Error(w, `{"code":400,"error":"service and type are required"}`, http.StatusBadRequest)
			return
		}
		s.received.Add(1)
		s.bytes.Add(n)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		io.WriteString(w, "{}")
	case r.URL.Path == "/stats":
		json.NewEncoder(w).Encode(map[string]int64{"received": s.received.Load(), "bytes": s.bytes.Load()})
	default:
		http.NotFound(w, r)
	}
}

func targetHandler(p *profiles, served *atomic.Int64) http.Handler {
	var allocsTurn atomic.Int64
	mux := http.NewServeMux()
	serve := func(b []byte) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			served.Add(1)
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write(b)
		}
	}
	mux.HandleFunc("/debug/pprof/heap", serve(p.heap))
	mux.HandleFunc("/debug/pprof/goroutine", serve(p.goroutine))
	mux.HandleFunc("/debug/pprof/block", serve(p.block))
	mux.HandleFunc("/debug/pprof/mutex", serve(p.mutex))
	mux.HandleFunc("/debug/pprof/threadcreate", serve(p.threadcreate))
	mux.HandleFunc("/debug/pprof/allocs", func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		w.Write(p.allocs[allocsTurn.Add(1)%2])
	})
	mux.HandleFunc("/debug/pprof/profile", func(w http.ResponseWriter, r *http.Request) {
		secs, _ := strconv.Atoi(r.URL.Query().Get("seconds"))
		if secs <= 0 {
			secs = 30
		}
		select {
		case <-time.After(time.Duration(secs) * time.Second):
		case <-r.Context().Done():
			return
		}
		served.Add(1)
		w.Write(p.cpu)
	})
	return mux
}

func addIP(base net.IP, i int) net.IP {
	v := binary.BigEndian.Uint32(base.To4()) + uint32(i)
	out := make(net.IP, 4)
	binary.BigEndian.PutUint32(out, v)
	return out
}

// peer scrapes every target's types each interval with a goroutine per target and posts
// the bytes to the sink unchanged.
func peer(addrs []string, types []string, interval time.Duration, cpuSeconds int, sinkURL string) {
	client := &http.Client{Timeout: interval + time.Duration(cpuSeconds)*time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 4, MaxIdleConns: 10000}}
	for i, a := range addrs {
		for _, t := range types {
			go func(a, t string, offset time.Duration) {
				time.Sleep(offset)
				tick := time.NewTicker(interval)
				for ; ; <-tick.C {
					path := t
					if t == "cpu" {
						path = "profile?seconds=" + strconv.Itoa(cpuSeconds)
					}
					resp, err := client.Get("http://" + a + "/debug/pprof/" + path)
					if err != nil {
						continue
					}
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					r, err := client.Post(sinkURL+"/api/v1/profiles?service=peer&type="+t+"&labels=instance="+a,
						"application/octet-stream", bytes.NewReader(b))
					if err == nil {
						io.Copy(io.Discard, r.Body)
						r.Body.Close()
					}
				}
			}(a, t, time.Duration(i)*interval/time.Duration(len(addrs)))
		}
	}
	select {}
}

func main() {
	dir := flag.String("profiles", "", "directory with the captured profiles (heap-a.pb.gz, …)")
	base := flag.String("base", "127.3.0.1", "first target address")
	count := flag.Int("count", 2000, "number of targets")
	port := flag.Int("port", 6060, "target port")
	sinkAddr := flag.String("sink", "127.0.0.1:0", "sink listen address")
	peerMode := flag.Bool("peer", false, "scrape the targets (run as a separate process) instead of serving them")
	peerSink := flag.String("peer-sink", "", "sink URL for -peer")
	peerTypes := flag.String("peer-types", "cpu,heap,allocs", "types for -peer")
	peerInterval := flag.Duration("peer-interval", 10*time.Second, "interval for -peer")
	peerCPU := flag.Int("peer-cpu-seconds", 5, "cpu seconds for -peer")
	flag.Parse()

	baseIP := net.ParseIP(*base)
	if baseIP == nil || baseIP.To4() == nil {
		log.Fatalf("-base %q is not an IPv4 address", *base)
	}
	if *peerMode {
		var addrs []string
		for i := 0; i < *count; i++ {
			addrs = append(addrs, net.JoinHostPort(addIP(baseIP, i).String(), strconv.Itoa(*port)))
		}
		var types []string
		for _, t := range bytes.Split([]byte(*peerTypes), []byte(",")) {
			types = append(types, string(t))
		}
		fmt.Println("PEER RUNNING")
		peer(addrs, types, *peerInterval, *peerCPU, *peerSink)
	}
	p, err := load(*dir)
	if err != nil {
		log.Fatal(err)
	}
	var served atomic.Int64
	h := targetHandler(p, &served)
	var wg sync.WaitGroup
	for i := 0; i < *count; i++ {
		addr := net.JoinHostPort(addIP(baseIP, i).String(), strconv.Itoa(*port))
		l, err := net.Listen("tcp", addr)
		if err != nil {
			log.Fatalf("listen %s: %v", addr, err)
		}
		wg.Add(1)
		go func() { defer wg.Done(); http.Serve(l, h) }()
	}
	s := &sink{}
	sl, err := net.Listen("tcp", *sinkAddr)
	if err != nil {
		log.Fatal(err)
	}
	go http.Serve(sl, s)
	fmt.Printf("LISTENING sink=%s targets=%d\n", sl.Addr(), *count)
	os.Stdout.Sync()
	wg.Wait()
}
