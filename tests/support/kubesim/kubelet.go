package main

import (
	"bufio"
	"crypto/sha256"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Kubelet runs the scheduler and one worker per scheduled pod. Containers
// are workload processes bound to the pod's own loopback IP.
type Kubelet struct {
	sim *Sim

	mu         sync.Mutex
	workers    map[string]*podWorker // pod key → worker
	nodeImages map[string]map[string]bool
	nodePull   map[string]*sync.Mutex
	ipNext     uint32
	schedNext  int
	net        map[string]*netCounters // pod uid → proxied bytes

	spawnCh chan spawnReq
	procMu  sync.Mutex
	procs   map[int]*proc // pid → process
}

type netCounters struct{ rx, tx int64 } // atomic

type spawnReq struct {
	cmd  *exec.Cmd
	done chan error
}

// proc is one running container process.
type proc struct {
	cmd       *exec.Cmd
	pid       int
	listening chan struct{}
	exited    chan struct{}
	exitCode  int
	signaled  bool
	logs      *logBuffer

	// CPU samples for usageNanoCores.
	sampleMu  sync.Mutex
	lastT     time.Time
	lastCPU   uint64
	rateNanos uint64
}

type ctrState struct {
	name, image string
	port        int
	args        []string
	restarts    int
	proc        *proc
	containerID string
	logs        *logBuffer
	ready       bool
	startedAt   time.Time
}

type podWorker struct {
	k       *Kubelet
	key     string
	uid     string
	node    string
	ip      string
	virtual bool

	mu         sync.Mutex
	containers []*ctrState
	termOnce   sync.Once
	term       chan struct{} // graceful termination requested
	grace      time.Duration
	goneOnce   sync.Once
	gone       chan struct{} // object removed from the API
}

func newKubelet(s *Sim) *Kubelet {
	return &Kubelet{sim: s, workers: map[string]*podWorker{}, nodeImages: map[string]map[string]bool{},
		ipNext:   uint32(randIntn(256 * 254)),
		nodePull: map[string]*sync.Mutex{}, net: map[string]*netCounters{},
		spawnCh: make(chan spawnReq), procs: map[int]*proc{}}
}

func (k *Kubelet) Start() {
	// Processes are started from one locked OS thread so that Pdeathsig
	// (tied to the creating thread) fires only when the simulator dies.
	go func() {
		runtime.LockOSThread()
		for req := range k.spawnCh {
			req.done <- req.cmd.Start()
		}
	}()
	k.sim.store.onChange(func(c *Change) {
		if c.Storage != "pods" {
			return
		}
		switch c.Type {
		case "ADDED":
			p := c.New.Obj
			if getStr(p, "spec", "nodeName") == "" {
				go k.schedule(c.Key)
			} else if getStr(p, "status", "phase") == "Pending" {
				go k.startWorker(c.Key)
			}
		case "DELETED":
			go k.podGone(c.Key, uid(c.New.Obj))
		}
	})
	go k.sampleLoop()
}

func (k *Kubelet) HasWorker(key string) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	_, ok := k.workers[key]
	return ok
}

func (k *Kubelet) worker(key string) *podWorker {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.workers[key]
}

func (k *Kubelet) netFor(podUID string) *netCounters {
	k.mu.Lock()
	defer k.mu.Unlock()
	n := k.net[podUID]
	if n == nil {
		n = &netCounters{}
		k.net[podUID] = n
	}
	return n
}

// Terminate asks the pod's worker to stop its containers gracefully.
func (k *Kubelet) Terminate(key string, grace time.Duration) {
	if w := k.worker(key); w != nil {
		w.termOnce.Do(func() {
			w.grace = grace
			close(w.term)
		})
	}
}

func (k *Kubelet) podGone(key, podUID string) {
	k.mu.Lock()
	w := k.workers[key]
	if w != nil && w.uid == podUID {
		delete(k.workers, key)
	} else {
		w = nil
	}
	delete(k.net, podUID)
	k.mu.Unlock()
	if w != nil {
		w.goneOnce.Do(func() { close(w.gone) })
		w.killAll(syscall.SIGKILL)
	}
}

