package main

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/pprof"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"
)

// /sim/...: fault injection and test helpers (loopback clients only, no auth).

func (s *Sim) serveSim(w http.ResponseWriter, r *http.Request) {
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	p := strings.TrimSuffix(r.URL.Path, "/")
	q := r.URL.Query()
	ok := func(v interface{}) {
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(v)
	}
	post := func() bool {
		if r.Method != http.MethodPost {
			http.Error(w, "use POST", http.StatusMethodNotAllowed)
			return false
		}
		return true
	}
	switch {
	case p == "/sim/faults/drop-watches":
		if post() {
			s.store.DropWatches()
			ok(Obj{"dropped": true})
		}
	case p == "/sim/faults/expire":
		if post() {
			s.store.Compact()
			ok(Obj{"compactedAt": strconv.FormatUint(s.store.CurrentRV(), 10)})
		}
	case p == "/sim/faults/slow":
		if post() {
			ms := atoiDef(q.Get("ms"), 0)
			atomic.StoreInt64(&s.slowMS, int64(ms))
			ok(Obj{"slowMs": ms})
		}
	case p == "/sim/faults/restart":
		if post() {
			ms := atoiDef(q.Get("ms"), 1000)
			atomic.StoreInt64(&s.restartUntil, time.Now().Add(time.Duration(ms)*time.Millisecond).UnixNano())
			s.store.Compact()
			keep, _ := r.Context().Value(connKey{}).(net.Conn)
			s.closeConnections(keep)
			w.Header().Set("Connection", "close")
			ok(Obj{"downMs": ms})
		}
	case p == "/sim/seed":
		if post() {
			s.serveSeed(w, r)
		}
	case p == "/sim/pods":
		ok(s.simPods())
	case strings.HasPrefix(r.URL.Path, "/sim/debug/pprof/"):
		// The simulator's own profiles (for finding its hot spots).
		r2 := r.Clone(r.Context())
		r2.URL.Path = strings.TrimPrefix(r.URL.Path, "/sim")
		switch name := strings.TrimPrefix(r2.URL.Path, "/debug/pprof/"); name {
		case "profile":
			pprof.Profile(w, r2)
		case "":
			pprof.Index(w, r2)
		default:
			pprof.Handler(name).ServeHTTP(w, r2)
		}
	case p == "/sim/state":
		ok(Obj{"resourceVersion": strconv.FormatUint(s.store.CurrentRV(), 10), "nodes": s.nodes})
	case strings.HasPrefix(p, "/sim/pods/") && strings.HasSuffix(p, "/kill"):
		if !post() {
			return
		}
		parts := strings.Split(strings.TrimPrefix(p, "/sim/pods/"), "/")
		if len(parts) != 3 {
			http.Error(w, "want /sim/pods/NS/NAME/kill", http.StatusNotFound)
			return
		}
		pid, err := s.kubelet.KillProcess(keyOf(parts[0], parts[1]))
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotFound)
			return
		}
		ok(Obj{"killed": pid})
	default:
		http.Error(w, "unknown /sim endpoint", http.StatusNotFound)
	}
}

type simPod struct {
	Namespace  string         `json:"namespace"`
	Name       string         `json:"name"`
	UID        string         `json:"uid"`
	Node       string         `json:"node"`
	PodIP      string         `json:"podIP"`
	Port       int            `json:"port"`
	PID        int            `json:"pid"`
	Phase      string         `json:"phase"`
	Ready      bool           `json:"ready"`
	Virtual    bool           `json:"virtual"`
	Containers []simContainer `json:"containers"`
}

type simContainer struct {
	Name     string `json:"name"`
	Image    string `json:"image"`
	Port     int    `json:"port"`
	PID      int    `json:"pid"`
	Restarts int    `json:"restartCount"`
}

func (s *Sim) simPods() Obj {
	var out []simPod
	for _, it := range s.store.List("pods", "") {
		p := it.Obj
		ready, _ := podReadyCond(p)
		sp := simPod{Namespace: namespace(p), Name: name(p), UID: uid(p), Node: getStr(p, "spec", "nodeName"),
			PodIP: getStr(p, "status", "podIP"), Phase: getStr(p, "status", "phase"), Ready: ready,
			Virtual: isVirtualPod(p), Containers: []simContainer{}}
		if port, ok := podPort(p, ""); ok {
			sp.Port, _ = strconv.Atoi(port)
		}
		if w := s.kubelet.worker(it.Key); w != nil {
			w.mu.Lock()
			for i, c := range w.containers {
				sc := simContainer{Name: c.name, Image: c.image, Port: c.port, Restarts: c.restarts}
				if c.proc != nil {
					sc.PID = c.proc.pid
				}
				if i == 0 {
					sp.PID = sc.PID
					sp.Port = c.port
				}
				sp.Containers = append(sp.Containers, sc)
			}
			w.mu.Unlock()
		}
		out = append(out, sp)
	}
	if out == nil {
		out = []simPod{}
	}
	return Obj{"pods": out}
}

