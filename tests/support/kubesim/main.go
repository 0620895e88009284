// Command kubesim is a Kubernetes API server simulator for kprof's tests:
// namespaces, nodes, pods, deployments, replicasets and events with the JSON
// shapes of a real API server, controllers, a scheduler and a kubelet whose
// containers are real local processes. See README.md.
package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ImageConfig describes how pulling one image behaves.
type ImageConfig struct {
	PullMS    *int   `json:"pull_ms"`
	SizeBytes int64  `json:"size_bytes"`
	Fail      string `json:"fail"`
}

// Config is the -config JSON file. Every field is optional.
type Config struct {
	Images              map[string]ImageConfig `json:"images"`
	ScheduleMS          int                    `json:"schedule_ms"`
	StartMS             int                    `json:"start_ms"`
	ReadyMS             int                    `json:"ready_ms"`
	PullMS              int                    `json:"pull_ms"`
	BookmarkMS          int                    `json:"bookmark_ms"`
	WatchTimeoutS       int                    `json:"watch_timeout_s"`
	History             int                    `json:"history"`
	RestartBackoffMS    int                    `json:"restart_backoff_ms"`
	RestartBackoffMaxMS int                    `json:"restart_backoff_max_ms"`
	PullBackoffMS       int                    `json:"pull_backoff_ms"`
	PullBackoffMaxMS    int                    `json:"pull_backoff_max_ms"`
	EventTTLSeconds     int                    `json:"event_ttl_s"`
	ControllerSyncMS    int                    `json:"controller_sync_ms"`
}

func defaultConfig() Config {
	return Config{ScheduleMS: 50, StartMS: 100, ReadyMS: 200, PullMS: 300, BookmarkMS: 10000,
		WatchTimeoutS: 1800, History: 100000, RestartBackoffMS: 1000, RestartBackoffMaxMS: 10000,
		PullBackoffMS: 1000, PullBackoffMaxMS: 10000, EventTTLSeconds: 3600, ControllerSyncMS: 100}
}