// KillAll kills every container process (simulator shutdown).
func (k *Kubelet) KillAll() {
	k.procMu.Lock()
	var ps []*proc
	for _, p := range k.procs {
		ps = append(ps, p)
	}
	k.procMu.Unlock()
	for _, p := range ps {
		syscall.Kill(-p.pid, syscall.SIGKILL)
	}
	for _, p := range ps {
		select {
		case <-p.exited:
		case <-time.After(2 * time.Second):
		}
	}
}

// allocIP hands out pod IPs in 127.1.0.0/16 from a random starting point,
// so simulators running side by side rarely pick the same addresses.
func (k *Kubelet) allocIP() string {
	n := atomic.AddUint32(&k.ipNext, 1) % (256 * 254)
	return fmt.Sprintf("127.1.%d.%d", n/254, n%254+1)
}

// allocFreeIP returns an IP on which all ports can be bound right now.
func (k *Kubelet) allocFreeIP(ports []int) string {
	var ip string
	for try := 0; try < 64; try++ {
		ip = k.allocIP()
		free := true
		for _, p := range ports {
			ln, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(p)))
			if err != nil {
				free = false
				break
			}
			ln.Close()
		}
		if free {
			return ip
		}
	}
	return ip
}

// ---- scheduler ----

func (k *Kubelet) schedule(key string) {
	s := k.sim
	time.Sleep(time.Duration(s.cfg.ScheduleMS) * time.Millisecond)
	it := s.store.Get("pods", key)
	if it == nil || getStr(it.Obj, "spec", "nodeName") != "" || isDeleting(it.Obj) {
		return
	}
	k.mu.Lock()
	node := s.nodes[k.schedNext%len(s.nodes)]
	k.schedNext++
	k.mu.Unlock()
	now := nowTime()
	up, err := s.store.Update("pods", key, func(o Obj) error {
		if getStr(o, "spec", "nodeName") != "" {
			return errNoChange
		}
		o["spec"].(Obj)["nodeName"] = node
		st := ensure(o, "status")
		setPodCondition(st, "PodScheduled", "True", "", "", now)
		return nil
	})
	if err != nil || getStr(up.Obj, "spec", "nodeName") != node {
		return
	}
	s.rec.New(up.Obj, "Normal", "Scheduled", "Binding",
		fmt.Sprintf("Successfully assigned %s/%s to %s", namespace(up.Obj), name(up.Obj), node),
		"default-scheduler", "default-scheduler-kubesim")
	k.startWorker(key)
}

// setPodCondition sets a pod condition (whole-second lastTransitionTime,
// changed only when the status flips).
func setPodCondition(st Obj, typ, status, reason, msg string, now time.Time) {
	conds := getSlice(st, "conditions")
	for _, c := range conds {
		cm := c.(Obj)
		if getStr(cm, "type") == typ {
			if getStr(cm, "status") != status {
				cm["lastTransitionTime"] = rfc3339(now)
			}
			cm["status"] = status
			cm["lastProbeTime"] = nil
			setOrDelete(cm, "reason", reason)
			setOrDelete(cm, "message", msg)
			return
		}
	}
	c := Obj{"type": typ, "status": status, "lastProbeTime": nil, "lastTransitionTime": rfc3339(now)}
	setOrDelete(c, "reason", reason)
	setOrDelete(c, "message", msg)
	// Keep the order the kubelet reports.
	order := map[string]int{"PodReadyToStartContainers": 0, "Initialized": 1, "Ready": 2, "ContainersReady": 3, "PodScheduled": 4}
	conds = append(conds, c)
	for i := len(conds) - 1; i > 0; i-- {
		a, b := conds[i-1].(Obj), conds[i].(Obj)
		if order[getStr(a, "type")] > order[getStr(b, "type")] {
			conds[i-1], conds[i] = b, a
		}
	}
	st["conditions"] = conds
}

func setOrDelete(o Obj, k, v string) {
	if v == "" {
		delete(o, k)
	} else {
		o[k] = v
	}
}

// ---- kubelet worker ----

func isVirtualPod(p Obj) bool {
	if getStr(p, "metadata", "annotations", "kubesim.kprof.io/virtual") == "true" {
		return true
	}
	for _, c := range getSlice(p, "spec", "containers") {
		if !strings.HasPrefix(getStr(c.(Obj), "image"), "kprof.test/virtual") {
			return false
		}
	}
	return true
}

