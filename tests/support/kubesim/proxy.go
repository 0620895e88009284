package main

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

var proxyTransport = &http.Transport{
	DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
	DisableCompression:  true,
	MaxIdleConnsPerHost: 4,
	IdleConnTimeout:     30 * time.Second,
}

// podPort resolves the target port of a pod proxy request.
func podPort(p Obj, port string) (string, bool) {
	cs := getSlice(p, "spec", "containers")
	if port == "" {
		for _, c := range cs {
			for _, cp := range getSlice(c.(Obj), "ports") {
				if n, ok := toInt(get(cp.(Obj), "containerPort")); ok {
					return strconv.FormatInt(n, 10), true
				}
			}
		}
		return "6060", true
	}
	if _, err := strconv.Atoi(port); err == nil {
		return port, true
	}
	for _, c := range cs {
		for _, cp := range getSlice(c.(Obj), "ports") {
			if getStr(cp.(Obj), "name") == port {
				n, _ := toInt(get(cp.(Obj), "containerPort"))
				return strconv.FormatInt(n, 10), true
			}
		}
	}
	return "", false
}

type countingReader struct {
	r io.ReadCloser
	n *int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	atomic.AddInt64(c.n, int64(n))
	return n, err
}
func (c *countingReader) Close() error { return c.r.Close() }

type countingWriter struct {
	http.ResponseWriter
	n *int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.ResponseWriter.Write(p)
	atomic.AddInt64(c.n, int64(n))
	return n, err
}

func (c *countingWriter) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (s *Sim) servePodProxy(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	parts := strings.Split(ri.name, ":")
	scheme, podName, port := "http", ri.name, ""
	switch len(parts) {
	case 2:
		podName, port = parts[0], parts[1]
	case 3:
		scheme, podName, port = parts[0], parts[1], parts[2]
		if scheme == "" {
			scheme = "http"
		}
	}
	if scheme != "http" && scheme != "https" {
		writeStatus(w, errBadRequest(fmt.Sprintf("unsupported scheme %q", scheme)))
		return
	}
	it := s.store.Get("pods", keyOf(ri.ns, podName))
	if it == nil {
		writeStatus(w, errNotFound(ri.res, podName))
		return
	}
	p := it.Obj
	ip := getStr(p, "status", "podIP")
	if ip == "" {
		writeStatus(w, statusErr(503, "ServiceUnavailable", fmt.Sprintf("no endpoints available for pod %q", podName), nil))
		return
	}
	tp, ok := podPort(p, port)
	if !ok {
		writeStatus(w, statusErr(503, "ServiceUnavailable", fmt.Sprintf("error trying to reach service: no port named %q on pod %q", port, podName), nil))
		return
	}
	target := &url.URL{Scheme: scheme, Host: net.JoinHostPort(ip, tp)}
	path := ri.proxyPath
	if path == "" {
		path = "/"
	}
	counters := s.kubelet.netFor(uid(p))
	rp := &httputil.ReverseProxy{
		Director: func(req *http.Request) {
			req.URL.Scheme = target.Scheme
			req.URL.Host = target.Host
			req.URL.Path = path
			req.URL.RawPath = ""
			req.URL.RawQuery = r.URL.RawQuery
			req.Host = target.Host
			req.Header.Del("Authorization")
			req.Header.Del("X-Forwarded-For")
			if req.Body != nil {
				req.Body = &countingReader{r: req.Body, n: &counters.rx}
			}
		},
		Transport:     proxyTransport,
		FlushInterval: -1,
		ErrorLog:      nil,
		ErrorHandler: func(w http.ResponseWriter, req *http.Request, err error) {
			if req.Context().Err() != nil {
				return
			}
			msg := err.Error()
			if oe, ok := err.(*net.OpError); ok {
				msg = oe.Error()
			}
			writeStatus(w, statusErr(503, "ServiceUnavailable", "error trying to reach service: "+msg, nil))
		},
	}
	rp.ServeHTTP(&countingWriter{ResponseWriter: w, n: &counters.tx}, r)
}

// ---- nodes/proxy ----