func loadConfig(path string) (Config, error) {
	cfg := defaultConfig()
	if path == "" {
		return cfg, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(data, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %v", path, err)
	}
	return cfg, nil
}

// Sim is the whole simulated cluster.
type Sim struct {
	cfg         Config
	store       *Store
	rec         *Recorder
	nodes       []string
	workloadBin string
	kubelet     *Kubelet
	ctrl        *Controllers
	started     time.Time

	token      string
	clientAuth bool // a verified client certificate authenticates

	slowMS       int64 // atomic
	restartUntil int64 // atomic, unix nanos

	connMu sync.Mutex
	conns  map[net.Conn]struct{}
}

type connKey struct{}

func main() {
	listen := flag.String("listen", "127.0.0.1:0", "listen address")
	workload := flag.String("workload", "", "workload binary the pods run (default: workload next to kubesim)")
	configPath := flag.String("config", "", "config JSON file")
	kubeconfigOut := flag.String("kubeconfig-out", "", "write a kubeconfig for this server here")
	token := flag.String("token", "", "require this bearer token")
	tlsCert := flag.String("tls-cert", "", "serve HTTPS with this certificate (PEM)")
	tlsKey := flag.String("tls-key", "", "private key for -tls-cert")
	tlsCA := flag.String("tls-ca", "", "CA certificate written into the kubeconfig (default: the last certificate of -tls-cert)")
	clientCA := flag.String("client-ca", "", "verify client certificates against this CA; a verified certificate authenticates")
	tlsGenerate := flag.String("tls-generate", "", "generate a CA, server and client certificate into this directory and serve HTTPS with them")
	nodes := flag.String("nodes", "node-a,node-b", "comma-separated node names")
	flag.Parse()
	log.SetFlags(log.Ltime | log.Lmicroseconds)
	log.SetPrefix("kubesim: ")

	cfg, err := loadConfig(*configPath)
	if err != nil {
		log.Fatalf("config: %v", err)
	}
	bin := *workload
	if bin == "" {
		if exe, err := os.Executable(); err == nil {
			bin = exe[:strings.LastIndex(exe, "/")+1] + "workload"
		}
	}
	sim := newSim(cfg, splitNonEmpty(*nodes, ","), bin)
	sim.token = *token

	var tlsConf *tls.Config
	var caPEM, clientCertPEM, clientKeyPEM []byte
	if *tlsGenerate != "" {
		host, _, _ := net.SplitHostPort(*listen)
		g, err := generateCerts(*tlsGenerate, host)
		if err != nil {
			log.Fatalf("tls-generate: %v", err)
		}
		*tlsCert, *tlsKey = g.serverCert, g.serverKey
		if *clientCA == "" {
			*clientCA = g.caCert
		}
		caPEM = g.caPEM
		clientCertPEM, clientKeyPEM = g.clientCertPEM, g.clientKeyPEM
	}
	if *tlsCert != "" {
		cert, err := tls.LoadX509KeyPair(*tlsCert, *tlsKey)
		if err != nil {
			log.Fatalf("tls: %v", err)
		}
		tlsConf = &tls.Config{Certificates: []tls.Certificate{cert}, NextProtos: []string{"http/1.1"}}
		if caPEM == nil {
			if *tlsCA != "" {
				caPEM, err = os.ReadFile(*tlsCA)
				if err != nil {
					log.Fatalf("tls-ca: %v", err)
				}
			} else {
				caPEM = lastPEMCert(*tlsCert)
			}
		}
		if *clientCA != "" {
			data, err := os.ReadFile(*clientCA)
			if err != nil {
				log.Fatalf("client-ca: %v", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(data) {
				log.Fatalf("client-ca: no certificates in %s", *clientCA)
			}
			tlsConf.ClientCAs = pool
			tlsConf.ClientAuth = tls.VerifyClientCertIfGiven
			sim.clientAuth = true
		}
	} else if *clientCA != "" {
		log.Fatalf("-client-ca needs -tls-cert/-tls-key or -tls-generate")
	}

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		log.Fatalf("listen: %v", err)
	}
	addr := ln.Addr().String()
	srv := &http.Server{
		Handler: sim,
		ConnState: func(c net.Conn, st http.ConnState) {
			sim.connMu.Lock()
			switch st {
			case http.StateNew:
				sim.conns[c] = struct{}{}
			case http.StateClosed, http.StateHijacked:
				delete(sim.conns, c)
			}
			sim.connMu.Unlock()
		},
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			return context.WithValue(ctx, connKey{}, c)
		},
		ErrorLog: log.New(devNull{}, "", 0),
	}
	scheme := "http"
	if tlsConf != nil {
		scheme = "https"
		srv.TLSConfig = tlsConf
		ln = tls.NewListener(ln, tlsConf)
	}

	if *kubeconfigOut != "" {
		if err := writeKubeconfig(*kubeconfigOut, scheme+"://"+addr, sim.token, caPEM, clientCertPEM, clientKeyPEM); err != nil {
			log.Fatalf("kubeconfig: %v", err)
		}
	}

	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	go func() {
		<-sigs
		sim.kubelet.KillAll()
		os.Exit(0)
	}()

	sim.Start()
	fmt.Printf("LISTENING %s\n", addr)
	os.Stdout.Sync()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		sim.kubelet.KillAll()
		log.Fatalf("serve: %v", err)
	}
}

type devNull struct{}

func (devNull) Write(p []byte) (int, error) { return len(p), nil }

func newSim(cfg Config, nodes []string, bin string) *Sim {
	if len(nodes) == 0 {
		nodes = []string{"node-a"}
	}
	s := &Sim{cfg: cfg, store: newStore(cfg.History), nodes: nodes, workloadBin: bin,
		started: time.Now(), conns: map[net.Conn]struct{}{}}
	s.rec = &Recorder{sim: s, agg: map[string]string{}}
	s.kubelet = newKubelet(s)
	s.ctrl = newControllers(s)
	for _, ns := range []string{"default", "kube-node-lease", "kube-public", "kube-system"} {
		s.store.Create("namespaces", newNamespaceObj(ns))
	}
	for i, n := range nodes {
		s.store.Create("nodes", newNodeObj(n, i))
	}
	return s
}