// ---- /sim/seed ----

type seedRequest struct {
	Namespace   string            `json:"namespace"`
	Count       int               `json:"count"`
	NamePrefix  string            `json:"name_prefix"`
	Start       int               `json:"start"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	Port        int               `json:"port"`
	PodIPBase   string            `json:"pod_ip_base"`
	PodIP       string            `json:"pod_ip"`
	Image       string            `json:"image"`
}

func (s *Sim) serveSeed(w http.ResponseWriter, r *http.Request) {
	var req seedRequest
	data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if len(data) > 0 {
		if err := json.Unmarshal(data, &req); err != nil {
			http.Error(w, "bad seed request: "+err.Error(), http.StatusBadRequest)
			return
		}
	}
	if req.Namespace == "" {
		req.Namespace = "bench"
	}
	if req.Count <= 0 {
		req.Count = 1
	}
	if req.NamePrefix == "" {
		req.NamePrefix = "p"
	}
	if req.Port == 0 {
		req.Port = 6060
	}
	if req.PodIPBase == "" {
		req.PodIPBase = "127.2.0.0"
	}
	if req.Image == "" {
		req.Image = "kprof.test/virtual/app:v1"
	}
	base := net.ParseIP(req.PodIPBase).To4()
	if base == nil {
		http.Error(w, "bad pod_ip_base", http.StatusBadRequest)
		return
	}
	if msg := validateName(findResource("", "v1", "namespaces"), req.Namespace); msg != "" {
		http.Error(w, "bad namespace: "+msg, http.StatusBadRequest)
		return
	}
	if s.store.Get("namespaces", req.Namespace) == nil {
		s.store.Create("namespaces", newNamespaceObj(req.Namespace))
	}
	start := time.Now()
	created, skipped := 0, 0
	baseN := binary.BigEndian.Uint32(base)
	rsHash := safeEncode(strconv.FormatUint(uint64(fnv32([]byte(req.Namespace+req.NamePrefix))), 10))
	tmpl := seedPod(req, "x", "127.0.0.1", s.nodes[0], rsHash, nodeIP(s, s.nodes[0]))
	for i := 0; i < req.Count; i++ {
		n := req.Start + i
		podName := fmt.Sprintf("%s-%05d", req.NamePrefix, n)
		ip := req.PodIP
		if ip == "" {
			b := make([]byte, 4)
			binary.BigEndian.PutUint32(b, baseN+uint32(n)+1)
			ip = net.IP(b).String()
		}
		node := s.nodes[n%len(s.nodes)]
		p := copyObj(tmpl)
		md, spec, st := p["metadata"].(Obj), p["spec"].(Obj), p["status"].(Obj)
		md["name"] = podName
		md["uid"] = newUID()
		spec["nodeName"] = node
		hip := nodeIP(s, node)
		st["hostIP"] = hip
		st["hostIPs"] = []interface{}{Obj{"ip": hip}}
		st["podIP"] = ip
		st["podIPs"] = []interface{}{Obj{"ip": ip}}
		getSlice(st, "containerStatuses")[0].(Obj)["containerID"] = "containerd://" + randomHex(64)
		if _, err := s.store.Create("pods", p); err != nil {
			skipped++
			continue
		}
		created++
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(Obj{"namespace": req.Namespace, "created": created, "skipped": skipped,
		"resourceVersion": strconv.FormatUint(s.store.CurrentRV(), 10), "ms": time.Since(start).Milliseconds()})
}

// seedPod builds a running virtual pod the size of a typical real one.
func seedPod(req seedRequest, podName, ip, node, hash, hostIP string) Obj {
	now := nowTime()
	ts := rfc3339(now)
	labels := Obj{"app.kubernetes.io/name": req.NamePrefix, "app.kubernetes.io/instance": req.NamePrefix + "-bench",
		"app.kubernetes.io/version": imageTag(req.Image),
		"pod-template-hash":         hash}
	for k, v := range req.Labels {
		labels[k] = v
	}
	ann := Obj{"kubesim.kprof.io/virtual": "true"}
	for k, v := range req.Annotations {
		ann[k] = v
	}
	container := Obj{
		"name": "app", "image": req.Image,
		"args":  []interface{}{"--listen=:" + strconv.Itoa(req.Port), "--config=/etc/app/config.yaml"},
		"ports": []interface{}{Obj{"name": "pprof", "containerPort": req.Port, "protocol": "TCP"}},
		"env": []interface{}{
			Obj{"name": "POD_NAME", "valueFrom": Obj{"fieldRef": Obj{"apiVersion": "v1", "fieldPath": "metadata.name"}}},
			Obj{"name": "POD_NAMESPACE", "valueFrom": Obj{"fieldRef": Obj{"apiVersion": "v1", "fieldPath": "metadata.namespace"}}},
		},
		"resources": Obj{"requests": Obj{"cpu": "100m", "memory": "128Mi"}, "limits": Obj{"cpu": "1", "memory": "256Mi"}},
		"volumeMounts": []interface{}{
			Obj{"name": "config", "readOnly": true, "mountPath": "/etc/app"},
			Obj{"name": "tmp", "mountPath": "/tmp"},
		},
	}
	p := Obj{
		"kind": "Pod", "apiVersion": "v1",
		"metadata": Obj{"name": podName, "generateName": req.NamePrefix + "-" + hash + "-", "namespace": req.Namespace,
			"uid": newUID(), "creationTimestamp": ts, "labels": labels, "annotations": ann},
		"spec": Obj{
			"containers": []interface{}{container},
			"volumes": []interface{}{
				Obj{"name": "config", "configMap": Obj{"name": req.NamePrefix + "-config", "defaultMode": 420}},
				Obj{"name": "tmp", "emptyDir": Obj{}},
			},
			"nodeName": node,
		},
	}
	// managedFields reflect the request after defaulting, before admission
	// adds the service account volume, tolerations and the like.
	defaultPodSpec(p["spec"].(Obj))
	requested := createdFields(p)
	defaultPod(p)
	cstart := ts
	st := Obj{
		"phase": "Running", "hostIP": hostIP, "hostIPs": []interface{}{Obj{"ip": hostIP}},
		"podIP": ip, "podIPs": []interface{}{Obj{"ip": ip}}, "startTime": ts, "qosClass": "Burstable",
		"containerStatuses": []interface{}{Obj{"name": "app", "state": Obj{"running": Obj{"startedAt": cstart}},
			"lastState": Obj{}, "ready": true, "restartCount": 0, "image": normalizeImage(req.Image),
			"imageID": imageID(req.Image), "containerID": "containerd://" + randomHex(64), "started": true}},
	}
	for _, c := range []string{"PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"} {
		setPodCondition(st, c, "True", "", "", now)
	}
	p["status"] = st
	ensure(p, "metadata")["ownerReferences"] = nil
	delete(p["metadata"].(Obj), "ownerReferences")
	p["metadata"].(Obj)["managedFields"] = []interface{}{
		managedFieldsEntry("kube-controller-manager", "v1", "", requested, now),
		managedFieldsEntry("kubelet", "v1", "status", Obj{"f:status": fieldsV1(st)}, now),
	}
	return normalize(p).(Obj)
}

func newNodeObj(n string, i int) Obj {
	now := nowTime()
	ip := fmt.Sprintf("127.0.1.%d", i+1)
	kernel := "6.1.0-kubesim"
	var uts syscall.Utsname
	if syscall.Uname(&uts) == nil {
		var b []byte
		for _, c := range uts.Release {
			if c == 0 {
				break
			}
			b = append(b, byte(c))
		}
		kernel = string(b)
	}
	cond := func(typ, status, reason, msg string) Obj {
		return Obj{"type": typ, "status": status, "lastHeartbeatTime": rfc3339(now), "lastTransitionTime": rfc3339(now),
			"reason": reason, "message": msg}
	}
	capacity := Obj{"cpu": "8", "ephemeral-storage": "102350Mi", "hugepages-1Gi": "0", "hugepages-2Mi": "0",
		"memory": "16375508Ki", "pods": "110"}
	labels := Obj{"beta.kubernetes.io/arch": "amd64", "beta.kubernetes.io/os": "linux", "kubernetes.io/arch": "amd64",
		"kubernetes.io/hostname": n, "kubernetes.io/os": "linux", "topology.kubernetes.io/zone": "kubesim-" + string(rune('a'+i%3))}
	imgs := []interface{}{}
	return normalize(Obj{
		"kind": "Node", "apiVersion": "v1",
		"metadata": Obj{"name": n, "uid": newUID(), "creationTimestamp": rfc3339(now), "labels": labels,
			"annotations": Obj{"node.alpha.kubernetes.io/ttl": "0", "volumes.kubernetes.io/controller-managed-attach-detach": "true"}},
		"spec": Obj{"podCIDR": fmt.Sprintf("10.244.%d.0/24", i), "podCIDRs": []interface{}{fmt.Sprintf("10.244.%d.0/24", i)},
			"providerID": "kubesim://" + n},
		"status": Obj{
			"capacity": capacity, "allocatable": capacity,
			"conditions": []interface{}{
				cond("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
				cond("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
				cond("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
				cond("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
			},
			"addresses":       []interface{}{Obj{"type": "InternalIP", "address": ip}, Obj{"type": "Hostname", "address": n}},
			"daemonEndpoints": Obj{"kubeletEndpoint": Obj{"Port": 10250}},
			"nodeInfo": Obj{"machineID": randomHex(32), "systemUUID": newUID(), "bootID": newUID(),
				"kernelVersion": kernel, "osImage": "Debian GNU/Linux 12 (bookworm)",
				"containerRuntimeVersion": "containerd://1.7.24", "kubeletVersion": serverGitVersion,
				"kubeProxyVersion": serverGitVersion, "operatingSystem": "linux", "architecture": "amd64"},
			"images": imgs,
		},
	}).(Obj)
}