func (s *Sim) serveNodeProxy(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	nodeName := ri.name
	switch parts := strings.Split(ri.name, ":"); len(parts) {
	case 1:
	case 2:
		if parts[0] == "http" || parts[0] == "https" {
			nodeName = parts[1]
		} else {
			nodeName = parts[0]
		}
	default:
		nodeName = parts[1]
	}
	if s.store.Get("nodes", nodeName) == nil {
		writeStatus(w, errNotFound(ri.res, nodeName))
		return
	}
	if r.Method != http.MethodGet {
		writeStatus(w, errMethodNotSupported(ri.res, r.Method))
		return
	}
	switch strings.TrimSuffix(ri.proxyPath, "/") {
	case "/stats/summary":
		writeObj(w, 200, s.statsSummary(nodeName))
	case "/healthz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	case "/pods":
		var items []interface{}
		for _, it := range s.store.List("pods", "") {
			if getStr(it.Obj, "spec", "nodeName") == nodeName {
				items = append(items, it.Obj)
			}
		}
		if items == nil {
			items = []interface{}{}
		}
		writeObj(w, 200, Obj{"kind": "PodList", "apiVersion": "v1", "metadata": Obj{}, "items": items})
	default:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(404)
		w.Write([]byte("404 page not found\n"))
	}
}

func cpuStats(t string, nanoCores, coreNanos uint64) Obj {
	return Obj{"time": t, "usageNanoCores": nanoCores, "usageCoreNanoSeconds": coreNanos}
}

func memStats(t string, usage, ws, rss, faults, major uint64) Obj {
	return Obj{"time": t, "usageBytes": usage, "workingSetBytes": ws, "rssBytes": rss,
		"pageFaults": faults, "majorPageFaults": major}
}

func fsStats(t string, used uint64) Obj {
	return Obj{"time": t, "availableBytes": uint64(50) << 30, "capacityBytes": uint64(100) << 30,
		"usedBytes": used, "inodesFree": 6000000, "inodes": 6553600, "inodesUsed": 12}
}

// statsSummary is the kubelet Summary API for one node. CPU and memory of
// process-backed containers come from /proc/PID; network counters are the
// bytes that went through the pod proxy; virtual pods get steady synthetic
// values.
func (s *Sim) statsSummary(node string) Obj {
	now := nowTime()
	t := rfc3339(now)
	var pods []interface{}
	var nodeCPU, nodeCPUCum, nodeMem, nodeWS, nodeRSS uint64
	var nodeRx, nodeTx int64
	for _, it := range s.store.List("pods", "") {
		p := it.Obj
		if getStr(p, "spec", "nodeName") != node || getStr(p, "status", "phase") != "Running" {
			continue
		}
		w := s.kubelet.worker(it.Key)
		started, _ := parseTime(getStr(p, "status", "startTime"))
		var ctrs []interface{}
		var podCPU, podCum, podMem, podWS, podRSS, podFaults, podMajor uint64
		for i, c := range getSlice(p, "spec", "containers") {
			cname := getStr(c.(Obj), "name")
			var cpuRate, cpuCum, usage, ws, rss, faults, major uint64
			cstart := started
			var pr *proc
			if w != nil && i < len(w.containers) {
				w.mu.Lock()
				pr = w.containers[i].proc
				if !w.containers[i].startedAt.IsZero() {
					cstart = w.containers[i].startedAt
				}
				w.mu.Unlock()
			}
			if pr != nil {
				cpuCum, cpuRate = pr.sample()
				rssB, anon, file := readProcMem(pr.pid)
				_, faults, major, _ = readProcCPU(pr.pid)
				usage, ws, rss = rssB, anon+file/2, anon
			} else {
				h := uint64(fnv32([]byte(uid(p) + cname)))
				cpuRate = (h%50 + 1) * 1_000_000
				cpuCum = cpuRate * uint64(now.Sub(cstart).Seconds()+1)
				usage = (20 + h%40) << 20
				ws = usage * 9 / 10
				rss = usage * 8 / 10
				faults, major = h%100000, h%100
			}
			ctrs = append(ctrs, Obj{"name": cname, "startTime": rfc3339(cstart),
				"cpu": cpuStats(t, cpuRate, cpuCum), "memory": memStats(t, usage, ws, rss, faults, major),
				"rootfs": fsStats(t, 24576), "logs": fsStats(t, 8192)})
			podCPU += cpuRate
			podCum += cpuCum
			podMem += usage
			podWS += ws
			podRSS += rss
			podFaults += faults
			podMajor += major
		}
		nc := s.kubelet.netFor(uid(p))
		rx, tx := atomic.LoadInt64(&nc.rx), atomic.LoadInt64(&nc.tx)
		iface := Obj{"name": "eth0", "rxBytes": rx, "rxErrors": 0, "txBytes": tx, "txErrors": 0}
		net := Obj{"time": t, "name": "eth0", "rxBytes": rx, "rxErrors": 0, "txBytes": tx, "txErrors": 0,
			"interfaces": []interface{}{iface}}
		pods = append(pods, Obj{
			"podRef":    Obj{"name": name(p), "namespace": namespace(p), "uid": uid(p)},
			"startTime": rfc3339(started), "containers": ctrs,
			"cpu": cpuStats(t, podCPU, podCum), "memory": memStats(t, podMem, podWS, podRSS, podFaults, podMajor),
			"network":           net,
			"volume":            []interface{}{},
			"ephemeral-storage": fsStats(t, 40960),
			"process_stats":     Obj{"process_count": len(ctrs)},
		})
		nodeCPU += podCPU
		nodeCPUCum += podCum
		nodeMem += podMem
		nodeWS += podWS
		nodeRSS += podRSS
		nodeRx += rx
		nodeTx += tx
	}
	if pods == nil {
		pods = []interface{}{}
	}
	const capacity = uint64(16) << 30
	nodeObj := Obj{
		"nodeName": node,
		"systemContainers": []interface{}{
			Obj{"name": "kubelet", "startTime": rfc3339(s.started), "cpu": cpuStats(t, 20_000_000, 1_000_000_000),
				"memory": memStats(t, 60<<20, 50<<20, 40<<20, 1000, 10)},
			Obj{"name": "pods", "startTime": rfc3339(s.started), "cpu": cpuStats(t, nodeCPU, nodeCPUCum),
				"memory": memStats(t, nodeMem, nodeWS, nodeRSS, 0, 0)},
		},
		"startTime": rfc3339(s.started),
		"cpu":       cpuStats(t, nodeCPU+20_000_000, nodeCPUCum+1_000_000_000),
		"memory": Obj{"time": t, "availableBytes": capacity - nodeWS, "usageBytes": nodeMem + 60<<20,
			"workingSetBytes": nodeWS + 50<<20, "rssBytes": nodeRSS + 40<<20, "pageFaults": 0, "majorPageFaults": 0},
		"network": Obj{"time": t, "name": "eth0", "rxBytes": nodeRx, "rxErrors": 0, "txBytes": nodeTx, "txErrors": 0,
			"interfaces": []interface{}{Obj{"name": "eth0", "rxBytes": nodeRx, "rxErrors": 0, "txBytes": nodeTx, "txErrors": 0}}},
		"fs":      fsStats(t, 10<<30),
		"runtime": Obj{"imageFs": fsStats(t, 5<<30), "containerFs": fsStats(t, 5<<30)},
		"rlimit":  Obj{"time": t, "maxpid": 4194304, "curproc": 300},
	}
	return Obj{"node": nodeObj, "pods": pods}
}