func (k *Kubelet) startWorker(key string) {
	s := k.sim
	it := s.store.Get("pods", key)
	if it == nil || isDeleting(it.Obj) {
		return
	}
	node := getStr(it.Obj, "spec", "nodeName")
	if !containsStr(s.nodes, node) {
		return // no such node: stays Pending, like a real cluster
	}
	k.mu.Lock()
	if _, ok := k.workers[key]; ok {
		k.mu.Unlock()
		return
	}
	w := &podWorker{k: k, key: key, uid: uid(it.Obj), node: node, virtual: isVirtualPod(it.Obj),
		term: make(chan struct{}), gone: make(chan struct{})}
	k.workers[key] = w
	k.mu.Unlock()
	used := map[int]bool{}
	for i, c := range getSlice(it.Obj, "spec", "containers") {
		cm := c.(Obj)
		port := 0
		for _, p := range getSlice(cm, "ports") {
			if n, ok := toInt(get(p.(Obj), "containerPort")); ok {
				port = int(n)
				break
			}
		}
		if port == 0 || used[port] {
			port = 6060 + i
			for used[port] {
				port++
			}
		}
		used[port] = true
		var args []string
		for _, a := range getSlice(cm, "args") {
			args = append(args, fmt.Sprint(a))
		}
		w.containers = append(w.containers, &ctrState{name: getStr(cm, "name"), image: getStr(cm, "image"),
			port: port, args: args, logs: newLogBuffer(1 << 20)})
	}
	if w.virtual {
		w.ip = getStr(it.Obj, "status", "podIP")
	}
	if w.ip == "" && w.virtual {
		w.ip = k.allocIP()
	} else if w.ip == "" {
		var ports []int
		for _, c := range w.containers {
			ports = append(ports, c.port)
		}
		w.ip = k.allocFreeIP(ports)
	}
	go w.run()
}

func (w *podWorker) update(fn func(o Obj)) Obj {
	it, err := w.k.sim.store.Update("pods", w.key, func(o Obj) error {
		if uid(o) != w.uid {
			return errNoChange
		}
		fn(o)
		return nil
	})
	if err != nil || it == nil {
		return nil
	}
	return it.Obj
}

func (w *podWorker) pod() Obj {
	it := w.k.sim.store.Get("pods", w.key)
	if it == nil || uid(it.Obj) != w.uid {
		return nil
	}
	return it.Obj
}

func (w *podWorker) event(typ, reason, msg, container string) {
	p := w.pod()
	if p == nil {
		return
	}
	fp := ""
	if container != "" {
		fp = "spec.containers{" + container + "}"
	}
	w.k.sim.rec.Legacy(p, fp, typ, reason, msg, "kubelet", w.node)
}

// sleep waits d unless the pod is terminated or removed; false if so.
func (w *podWorker) sleep(d time.Duration) bool {
	if d <= 0 {
		select {
		case <-w.term:
			return false
		case <-w.gone:
			return false
		default:
			return true
		}
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-w.term:
		return false
	case <-w.gone:
		return false
	}
}

func nodeIP(s *Sim, node string) string {
	for i, n := range s.nodes {
		if n == node {
			return fmt.Sprintf("127.0.1.%d", i+1)
		}
	}
	return "127.0.1.254"
}

func containerStatusObj(c *ctrState, state Obj, ready, started bool, lastState Obj) Obj {
	cs := Obj{"name": c.name, "state": state, "lastState": lastState, "ready": ready,
		"restartCount": c.restarts, "image": normalizeImage(c.image), "imageID": "", "started": started}
	if c.containerID != "" {
		cs["containerID"] = c.containerID
		cs["imageID"] = imageID(c.image)
	}
	return cs
}

func imageID(img string) string {
	ref := normalizeImage(img)
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		ref = ref[:i]
	}
	sum := sha256.Sum256([]byte(img))
	return fmt.Sprintf("%s@sha256:%x", ref, sum)
}