func (s *Sim) Start() {
	s.ctrl.Start()
	s.kubelet.Start()
}

func newNamespaceObj(n string) Obj {
	return normalize(Obj{
		"kind": "Namespace", "apiVersion": "v1",
		"metadata": Obj{"name": n, "uid": newUID(), "creationTimestamp": rfc3339(nowTime()),
			"labels": Obj{"kubernetes.io/metadata.name": n}},
		"spec":   Obj{"finalizers": []string{"kubernetes"}},
		"status": Obj{"phase": "Active"},
	}).(Obj)
}

// ---- serving ----

func (s *Sim) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, "/sim/") {
		s.serveSim(w, r)
		return
	}
	if until := atomic.LoadInt64(&s.restartUntil); until != 0 && time.Now().UnixNano() < until {
		// The API server is "down": drop the connection without an answer.
		if hj, ok := w.(http.Hijacker); ok {
			if c, _, err := hj.Hijack(); err == nil {
				c.Close()
				return
			}
		}
		writeStatus(w, statusErr(503, "ServiceUnavailable", "the server is currently unable to handle the request", nil))
		return
	}
	if !s.authenticated(r) {
		writeStatus(w, statusErr(401, "Unauthorized", "Unauthorized", nil))
		return
	}
	if ms := atomic.LoadInt64(&s.slowMS); ms > 0 {
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
	}
	p := r.URL.Path
	switch {
	case p == "/healthz" || p == "/livez" || p == "/readyz":
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.Write([]byte("ok"))
	case serveDiscovery(w, r):
	case s.serveOpenAPI(w, r):
	case strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/apis/"):
		s.serveResource(w, r)
	default:
		writeStatus(w, statusErr(404, "NotFound", "the server could not find the requested resource", Obj{}))
	}
}

func (s *Sim) authenticated(r *http.Request) bool {
	if s.token == "" && !s.clientAuth {
		return true
	}
	if s.token != "" {
		if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") && strings.TrimSpace(h[7:]) == s.token {
			return true
		}
	}
	if s.clientAuth && r.TLS != nil && len(r.TLS.VerifiedChains) > 0 {
		return true
	}
	return false
}

// closeConnections closes every client connection except keep.
func (s *Sim) closeConnections(keep net.Conn) {
	s.connMu.Lock()
	var cs []net.Conn
	for c := range s.conns {
		if c != keep {
			cs = append(cs, c)
		}
	}
	s.connMu.Unlock()
	for _, c := range cs {
		c.Close()
	}
}

// ---- kubeconfig ----

func writeKubeconfig(path, server, token string, caPEM, certPEM, keyPEM []byte) error {
	var b strings.Builder
	b.WriteString("apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n")
	fmt.Fprintf(&b, "    server: %s\n", server)
	if len(caPEM) > 0 {
		fmt.Fprintf(&b, "    certificate-authority-data: %s\n", base64.StdEncoding.EncodeToString(caPEM))
	}
	b.WriteString("contexts:\n- name: kubesim\n  context:\n    cluster: kubesim\n    user: kubesim\n    namespace: default\n")
	b.WriteString("current-context: kubesim\nusers:\n- name: kubesim\n  user:")
	if token == "" && len(certPEM) == 0 {
		b.WriteString(" {}\n")
	} else {
		b.WriteString("\n")
	}
	if token != "" {
		fmt.Fprintf(&b, "    token: %s\n", token)
	} else if len(certPEM) > 0 {
		fmt.Fprintf(&b, "    client-certificate-data: %s\n", base64.StdEncoding.EncodeToString(certPEM))
		fmt.Fprintf(&b, "    client-key-data: %s\n", base64.StdEncoding.EncodeToString(keyPEM))
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(b.String()), 0600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

func lastPEMCert(path string) []byte {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var last *pem.Block
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			last = blk
		}
	}
	if last == nil {
		return nil
	}
	return pem.EncodeToMemory(last)
}