// ---- pods/log ----

func (s *Sim) servePodLog(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	it := s.store.Get("pods", ri.key())
	if it == nil {
		writeStatus(w, errNotFound(ri.res, ri.name))
		return
	}
	q := r.URL.Query()
	cname := q.Get("container")
	cs := getSlice(it.Obj, "spec", "containers")
	if cname == "" {
		if len(cs) != 1 {
			var names []string
			for _, c := range cs {
				names = append(names, getStr(c.(Obj), "name"))
			}
			writeStatus(w, errBadRequest(fmt.Sprintf("a container name must be specified for pod %s, choose one of: [%s]", ri.name, strings.Join(names, " "))))
			return
		}
		cname = getStr(cs[0].(Obj), "name")
	}
	wk := s.kubelet.worker(ri.key())
	var buf *logBuffer
	if wk != nil {
		for _, c := range wk.containers {
			if c.name == cname {
				buf = c.logs
			}
		}
	}
	if buf == nil {
		writeStatus(w, errBadRequest(fmt.Sprintf("container %q in pod %q is waiting to start: ContainerCreating", cname, ri.name)))
		return
	}
	data := buf.Bytes()
	if n := atoiDef(q.Get("tailLines"), -1); n >= 0 {
		lines := bytes.SplitAfter(data, []byte("\n"))
		if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
			lines = lines[:len(lines)-1]
		}
		if n < len(lines) {
			lines = lines[len(lines)-n:]
		}
		data = bytes.Join(lines, nil)
	}
	w.Header().Set("Content-Type", "text/plain")
	w.WriteHeader(200)
	w.Write(data)
	if !boolParam(q.Get("follow")) {
		return
	}
	fl, _ := w.(http.Flusher)
	if fl != nil {
		fl.Flush()
	}
	sent := len(buf.Bytes())
	for {
		select {
		case <-r.Context().Done():
			return
		case <-wk.gone:
			return
		case <-time.After(200 * time.Millisecond):
		}
		cur := buf.Bytes()
		if len(cur) > sent {
			w.Write(cur[sent:])
			sent = len(cur)
			if fl != nil {
				fl.Flush()
			}
		} else if len(cur) < sent {
			sent = len(cur)
		}
	}
}