func (w *podWorker) setContainerStatus(idx int, cs Obj) {
	w.update(func(o Obj) {
		st := ensure(o, "status")
		list := getSlice(st, "containerStatuses")
		for len(list) <= idx {
			list = append(list, nil)
		}
		list[idx] = normalize(cs)
		st["containerStatuses"] = list
		w.refreshPhase(o)
	})
}

// refreshPhase derives phase and readiness conditions from container statuses.
func (w *podWorker) refreshPhase(o Obj) {
	now := nowTime()
	st := ensure(o, "status")
	running, allReady := false, true
	var notReady []string
	for i, c := range getSlice(st, "containerStatuses") {
		cm, _ := c.(Obj)
		if cm == nil {
			allReady = false
			notReady = append(notReady, w.containers[i].name)
			continue
		}
		if getMap(cm, "state", "running") != nil {
			running = true
		}
		if !getBool(cm, "ready") {
			allReady = false
			notReady = append(notReady, getStr(cm, "name"))
		}
	}
	if running && getStr(st, "phase") == "Pending" {
		st["phase"] = "Running"
	}
	if allReady {
		setPodCondition(st, "ContainersReady", "True", "", "", now)
		setPodCondition(st, "Ready", "True", "", "", now)
	} else {
		msg := "containers with unready status: [" + strings.Join(notReady, " ") + "]"
		setPodCondition(st, "ContainersReady", "False", "ContainersNotReady", msg, now)
		setPodCondition(st, "Ready", "False", "ContainersNotReady", msg, now)
	}
}

func (w *podWorker) run() {
	s := w.k.sim
	now := nowTime()
	// Sandbox: IP, start time, initial conditions, waiting containers.
	w.update(func(o Obj) {
		st := ensure(o, "status")
		st["phase"] = "Pending"
		hip := nodeIP(s, w.node)
		st["hostIP"] = hip
		st["hostIPs"] = []interface{}{Obj{"ip": hip}}
		st["podIP"] = w.ip
		st["podIPs"] = []interface{}{Obj{"ip": w.ip}}
		st["startTime"] = rfc3339(now)
		setPodCondition(st, "PodReadyToStartContainers", "True", "", "", now)
		setPodCondition(st, "Initialized", "True", "", "", now)
		var list []interface{}
		for _, c := range w.containers {
			list = append(list, normalize(containerStatusObj(c, Obj{"waiting": Obj{"reason": "ContainerCreating"}}, false, false, Obj{})))
		}
		st["containerStatuses"] = list
		w.refreshPhase(o)
	})
	for i := range w.containers {
		if !w.startContainer(i, true) {
			w.terminate()
			return
		}
	}
	w.supervise()
}

// pullImage emits the kubelet's image events; false if the pod went away.
func (w *podWorker) pullImage(idx int, first bool) bool {
	s := w.k.sim
	c := w.containers[idx]
	p := w.pod()
	if p == nil {
		return false
	}
	policy := getStr(getSlice(p, "spec", "containers")[idx].(Obj), "imagePullPolicy")
	w.k.mu.Lock()
	imgs := w.k.nodeImages[w.node]
	if imgs == nil {
		imgs = map[string]bool{}
		w.k.nodeImages[w.node] = imgs
	}
	present := imgs[c.image]
	pullMu := w.k.nodePull[w.node]
	if pullMu == nil {
		pullMu = &sync.Mutex{}
		w.k.nodePull[w.node] = pullMu
	}
	w.k.mu.Unlock()
	if policy != "Always" && present {
		w.event("Normal", "Pulled", fmt.Sprintf("Container image %q already present on machine", c.image), c.name)
		return true
	}
	if policy == "Never" {
		msg := fmt.Sprintf("Container image %q is not present with pull policy of Never", c.image)
		w.event("Warning", "ErrImageNeverPull", msg, c.name)
		w.setContainerStatus(idx, containerStatusObj(c, Obj{"waiting": Obj{"reason": "ErrImageNeverPull", "message": msg}}, false, false, Obj{}))
		<-w.term
		return false
	}
	ic, known := s.cfg.Images[c.image]
	pullMS := s.cfg.PullMS
	if known && ic.PullMS != nil {
		pullMS = *ic.PullMS
	}
	size := ic.SizeBytes
	if size == 0 {
		size = 10_000_000 + int64(fnv32([]byte(c.image))%190_000_000)
	}
	fail := ic.Fail
	if fail == "" && strings.HasPrefix(c.image, "kprof.test/missing") {
		fail = "ErrImagePull"
	}
	backoff := time.Duration(s.cfg.PullBackoffMS) * time.Millisecond
	for {
		w.event("Normal", "Pulling", fmt.Sprintf("Pulling image %q", c.image), c.name)
		requested := time.Now()
		pullMu.Lock()
		start := time.Now()
		ok := w.sleep(time.Duration(pullMS) * time.Millisecond)
		pullMu.Unlock()
		if !ok {
			return false
		}
		end := time.Now()
		if fail == "" {
			w.k.mu.Lock()
			imgs[c.image] = true
			w.k.mu.Unlock()
			w.event("Normal", "Pulled", fmt.Sprintf("Successfully pulled image %q in %v (%v including waiting). Image size: %d bytes.",
				c.image, end.Sub(start).Truncate(time.Millisecond), end.Sub(requested).Truncate(time.Millisecond), size), c.name)
			return true
		}
		reason := fmt.Sprintf("failed to pull and unpack image %q: failed to resolve reference %q: %s: not found", normalizeImage(c.image), normalizeImage(c.image), normalizeImage(c.image))
		if fail != "ErrImagePull" {
			reason = fail
		}
		errMsg := fmt.Sprintf("Failed to pull image %q: rpc error: code = NotFound desc = %s", c.image, reason)
		w.event("Warning", "Failed", errMsg, c.name)
		w.event("Warning", "Failed", "Error: ErrImagePull", c.name)
		w.setContainerStatus(idx, containerStatusObj(c, Obj{"waiting": Obj{"reason": "ErrImagePull", "message": "rpc error: code = NotFound desc = " + reason}}, false, false, Obj{}))
		if !w.sleep(200 * time.Millisecond) {
			return false
		}
		w.event("Normal", "BackOff", fmt.Sprintf("Back-off pulling image %q", c.image), c.name)
		w.event("Warning", "Failed", "Error: ImagePullBackOff", c.name)
		w.setContainerStatus(idx, containerStatusObj(c, Obj{"waiting": Obj{"reason": "ImagePullBackOff",
			"message": fmt.Sprintf("Back-off pulling image %q: ErrImagePull: rpc error: code = NotFound desc = %s", c.image, reason)}}, false, false, Obj{}))
		if !w.sleep(backoff) {
			return false
		}
		backoff *= 2
		if max := time.Duration(s.cfg.PullBackoffMaxMS) * time.Millisecond; backoff > max {
			backoff = max
		}
	}
}

// startContainer pulls, creates and starts container idx; false if the
// pod is being terminated.
func (w *podWorker) startContainer(idx int, first bool) bool {
	s := w.k.sim
	c := w.containers[idx]
	if !w.pullImage(idx, first) {
		return false
	}
	if !w.sleep(time.Duration(s.cfg.StartMS) * time.Millisecond) {
		return false
	}
	w.event("Normal", "Created", "Created container "+c.name, c.name)
	var pr *proc
	if !w.virtual {
		var err error
		pr, err = w.k.spawn(w, c)
		if err != nil {
			msg := fmt.Sprintf("failed to create containerd task: failed to start: %v", err)
			log.Printf("pod %s container %s: %s", w.key, c.name, msg)
			w.event("Warning", "Failed", "Error: "+msg, c.name)
			w.setContainerStatus(idx, containerStatusObj(c, Obj{"waiting": Obj{"reason": "CreateContainerError", "message": msg}}, false, false, Obj{}))
			return w.sleep(time.Duration(s.cfg.RestartBackoffMS)*time.Millisecond) && w.startContainer(idx, false)
		}
	}
	w.mu.Lock()
	c.proc = pr
	c.containerID = "containerd://" + randomHex(64)
	c.startedAt = nowTime()
	c.ready = false
	w.mu.Unlock()
	w.event("Normal", "Started", "Started container "+c.name, c.name)
	lastState := w.lastState(idx)
	w.setContainerStatus(idx, containerStatusObj(c, Obj{"running": Obj{"startedAt": rfc3339(c.startedAt)}}, false, true, lastState))
	// Ready once the process listens (virtual pods: at once) plus ready_ms.
	go func() {
		if pr != nil {
			select {
			case <-pr.listening:
			case <-pr.exited:
				return
			case <-w.term:
				return
			case <-w.gone:
				return
			}
			if !w.sleep(time.Duration(s.cfg.ReadyMS) * time.Millisecond) {
				return
			}
			select {
			case <-pr.exited:
				return
			default:
			}
		}
		w.mu.Lock()
		if c.proc != pr {
			w.mu.Unlock()
			return
		}
		c.ready = true
		w.mu.Unlock()
		w.setContainerStatus(idx, containerStatusObj(c, Obj{"running": Obj{"startedAt": rfc3339(c.startedAt)}}, true, true, lastState))
	}()
	return true
}

func (w *podWorker) lastState(idx int) Obj {
	p := w.pod()
	if p == nil {
		return Obj{}
	}
	list := getSlice(p, "status", "containerStatuses")
	if idx < len(list) {
		if cm, ok := list[idx].(Obj); ok {
			if ls := getMap(cm, "lastState"); ls != nil {
				return copyObj(ls)
			}
		}
	}
	return Obj{}
}

// supervise restarts exited containers (restartPolicy Always) until the
// pod is terminated.
func (w *podWorker) supervise() {
	s := w.k.sim
	for {
		cases := make(chan int, len(w.containers))
		stop := make(chan struct{})
		for i, c := range w.containers {
			w.mu.Lock()
			pr := c.proc
			w.mu.Unlock()
			if pr == nil {
				continue
			}
			go func(i int, pr *proc) {
				select {
				case <-pr.exited:
					cases <- i
				case <-stop:
				}
			}(i, pr)
		}
		var idx int
		select {
		case idx = <-cases:
			close(stop)
		case <-w.term:
			close(stop)
			w.terminate()
			return
		case <-w.gone:
			close(stop)
			w.killAll(syscall.SIGKILL)
			return
		}
		c := w.containers[idx]
		w.mu.Lock()
		pr := c.proc
		c.proc = nil
		c.ready = false
		w.mu.Unlock()
		finished := nowTime()
		reason := "Error"
		if pr.exitCode == 0 {
			reason = "Completed"
		}
		tail := pr.logs.Bytes()
		if len(tail) > 300 {
			tail = tail[len(tail)-300:]
		}
		log.Printf("pod %s container %s (pid %d) exited with code %d; output tail: %q", w.key, c.name, pr.pid, pr.exitCode, tail)
		terminated := Obj{"exitCode": pr.exitCode, "reason": reason, "startedAt": rfc3339(c.startedAt),
			"finishedAt": rfc3339(finished), "containerID": c.containerID}
		w.mu.Lock()
		c.restarts++
		w.mu.Unlock()
		delay := time.Duration(s.cfg.RestartBackoffMS) * time.Millisecond
		for i := 1; i < c.restarts && delay < time.Duration(s.cfg.RestartBackoffMaxMS)*time.Millisecond; i++ {
			delay *= 2
		}
		if max := time.Duration(s.cfg.RestartBackoffMaxMS) * time.Millisecond; delay > max {
			delay = max
		}
		p := w.pod()
		podRef := ""
		if p != nil {
			podRef = fmt.Sprintf("%s_%s(%s)", name(p), namespace(p), uid(p))
		}
		w.setContainerStatus(idx, containerStatusObj(c, Obj{"waiting": Obj{"reason": "CrashLoopBackOff",
			"message": fmt.Sprintf("back-off %v restarting failed container=%s pod=%s", delay.Truncate(time.Second), c.name, podRef)}},
			false, false, Obj{"terminated": terminated}))
		w.event("Warning", "BackOff", fmt.Sprintf("Back-off restarting failed container %s in pod %s", c.name, podRef), c.name)
		if !w.sleep(delay) {
			select {
			case <-w.gone:
				w.killAll(syscall.SIGKILL)
			default:
				w.terminate()
			}
			return
		}
		if !w.startContainer(idx, false) {
			w.terminate()
			return
		}
	}
}

func (w *podWorker) killAll(sig syscall.Signal) {
	w.mu.Lock()
	var ps []*proc
	for _, c := range w.containers {
		if c.proc != nil {
			ps = append(ps, c.proc)
		}
	}
	w.mu.Unlock()
	for _, p := range ps {
		syscall.Kill(-p.pid, sig)
	}
}

// terminate stops the containers (SIGTERM, SIGKILL after the grace period)
// and removes the pod object, like the kubelet finishing a deletion.
func (w *podWorker) terminate() {
	s := w.k.sim
	select {
	case <-w.gone:
		w.killAll(syscall.SIGKILL)
		return
	default:
	}
	var running []*ctrState
	w.mu.Lock()
	for _, c := range w.containers {
		if c.proc != nil || (w.virtual && c.containerID != "") {
			running = append(running, c)
		}
	}
	w.mu.Unlock()
	for _, c := range running {
		w.event("Normal", "Killing", "Stopping container "+c.name, c.name)
	}
	w.killAll(syscall.SIGTERM)
	deadline := time.After(w.grace)
	for _, c := range running {
		if c.proc == nil {
			continue
		}
		select {
		case <-c.proc.exited:
		case <-deadline:
			w.killAll(syscall.SIGKILL)
			<-c.proc.exited
		case <-w.gone:
			w.killAll(syscall.SIGKILL)
			<-c.proc.exited
		}
	}
	finished := nowTime()
	w.update(func(o Obj) {
		st := ensure(o, "status")
		failed := false
		for i, c := range w.containers {
			code := 0
			if c.proc != nil {
				code = c.proc.exitCode
			}
			if code != 0 {
				failed = true
			}
			reason := "Completed"
			if code != 0 {
				reason = "Error"
			}
			state := Obj{"terminated": Obj{"exitCode": code, "reason": reason, "startedAt": rfc3339(c.startedAt),
				"finishedAt": rfc3339(finished), "containerID": c.containerID}}
			if c.containerID == "" {
				state = Obj{"terminated": Obj{"exitCode": 137, "reason": "ContainerStatusUnknown",
					"message": "The container could not be located when the pod was terminated", "startedAt": nil, "finishedAt": nil}}
			}
			list := getSlice(st, "containerStatuses")
			if i < len(list) {
				if cm, ok := list[i].(Obj); ok {
					cm["state"] = normalize(state)
					cm["ready"] = false
					cm["started"] = false
				}
			}
		}
		if failed {
			st["phase"] = "Failed"
		} else {
			st["phase"] = "Succeeded"
		}
		setPodCondition(st, "PodReadyToStartContainers", "False", "", "", finished)
		setPodCondition(st, "ContainersReady", "False", "PodCompleted", "", finished)
		setPodCondition(st, "Ready", "False", "PodCompleted", "", finished)
	})
	k := w.k
	k.mu.Lock()
	if k.workers[w.key] == w {
		delete(k.workers, w.key)
	}
	k.mu.Unlock()
	if it := s.store.Get("pods", w.key); it != nil && uid(it.Obj) == w.uid {
		s.store.Delete("pods", w.key)
	}
}

// ---- processes ----

func variantOf(image string) string {
	if imageTag(image) == "v2" {
		return "v2"
	}
	return "v1"
}

func (k *Kubelet) spawn(w *podWorker, c *ctrState) (*proc, error) {
	args := []string{"-addr", fmt.Sprintf("%s:%d", w.ip, c.port), "-busy", "1", "-work-variant", variantOf(c.image)}
	args = append(args, c.args...)
	cmd := exec.Command(k.sim.workloadBin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Stdin = nil
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	done := make(chan error, 1)
	k.spawnCh <- spawnReq{cmd: cmd, done: done}
	if err := <-done; err != nil {
		return nil, err
	}
	p := &proc{cmd: cmd, pid: cmd.Process.Pid, listening: make(chan struct{}), exited: make(chan struct{}), logs: c.logs}
	k.procMu.Lock()
	k.procs[p.pid] = p
	k.procMu.Unlock()
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		once := false
		for sc.Scan() {
			line := sc.Text()
			p.logs.Write([]byte(line + "\n"))
			if !once && strings.HasPrefix(line, "LISTENING ") {
				once = true
				close(p.listening)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		defer wg.Done()
		io.Copy(p.logs, stderr)
	}()
	go func() {
		wg.Wait()
		err := cmd.Wait()
		p.exitCode = 0
		if err != nil {
			if ee, ok := err.(*exec.ExitError); ok {
				if ws, ok := ee.Sys().(syscall.WaitStatus); ok {
					if ws.Signaled() {
						p.signaled = true
						p.exitCode = 128 + int(ws.Signal())
					} else {
						p.exitCode = ws.ExitStatus()
					}
				}
			} else {
				p.exitCode = 1
			}
		}
		k.procMu.Lock()
		delete(k.procs, p.pid)
		k.procMu.Unlock()
		close(p.exited)
	}()
	return p, nil
}

// KillProcess SIGKILLs a pod's container processes (fault injection).
func (k *Kubelet) KillProcess(key string) (int, error) {
	w := k.worker(key)
	if w == nil {
		return 0, fmt.Errorf("pod %s has no running containers", key)
	}
	w.mu.Lock()
	var pids []int
	for _, c := range w.containers {
		if c.proc != nil {
			pids = append(pids, c.proc.pid)
		}
	}
	w.mu.Unlock()
	if len(pids) == 0 {
		return 0, fmt.Errorf("pod %s has no running process", key)
	}
	for _, pid := range pids {
		syscall.Kill(-pid, syscall.SIGKILL)
	}
	return pids[0], nil
}

// ---- /proc sampling for the Summary API ----

var clockTicks uint64 = 100

func readProcCPU(pid int) (uint64, uint64, uint64, bool) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, 0, 0, false
	}
	s := string(data)
	i := strings.LastIndex(s, ")")
	if i < 0 {
		return 0, 0, 0, false
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, 0, 0, false
	}
	// Fields after ")": state(0) ppid(1) ... minflt(7) cminflt(8) majflt(9) cmajflt(10) utime(11) stime(12)
	minflt, _ := strconv.ParseUint(f[7], 10, 64)
	majflt, _ := strconv.ParseUint(f[9], 10, 64)
	ut, _ := strconv.ParseUint(f[11], 10, 64)
	stt, _ := strconv.ParseUint(f[12], 10, 64)
	return (ut + stt) * (1e9 / clockTicks), minflt + majflt, majflt, true
}

// readProcMem returns RSS, anonymous RSS and file-backed RSS in bytes.
func readProcMem(pid int) (rss, anon, file uint64) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		n, _ := strconv.ParseUint(f[1], 10, 64)
		switch f[0] {
		case "VmRSS:":
			rss = n * 1024
		case "RssAnon:":
			anon = n * 1024
		case "RssFile:":
			file = n * 1024
		}
	}
	return
}

func (k *Kubelet) sampleLoop() {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for range t.C {
		k.procMu.Lock()
		var ps []*proc
		for _, p := range k.procs {
			ps = append(ps, p)
		}
		k.procMu.Unlock()
		for _, p := range ps {
			p.sample()
		}
	}
}

func (p *proc) sample() (cpu uint64, rate uint64) {
	c, _, _, ok := readProcCPU(p.pid)
	now := time.Now()
	p.sampleMu.Lock()
	defer p.sampleMu.Unlock()
	if !ok {
		return p.lastCPU, p.rateNanos
	}
	if !p.lastT.IsZero() {
		if dt := now.Sub(p.lastT); dt >= 200*time.Millisecond && c >= p.lastCPU {
			p.rateNanos = uint64(float64(c-p.lastCPU) / dt.Seconds())
			p.lastT, p.lastCPU = now, c
		}
	} else {
		p.lastT, p.lastCPU = now, c
	}
	return c, p.rateNanos
}

// ---- container logs ----

type logBuffer struct {
	mu   sync.Mutex
	max  int
	data []byte
}

func newLogBuffer(max int) *logBuffer { return &logBuffer{max: max} }

func (b *logBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.data = append(b.data, p...)
	if len(b.data) > b.max {
		b.data = append([]byte(nil), b.data[len(b.data)-b.max:]...)
	}
	return len(p), nil
}

func (b *logBuffer) Bytes() []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]byte(nil), b.data...)
}
