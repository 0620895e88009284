package main

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Controllers runs the deployment, replicaset, garbage-collector and
// namespace controllers in one loop, woken by changes and a short tick.
type Controllers struct {
	sim  *Sim
	kick chan struct{}
	mu   sync.Mutex
	// collisionCount per deployment uid is kept in status; nothing else is
	// cached between syncs.
}

const (
	annRevision        = "deployment.kubernetes.io/revision"
	annDesiredReplicas = "deployment.kubernetes.io/desired-replicas"
	annMaxReplicas     = "deployment.kubernetes.io/max-replicas"
	annRevisionHistory = "deployment.kubernetes.io/revision-history"
	labelTemplateHash  = "pod-template-hash"
)

func newControllers(s *Sim) *Controllers {
	return &Controllers{sim: s, kick: make(chan struct{}, 1)}
}

func (c *Controllers) Kick() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *Controllers) Start() {
	c.sim.store.onChange(func(ch *Change) {
		switch ch.Storage {
		case "deployments", "replicasets":
			c.Kick()
		case "pods":
			// Only pods with a controller matter between ticks (orphans
			// are adopted on the next tick).
			if controllerRef(ch.New.Obj) != nil || (ch.Old != nil && controllerRef(ch.Old.Obj) != nil) {
				c.Kick()
			}
		}
	})
	go c.loop()
}

func (c *Controllers) loop() {
	every := time.Duration(c.sim.cfg.ControllerSyncMS) * time.Millisecond
	if every <= 0 {
		every = 100 * time.Millisecond
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-c.kick:
		case <-t.C:
			if !c.anyControllers() {
				continue
			}
		}
		c.syncAll()
	}
}

func (c *Controllers) anyControllers() bool {
	st := c.sim.store
	st.mu.RLock()
	defer st.mu.RUnlock()
	return len(st.bucket("deployments").items)+len(st.bucket("replicasets").items) > 0
}

// ---- shared helpers ----

func controllerRef(o Obj) Obj {
	for _, r := range getSlice(o, "metadata", "ownerReferences") {
		rm, _ := r.(Obj)
		if getBool(rm, "controller") {
			return rm
		}
	}
	return nil
}

func ownerRefTo(owner Obj) Obj {
	return Obj{"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": name(owner), "uid": uid(owner),
		"controller": true, "blockOwnerDeletion": true}
}

func replicas(o Obj) int64  { return getInt(o, 1, "spec", "replicas") }
func isDeleting(o Obj) bool { return get(o, "metadata", "deletionTimestamp") != nil }

func podReadyCond(p Obj) (bool, time.Time) {
	for _, c := range getSlice(p, "status", "conditions") {
		cm, _ := c.(Obj)
		if getStr(cm, "type") == "Ready" {
			t, _ := parseTime(getStr(cm, "lastTransitionTime"))
			return getStr(cm, "status") == "True", t
		}
	}
	return false, time.Time{}
}

func podAvailable(p Obj, minReady int64, now time.Time) bool {
	ready, since := podReadyCond(p)
	if !ready {
		return false
	}
	return minReady == 0 || !since.Add(time.Duration(minReady)*time.Second).After(now)
}

func podActive(p Obj) bool {
	ph := getStr(p, "status", "phase")
	return !isDeleting(p) && ph != "Succeeded" && ph != "Failed"
}

// resolveIntOrPercent resolves maxSurge/maxUnavailable against total.
func resolveIntOrPercent(v interface{}, total int64, roundUp bool) (int64, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case string:
		if strings.HasSuffix(t, "%") {
			p, err := strconv.Atoi(strings.TrimSuffix(t, "%"))
			if err != nil {
				return 0, fmt.Errorf("invalid value for IntOrString: invalid value %q", t)
			}
			f := float64(int64(p)*total) / 100
			if roundUp {
				return int64(math.Ceil(f)), nil
			}
			return int64(math.Floor(f)), nil
		}
		n, err := strconv.Atoi(t)
		if err != nil {
			return 0, fmt.Errorf("invalid value for IntOrString: invalid type: string is not a percentage")
		}
		return int64(n), nil
	default:
		n, ok := toInt(v)
		if !ok {
			return 0, fmt.Errorf("invalid value for IntOrString")
		}
		return n, nil
	}
}

// fenceposts returns maxSurge, maxUnavailable like the deployment
// controller (surge rounds up, unavailable down; both 0 → unavailable 1).
func fenceposts(d Obj) (int64, int64) {
	n := replicas(d)
	ru := getMap(d, "spec", "strategy", "rollingUpdate")
	surge, _ := resolveIntOrPercent(ru["maxSurge"], n, true)
	unavail, _ := resolveIntOrPercent(ru["maxUnavailable"], n, false)
	if surge == 0 && unavail == 0 {
		unavail = 1
	}
	return surge, unavail
}

func isRolling(d Obj) bool { return getStr(d, "spec", "strategy", "type") != "Recreate" }

func maxSurge(d Obj) int64 {
	if !isRolling(d) {
		return 0
	}
	s, _ := fenceposts(d)
	return s
}

func maxUnavailable(d Obj) int64 {
	if !isRolling(d) || replicas(d) == 0 {
		return 0
	}
	_, u := fenceposts(d)
	if u > replicas(d) {
		return replicas(d)
	}
	return u
}

func setInt(o Obj, v int64, path ...string) { set(o, v, path...) }

// ---- sync ----

func (c *Controllers) syncAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.sim.store
	c.syncReplicaSets(false)
	for _, d := range st.List("deployments", "") {
		c.syncDeployment(d.Obj)
	}
	owned := c.syncReplicaSets(true)
	c.collectOrphans(owned)
}

// podsByController indexes pods by their controller's uid.
func (c *Controllers) podsByController() (map[string][]Obj, map[string][]Obj) {
	owned := map[string][]Obj{}
	orphans := map[string][]Obj{}
	for _, it := range c.sim.store.List("pods", "") {
		if ref := controllerRef(it.Obj); ref != nil {
			owned[getStr(ref, "uid")] = append(owned[getStr(ref, "uid")], it.Obj)
		} else {
			orphans[namespace(it.Obj)] = append(orphans[namespace(it.Obj)], it.Obj)
		}
	}
	return owned, orphans
}

// ---- ReplicaSet controller ----

func (c *Controllers) syncReplicaSets(act bool) map[string][]Obj {
	owned, orphans := c.podsByController()
	for _, it := range c.sim.store.List("replicasets", "") {
		c.syncReplicaSet(it.Obj, owned[uid(it.Obj)], orphans[namespace(it.Obj)], act)
	}
	return owned
}

func (c *Controllers) syncReplicaSet(rs Obj, pods []Obj, orphans []Obj, act bool) {
	s := c.sim
	now := nowTime()
	sel, err := selectorFromLabelSelector(getMap(rs, "spec", "selector"))
	if err != nil {
		return
	}
	// Adopt matching orphans.
	if act && !isDeleting(rs) {
		for _, p := range orphans {
			if isDeleting(p) || !sel.Matches(labelsOf(p)) || sel.Empty() {
				continue
			}
			it, err := s.store.Update("pods", keyOf(namespace(p), name(p)), func(o Obj) error {
				if controllerRef(o) != nil {
					return errNoChange
				}
				md := ensure(o, "metadata")
				md["ownerReferences"] = append(getSlice(o, "metadata", "ownerReferences"), normalize(ownerRefTo(rs)))
				return nil
			})
			if err == nil && controllerRef(it.Obj) != nil && getStr(controllerRef(it.Obj), "uid") == uid(rs) {
				pods = append(pods, it.Obj)
			}
		}
	}
	var active []Obj
	for _, p := range pods {
		if podActive(p) {
			active = append(active, p)
		}
	}
	if act && !isDeleting(rs) {
		diff := int64(len(active)) - replicas(rs)
		if diff < 0 {
			n := -diff
			if n > 500 {
				n = 500
			}
			for i := int64(0); i < n; i++ {
				if p := c.createPod(rs); p != nil {
					active = append(active, p)
				}
			}
		} else if diff > 0 {
			sortForDeletion(active)
			for _, p := range active[:diff] {
				if it := s.store.Get("pods", keyOf(namespace(p), name(p))); it != nil {
					s.deletePod(it, nil)
					s.rec.Legacy(rs, "", "Normal", "SuccessfulDelete", "Deleted pod: "+name(p), "replicaset-controller", "")
				}
			}
			active = active[diff:]
		}
	}
	// Status from the pods as they are now.
	minReady := getInt(rs, 0, "spec", "minReadySeconds")
	tmplLabels := strMap(rs, "spec", "template", "metadata", "labels")
	var ready, avail, labeled int64
	for _, p := range active {
		pl := labelsOf(p)
		full := true
		for k, v := range tmplLabels {
			if pl[k] != v {
				full = false
			}
		}
		if full {
			labeled++
		}
		if r, _ := podReadyCond(p); r {
			ready++
		}
		if podAvailable(p, minReady, now) {
			avail++
		}
	}
	status := Obj{"replicas": int64(len(active))}
	if labeled > 0 {
		status["fullyLabeledReplicas"] = labeled
	}
	if ready > 0 {
		status["readyReplicas"] = ready
	}
	if avail > 0 {
		status["availableReplicas"] = avail
	}
	status["observedGeneration"] = getInt(rs, 1, "metadata", "generation")
	status = normalize(status).(Obj)
	if jsonEqual(rs["status"], status) {
		return
	}
	s.store.Update("replicasets", keyOf(namespace(rs), name(rs)), func(o Obj) error {
		o["status"] = status
		return nil
	})
}

func (c *Controllers) createPod(rs Obj) Obj {
	s := c.sim
	tmpl := getMap(rs, "spec", "template")
	md := Obj{"generateName": name(rs) + "-", "namespace": namespace(rs),
		"ownerReferences": []interface{}{ownerRefTo(rs)}}
	if l := getMap(tmpl, "metadata", "labels"); l != nil {
		md["labels"] = copyObj(l)
	}
	if a := getMap(tmpl, "metadata", "annotations"); a != nil {
		md["annotations"] = copyObj(a)
	}
	pod := Obj{"kind": "Pod", "apiVersion": "v1", "metadata": md, "spec": copyObj(getMap(tmpl, "spec"))}
	podRes := findResource("", "v1", "pods")
	for attempt := 0; attempt < 3; attempt++ {
		it, aerr := s.create(podRes, namespace(rs), copyObj(normalize(pod).(Obj)), "kube-controller-manager", false)
		if aerr == nil {
			s.rec.Legacy(rs, "", "Normal", "SuccessfulCreate", "Created pod: "+name(it.Obj), "replicaset-controller", "")
			return it.Obj
		}
		if aerr.Code != 409 {
			s.rec.Legacy(rs, "", "Warning", "FailedCreate", "Error creating: "+aerr.Message, "replicaset-controller", "")
			return nil
		}
	}
	return nil
}

// sortForDeletion orders pods the way the ReplicaSet controller picks
// victims: unscheduled, pending, not ready, recently ready, restarted more,
// newer first.
func sortForDeletion(pods []Obj) {
	phaseRank := func(p Obj) int {
		switch getStr(p, "status", "phase") {
		case "Pending":
			return 0
		case "Unknown":
			return 1
		case "Running":
			return 2
		}
		return 3
	}
	restarts := func(p Obj) int64 {
		var n int64
		for _, cs := range getSlice(p, "status", "containerStatuses") {
			n += getInt(cs.(Obj), 0, "restartCount")
		}
		return n
	}
	sort.SliceStable(pods, func(i, j int) bool {
		a, b := pods[i], pods[j]
		an, bn := getStr(a, "spec", "nodeName") != "", getStr(b, "spec", "nodeName") != ""
		if an != bn {
			return !an
		}
		if ra, rb := phaseRank(a), phaseRank(b); ra != rb {
			return ra < rb
		}
		ar, at := podReadyCond(a)
		br, bt := podReadyCond(b)
		if ar != br {
			return !ar
		}
		if ar && br && !at.Equal(bt) {
			return at.After(bt)
		}
		if x, y := restarts(a), restarts(b); x != y {
			return x > y
		}
		ta, _ := parseTime(getStr(a, "metadata", "creationTimestamp"))
		tb, _ := parseTime(getStr(b, "metadata", "creationTimestamp"))
		return ta.After(tb)
	})
}

// ---- Deployment controller ----

// rsRef is a ReplicaSet whose latest state replaces o after each write.
type rsRef struct{ o Obj }

func (r *rsRef) replicas() int64  { return getInt(r.o, 0, "spec", "replicas") }
func (r *rsRef) available() int64 { return getInt(r.o, 0, "status", "availableReplicas") }
func (r *rsRef) revision() int64 {
	n, _ := strconv.ParseInt(getStr(r.o, "metadata", "annotations", annRevision), 10, 64)
	return n
}
func (r *rsRef) created() time.Time {
	t, _ := parseTime(getStr(r.o, "metadata", "creationTimestamp"))
	return t
}

func sumReplicas(rss []*rsRef) int64 {
	var n int64
	for _, r := range rss {
		if r != nil {
			n += r.replicas()
		}
	}
	return n
}

func sumStatus(rss []*rsRef, field string) int64 {
	var n int64
	for _, r := range rss {
		if r != nil {
			n += getInt(r.o, 0, "status", field)
		}
	}
	return n
}

func activeRSs(rss []*rsRef) []*rsRef {
	var out []*rsRef
	for _, r := range rss {
		if r != nil && r.replicas() > 0 {
			out = append(out, r)
		}
	}
	return out
}

func sortOlderFirst(rss []*rsRef) {
	sort.SliceStable(rss, func(i, j int) bool {
		a, b := rss[i].created(), rss[j].created()
		if a.Equal(b) {
			return name(rss[i].o) < name(rss[j].o)
		}
		return a.Before(b)
	})
}

// templateHash is the pod-template-hash of a template.
func templateHash(tmpl Obj, collisions int64) string {
	data := mustJSON(tmpl)
	if collisions > 0 {
		data = append(data, []byte(strconv.FormatInt(collisions, 10))...)
	}
	return safeEncode(strconv.FormatUint(uint64(fnv32(data)), 10))
}

// templateWithoutHash drops pod-template-hash from a template's labels.
func templateWithoutHash(t Obj) Obj {
	c := copyObj(t)
	if l := getMap(c, "metadata", "labels"); l != nil {
		delete(l, labelTemplateHash)
		if len(l) == 0 {
			delete(getMap(c, "metadata"), "labels")
		}
	}
	return c
}

type depSync struct {
	c      *Controllers
	d      Obj
	key    string
	newRS  *rsRef
	oldRSs []*rsRef
	// status conditions changed by getNewReplicaSet before the status write.
	pendingCond Obj
	revision    string
}

func (c *Controllers) syncDeployment(d Obj) {
	if isDeleting(d) {
		return
	}
	s := c.sim
	ds := &depSync{c: c, d: d, key: keyOf(namespace(d), name(d))}
	sel, err := selectorFromLabelSelector(getMap(d, "spec", "selector"))
	if err != nil || sel.Empty() {
		return
	}
	var rsList []*rsRef
	for _, it := range s.store.List("replicasets", namespace(d)) {
		ref := controllerRef(it.Obj)
		if ref != nil && getStr(ref, "uid") == uid(d) {
			rsList = append(rsList, &rsRef{o: it.Obj})
		} else if ref == nil && !isDeleting(it.Obj) && sel.Matches(labelsOf(it.Obj)) {
			// Adopt.
			up, err := s.store.Update("replicasets", it.Key, func(o Obj) error {
				if controllerRef(o) != nil {
					return errNoChange
				}
				ensure(o, "metadata")["ownerReferences"] = append(getSlice(o, "metadata", "ownerReferences"), normalize(ownerRefTo(d)))
				return nil
			})
			if err == nil {
				rsList = append(rsList, &rsRef{o: up.Obj})
			}
		}
	}
	// Find the new ReplicaSet (template equal ignoring the hash label); the
	// oldest wins if several match.
	sortOlderFirst(rsList)
	want := mustJSON(templateWithoutHash(getMap(d, "spec", "template")))
	for _, r := range rsList {
		if ds.newRS == nil && string(mustJSON(templateWithoutHash(getMap(r.o, "spec", "template")))) == string(want) {
			ds.newRS = r
		} else {
			ds.oldRSs = append(ds.oldRSs, r)
		}
	}

	paused := getBool(d, "spec", "paused")
	ds.checkPausedConditions(paused)
	if paused || ds.isScalingEvent() {
		ds.sync(paused)
		return
	}
	if isRolling(d) {
		ds.rolloutRolling()
	} else {
		ds.rolloutRecreate()
	}
}

func (ds *depSync) allRSs() []*rsRef {
	all := append([]*rsRef{}, ds.oldRSs...)
	if ds.newRS != nil {
		all = append(all, ds.newRS)
	}
	return all
}

func (ds *depSync) maxOldRevision() int64 {
	var m int64
	for _, r := range ds.oldRSs {
		if v := r.revision(); v > m {
			m = v
		}
	}
	return m
}

func findCondition(o Obj, typ string) Obj {
	for _, c := range getSlice(o, "status", "conditions") {
		cm, _ := c.(Obj)
		if getStr(cm, "type") == typ {
			return cm
		}
	}
	return nil
}

func newDeploymentCondition(typ, status, reason, msg string, now time.Time) Obj {
	return Obj{"type": typ, "status": status, "lastUpdateTime": rfc3339(now), "lastTransitionTime": rfc3339(now),
		"reason": reason, "message": msg}
}

// setCondition follows SetDeploymentCondition: same status and reason →
// no change; same status → keep lastTransitionTime.
func setCondition(status Obj, cond Obj) {
	var out []interface{}
	for _, c := range getSlice(status, "conditions") {
		cm := c.(Obj)
		if getStr(cm, "type") == getStr(cond, "type") {
			if getStr(cm, "status") == getStr(cond, "status") && getStr(cm, "reason") == getStr(cond, "reason") {
				return
			}
			if getStr(cm, "status") == getStr(cond, "status") {
				cond["lastTransitionTime"] = cm["lastTransitionTime"]
			}
			continue
		}
		out = append(out, cm)
	}
	status["conditions"] = append(out, cond)
}

func removeCondition(status Obj, typ string) {
	var out []interface{}
	for _, c := range getSlice(status, "conditions") {
		if getStr(c.(Obj), "type") != typ {
			out = append(out, c)
		}
	}
	if out == nil {
		delete(status, "conditions")
	} else {
		status["conditions"] = out
	}
}

func (ds *depSync) writeStatus(status Obj, revision string) {
	status = normalize(status).(Obj)
	it, err := ds.c.sim.store.Update("deployments", ds.key, func(o Obj) error {
		if uid(o) != uid(ds.d) {
			return errNoChange
		}
		o["status"] = status
		if revision != "" {
			ensure(o, "metadata", "annotations")[annRevision] = revision
		}
		return nil
	})
	if err == nil {
		ds.d = it.Obj
	}
}

func (ds *depSync) checkPausedConditions(paused bool) {
	if get(ds.d, "spec", "progressDeadlineSeconds") == nil {
		return
	}
	cond := findCondition(ds.d, "Progressing")
	if cond != nil && getStr(cond, "reason") == "ProgressDeadlineExceeded" {
		return
	}
	pausedCond := cond != nil && getStr(cond, "reason") == "DeploymentPaused"
	now := nowTime()
	status := copyObj(getMap(ds.d, "status"))
	if status == nil {
		status = Obj{}
	}
	switch {
	case paused && !pausedCond:
		setCondition(status, newDeploymentCondition("Progressing", "Unknown", "DeploymentPaused", "Deployment is paused", now))
	case !paused && pausedCond:
		setCondition(status, newDeploymentCondition("Progressing", "Unknown", "DeploymentResumed", "Deployment is resumed", now))
	default:
		return
	}
	ds.writeStatus(status, "")
}

func (ds *depSync) isScalingEvent() bool {
	ds.getNewReplicaSet(false)
	for _, r := range activeRSs(ds.allRSs()) {
		v, ok := getMap(r.o, "metadata", "annotations")[annDesiredReplicas]
		if !ok {
			continue
		}
		n, _ := strconv.ParseInt(fmt.Sprint(v), 10, 64)
		if n != replicas(ds.d) {
			return true
		}
	}
	return false
}

// copyableAnnotation reports deployment annotations copied to ReplicaSets.
func copyableAnnotation(k string) bool {
	switch k {
	case "kubectl.kubernetes.io/last-applied-configuration", annRevision, annRevisionHistory,
		annDesiredReplicas, annMaxReplicas, "deprecated.deployment.rollback.to":
		return false
	}
	return true
}

// setNewRSAnnotations mirrors SetNewReplicaSetAnnotations; returns whether
// anything changed.
func (ds *depSync) setNewRSAnnotations(rs Obj, newRevision int64, exists bool) bool {
	md := ensure(rs, "metadata")
	ann := ensure(md, "annotations")
	changed := false
	for k, v := range strMap(ds.d, "metadata", "annotations") {
		if !copyableAnnotation(k) {
			continue
		}
		if cur, ok := ann[k]; !ok || cur != v {
			ann[k] = v
			changed = true
		}
	}
	oldRev := getStr(ann, annRevision)
	oldN, _ := strconv.ParseInt(oldRev, 10, 64)
	if oldRev == "" || oldN < newRevision {
		ann[annRevision] = strconv.FormatInt(newRevision, 10)
		changed = true
		if exists && oldRev != "" {
			if h := getStr(ann, annRevisionHistory); h != "" {
				ann[annRevisionHistory] = h + "," + oldRev
			} else {
				ann[annRevisionHistory] = oldRev
			}
		}
	}
	if !exists {
		ann[annDesiredReplicas] = strconv.FormatInt(replicas(ds.d), 10)
		ann[annMaxReplicas] = strconv.FormatInt(replicas(ds.d)+maxSurge(ds.d), 10)
		changed = true
	}
	return changed
}

// getNewReplicaSet finds (and syncs the revision of) or creates the new
// ReplicaSet. The deployment's revision/conditions are written here.
func (ds *depSync) getNewReplicaSet(create bool) {
	s := ds.c.sim
	now := nowTime()
	newRevision := ds.maxOldRevision() + 1
	hasDeadline := get(ds.d, "spec", "progressDeadlineSeconds") != nil
	if ds.newRS != nil {
		rsCopy := copyObj(ds.newRS.o)
		annChanged := ds.setNewRSAnnotations(rsCopy, newRevision, true)
		minReady := get(ds.d, "spec", "minReadySeconds")
		minReadyChanged := !jsonEqual(get(rsCopy, "spec", "minReadySeconds"), minReady)
		if annChanged || minReadyChanged {
			it, err := s.store.Update("replicasets", keyOf(namespace(rsCopy), name(rsCopy)), func(o Obj) error {
				o["metadata"].(Obj)["annotations"] = rsCopy["metadata"].(Obj)["annotations"]
				if minReady != nil {
					o["spec"].(Obj)["minReadySeconds"] = minReady
				} else {
					delete(o["spec"].(Obj), "minReadySeconds")
				}
				return nil
			})
			if err == nil {
				ds.newRS.o = it.Obj
			}
		}
		rev := getStr(ds.newRS.o, "metadata", "annotations", annRevision)
		needs := getStr(ds.d, "metadata", "annotations", annRevision) != rev
		status := copyObj(getMap(ds.d, "status"))
		if status == nil {
			status = Obj{}
		}
		if hasDeadline && findCondition(ds.d, "Progressing") == nil {
			setCondition(status, newDeploymentCondition("Progressing", "True", "FoundNewReplicaSet",
				fmt.Sprintf("Found new replica set %q", name(ds.newRS.o)), now))
			needs = true
		}
		if needs {
			ds.writeStatus(status, rev)
		}
		return
	}
	if !create {
		return
	}
	tmpl := copyObj(getMap(ds.d, "spec", "template"))
	collisions := getInt(ds.d, 0, "status", "collisionCount")
	hash := templateHash(tmpl, collisions)
	ensure(tmpl, "metadata", "labels")[labelTemplateHash] = hash
	sel := copyObj(getMap(ds.d, "spec", "selector"))
	ensure(sel, "matchLabels")[labelTemplateHash] = hash
	rsName := name(ds.d) + "-" + hash
	rs := Obj{"kind": "ReplicaSet", "apiVersion": "apps/v1",
		"metadata": Obj{"name": rsName, "namespace": namespace(ds.d),
			"labels":          copyObj(getMap(tmpl, "metadata", "labels")),
			"ownerReferences": []interface{}{ownerRefTo(ds.d)}},
		"spec": Obj{"replicas": 0, "selector": sel, "template": tmpl}}
	if mr := get(ds.d, "spec", "minReadySeconds"); mr != nil {
		rs["spec"].(Obj)["minReadySeconds"] = mr
	}
	probe := &rsRef{o: rs}
	all := append(append([]*rsRef{}, ds.oldRSs...), probe)
	newCount := ds.newRSNewReplicas(all, probe)
	rs["spec"].(Obj)["replicas"] = newCount
	ds.setNewRSAnnotations(rs, newRevision, false)
	rsRes := findResource("apps", "v1", "replicasets")
	it, aerr := s.create(rsRes, namespace(ds.d), normalize(rs).(Obj), "kube-controller-manager", false)
	if aerr != nil {
		if aerr.Code == 409 {
			// Hash collision with a ReplicaSet of another template.
			existing := s.store.Get("replicasets", keyOf(namespace(ds.d), rsName))
			if existing != nil && string(mustJSON(templateWithoutHash(getMap(existing.Obj, "spec", "template")))) != string(mustJSON(templateWithoutHash(tmpl))) {
				status := copyObj(getMap(ds.d, "status"))
				if status == nil {
					status = Obj{}
				}
				status["collisionCount"] = collisions + 1
				ds.writeStatus(status, "")
			}
		}
		return
	}
	ds.newRS = &rsRef{o: it.Obj}
	if newCount > 0 {
		s.rec.Legacy(ds.d, "", "Normal", "ScalingReplicaSet", fmt.Sprintf("Scaled up replica set %s to %d", rsName, newCount), "deployment-controller", "")
	}
	status := copyObj(getMap(ds.d, "status"))
	if status == nil {
		status = Obj{}
	}
	if hasDeadline {
		setCondition(status, newDeploymentCondition("Progressing", "True", "NewReplicaSetCreated",
			fmt.Sprintf("Created new replica set %q", rsName), now))
	}
	ds.writeStatus(status, strconv.FormatInt(newRevision, 10))
}

func (ds *depSync) newRSNewReplicas(all []*rsRef, newRS *rsRef) int64 {
	if !isRolling(ds.d) {
		return replicas(ds.d)
	}
	current := sumReplicas(all)
	maxTotal := replicas(ds.d) + maxSurge(ds.d)
	if current >= maxTotal {
		return newRS.replicas()
	}
	up := maxTotal - current
	if rem := replicas(ds.d) - newRS.replicas(); rem < up {
		up = rem
	}
	return newRS.replicas() + up
}

// scaleRS sets a ReplicaSet's size and the desired/max annotations.
func (ds *depSync) scaleRS(r *rsRef, size int64) bool {
	s := ds.c.sim
	desired := strconv.FormatInt(replicas(ds.d), 10)
	maxR := strconv.FormatInt(replicas(ds.d)+maxSurge(ds.d), 10)
	old := r.replicas()
	ann := getMap(r.o, "metadata", "annotations")
	if old == size && getStr(ann, annDesiredReplicas) == desired && getStr(ann, annMaxReplicas) == maxR {
		return false
	}
	it, err := s.store.Update("replicasets", keyOf(namespace(r.o), name(r.o)), func(o Obj) error {
		o["spec"].(Obj)["replicas"] = size
		a := ensure(o, "metadata", "annotations")
		a[annDesiredReplicas] = desired
		a[annMaxReplicas] = maxR
		return nil
	})
	if err != nil {
		return false
	}
	r.o = it.Obj
	if old != size {
		dir := "up"
		if size < old {
			dir = "down"
		}
		s.rec.Legacy(ds.d, "", "Normal", "ScalingReplicaSet", fmt.Sprintf("Scaled %s replica set %s from %d to %d", dir, name(r.o), old, size), "deployment-controller", "")
		return true
	}
	return false
}

func (ds *depSync) rolloutRolling() {
	ds.getNewReplicaSet(true)
	if ds.newRS == nil {
		ds.syncRolloutStatus()
		return
	}
	if ds.reconcileNewRS() {
		ds.syncRolloutStatus()
		return
	}
	if ds.reconcileOldRSs() {
		ds.syncRolloutStatus()
		return
	}
	ds.cleanupIfComplete()
	ds.syncRolloutStatus()
}

func (ds *depSync) reconcileNewRS() bool {
	want := replicas(ds.d)
	n := ds.newRS.replicas()
	if n == want {
		return false
	}
	if n > want {
		return ds.scaleRS(ds.newRS, want)
	}
	return ds.scaleRS(ds.newRS, ds.newRSNewReplicas(ds.allRSs(), ds.newRS))
}

func (ds *depSync) reconcileOldRSs() bool {
	if sumReplicas(ds.oldRSs) == 0 {
		return false
	}
	all := ds.allRSs()
	allPods := sumReplicas(all)
	minAvailable := replicas(ds.d) - maxUnavailable(ds.d)
	newUnavailable := ds.newRS.replicas() - ds.newRS.available()
	maxScaledDown := allPods - minAvailable - newUnavailable
	if maxScaledDown <= 0 {
		return false
	}
	old := append([]*rsRef{}, ds.oldRSs...)
	sortOlderFirst(old)
	// Clean up unhealthy replicas first.
	var cleaned int64
	for _, r := range old {
		if cleaned >= maxScaledDown {
			break
		}
		if r.replicas() == 0 || r.replicas() == r.available() {
			continue
		}
		down := r.replicas() - r.available()
		if rem := maxScaledDown - cleaned; rem < down {
			down = rem
		}
		ds.scaleRS(r, r.replicas()-down)
		cleaned += down
	}
	// Then scale down healthy old replicas as availability allows.
	avail := sumStatus(ds.allRSs(), "availableReplicas")
	var scaled int64
	if avail > minAvailable {
		total := avail - minAvailable
		for _, r := range old {
			if scaled >= total {
				break
			}
			if r.replicas() == 0 {
				continue
			}
			down := r.replicas()
			if rem := total - scaled; rem < down {
				down = rem
			}
			ds.scaleRS(r, r.replicas()-down)
			scaled += down
		}
	}
	return cleaned+scaled > 0
}

func (ds *depSync) rolloutRecreate() {
	ds.getNewReplicaSet(false)
	scaledDown := false
	for _, r := range activeRSs(ds.oldRSs) {
		if ds.scaleRS(r, 0) {
			scaledDown = true
		}
	}
	if scaledDown {
		ds.syncRolloutStatus()
		return
	}
	// Wait until no pod of an old ReplicaSet runs (terminal pods whose
	// objects still exist do not count, as in the real controller).
	if sumStatus(ds.oldRSs, "replicas") > 0 {
		ds.syncRolloutStatus()
		return
	}
	owned, _ := ds.c.podsByController()
	for _, r := range ds.oldRSs {
		for _, p := range owned[uid(r.o)] {
			if ph := getStr(p, "status", "phase"); ph != "Succeeded" && ph != "Failed" {
				ds.syncRolloutStatus()
				return
			}
		}
	}
	if ds.newRS == nil {
		ds.getNewReplicaSet(true)
	}
	if ds.newRS != nil {
		ds.scaleRS(ds.newRS, replicas(ds.d))
	}
	ds.cleanupIfComplete()
	ds.syncRolloutStatus()
}

// sync is the scaling path (paused deployments and scaling events).
func (ds *depSync) sync(paused bool) {
	ds.getNewReplicaSet(false)
	ds.scale()
	if paused {
		ds.cleanup()
	}
	status := ds.calculateStatus()
	if !jsonEqual(normalize(status), ds.d["status"]) {
		ds.writeStatus(status, "")
	}
}

func (ds *depSync) scale() {
	want := replicas(ds.d)
	// One active (or the latest) ReplicaSet takes the whole size.
	if ds.newRS != nil || len(ds.oldRSs) > 0 {
		old := append([]*rsRef{}, ds.oldRSs...)
		sortOlderFirst(old)
		active := activeRSs(ds.allRSs())
		var target *rsRef
		switch len(active) {
		case 0:
			if ds.newRS != nil {
				target = ds.newRS
			} else if len(old) > 0 {
				target = old[len(old)-1]
			}
		case 1:
			target = active[0]
		}
		if target != nil {
			ds.scaleRS(target, want)
			return
		}
	}
	// Saturated new ReplicaSet: old ones go to zero.
	if ds.newRS != nil && ds.newRS.replicas() == want && ds.newRS.available() == want &&
		getStr(ds.newRS.o, "metadata", "annotations", annDesiredReplicas) == strconv.FormatInt(want, 10) {
		for _, r := range activeRSs(ds.oldRSs) {
			ds.scaleRS(r, 0)
		}
		return
	}
	if !isRolling(ds.d) {
		return
	}
	all := activeRSs(ds.allRSs())
	allowed := int64(0)
	if want > 0 {
		allowed = want + maxSurge(ds.d)
	}
	toAdd := allowed - sumReplicas(all)
	sort.SliceStable(all, func(i, j int) bool {
		if all[i].replicas() != all[j].replicas() {
			return all[i].replicas() > all[j].replicas()
		}
		if toAdd > 0 {
			return all[i].created().After(all[j].created())
		}
		return all[i].created().Before(all[j].created())
	})
	sizes := make([]int64, len(all))
	var added int64
	for i, r := range all {
		sizes[i] = r.replicas()
		if toAdd == 0 || toAdd == added || r.replicas() == 0 {
			continue
		}
		var frac int64
		if want == 0 {
			frac = -r.replicas()
		} else {
			depReplicas := want + maxSurge(ds.d)
			annotated, err := strconv.ParseInt(getStr(r.o, "metadata", "annotations", annMaxReplicas), 10, 64)
			if err != nil || annotated == 0 {
				annotated = getInt(ds.d, 0, "status", "replicas")
			}
			if annotated > 0 {
				frac = int64(math.Round(float64(r.replicas()*depReplicas)/float64(annotated))) - r.replicas()
			}
		}
		allowedAdd := toAdd - added
		if toAdd > 0 {
			if frac > allowedAdd {
				frac = allowedAdd
			}
		} else if frac < allowedAdd {
			frac = allowedAdd
		}
		sizes[i] += frac
		added += frac
	}
	if toAdd != added && len(all) > 0 {
		sizes[0] += toAdd - added
		if sizes[0] < 0 {
			sizes[0] = 0
		}
	}
	for i, r := range all {
		ds.scaleRS(r, sizes[i])
	}
}

func (ds *depSync) calculateStatus() Obj {
	all := ds.allRSs()
	avail := sumStatus(all, "availableReplicas")
	total := sumReplicas(all)
	unavail := total - avail
	if unavail < 0 {
		unavail = 0
	}
	status := Obj{"observedGeneration": getInt(ds.d, 1, "metadata", "generation")}
	put := func(k string, v int64) {
		if v != 0 {
			status[k] = v
		}
	}
	put("replicas", sumStatus(all, "replicas"))
	if ds.newRS != nil {
		put("updatedReplicas", getInt(ds.newRS.o, 0, "status", "replicas"))
	}
	put("readyReplicas", sumStatus(all, "readyReplicas"))
	put("availableReplicas", avail)
	put("unavailableReplicas", unavail)
	if cc := get(ds.d, "status", "collisionCount"); cc != nil {
		status["collisionCount"] = cc
	}
	if cs := getSlice(ds.d, "status", "conditions"); cs != nil {
		status["conditions"] = deepCopy(cs)
	}
	now := nowTime()
	if avail >= replicas(ds.d)-maxUnavailable(ds.d) {
		setCondition(status, newDeploymentCondition("Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.", now))
	} else {
		setCondition(status, newDeploymentCondition("Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.", now))
	}
	return status
}

func deploymentComplete(d Obj, st Obj) bool {
	n := replicas(d)
	return getInt(st, 0, "updatedReplicas") == n && getInt(st, 0, "replicas") == n &&
		getInt(st, 0, "availableReplicas") == n && getInt(st, 0, "observedGeneration") >= getInt(d, 1, "metadata", "generation")
}

func deploymentProgressing(d Obj, st Obj) bool {
	old := getMap(d, "status")
	oldOld := getInt(old, 0, "replicas") - getInt(old, 0, "updatedReplicas")
	newOld := getInt(st, 0, "replicas") - getInt(st, 0, "updatedReplicas")
	return getInt(st, 0, "updatedReplicas") > getInt(old, 0, "updatedReplicas") || newOld < oldOld ||
		getInt(st, 0, "readyReplicas") > getInt(old, 0, "readyReplicas") ||
		getInt(st, 0, "availableReplicas") > getInt(old, 0, "availableReplicas")
}

func (ds *depSync) syncRolloutStatus() {
	st := ds.calculateStatus()
	deadline := get(ds.d, "spec", "progressDeadlineSeconds")
	cond := findCondition(Obj{"status": st}, "Progressing")
	if deadline == nil && cond == nil {
		ds.finishStatus(st)
		return
	}
	complete := getInt(st, 0, "replicas") == getInt(st, 0, "updatedReplicas") && cond != nil && getStr(cond, "reason") == "NewReplicaSetAvailable"
	now := nowTime()
	if deadline != nil && !complete {
		rsName := ""
		if ds.newRS != nil {
			rsName = name(ds.newRS.o)
		}
		subject := func(verb string) string {
			if rsName == "" {
				return fmt.Sprintf("Deployment %q %s", name(ds.d), verb)
			}
			return fmt.Sprintf("ReplicaSet %q %s", rsName, verb)
		}
		switch {
		case deploymentComplete(ds.d, st):
			setCondition(st, newDeploymentCondition("Progressing", "True", "NewReplicaSetAvailable", subject("has successfully progressed."), now))
		case deploymentProgressing(ds.d, st):
			c := newDeploymentCondition("Progressing", "True", "ReplicaSetUpdated", subject("is progressing."), now)
			if cond != nil && getStr(cond, "status") == "True" {
				c["lastTransitionTime"] = cond["lastTransitionTime"]
			}
			removeCondition(st, "Progressing")
			setCondition(st, c)
		case ds.timedOut(cond, deadline, now):
			setCondition(st, newDeploymentCondition("Progressing", "False", "ProgressDeadlineExceeded", subject("has timed out progressing."), now))
		}
	}
	ds.finishStatus(st)
}

func (ds *depSync) timedOut(cond Obj, deadline interface{}, now time.Time) bool {
	if cond == nil {
		return false
	}
	switch getStr(cond, "reason") {
	case "NewReplicaSetAvailable":
		return false
	case "ProgressDeadlineExceeded":
		return true
	}
	secs, _ := toInt(deadline)
	from, ok := parseTime(getStr(cond, "lastUpdateTime"))
	if !ok {
		return false
	}
	return from.Add(time.Duration(secs) * time.Second).Before(now)
}

func (ds *depSync) finishStatus(st Obj) {
	if jsonEqual(normalize(st), ds.d["status"]) {
		return
	}
	ds.writeStatus(st, "")
}

func (ds *depSync) cleanupIfComplete() {
	if deploymentComplete(ds.d, getMap(ds.d, "status")) {
		ds.cleanup()
	}
}

// cleanup deletes old ReplicaSets beyond revisionHistoryLimit.
func (ds *depSync) cleanup() {
	limitV := get(ds.d, "spec", "revisionHistoryLimit")
	if limitV == nil {
		return
	}
	limit, _ := toInt(limitV)
	var cleanable []*rsRef
	for _, r := range ds.oldRSs {
		if !isDeleting(r.o) {
			cleanable = append(cleanable, r)
		}
	}
	diff := int64(len(cleanable)) - limit
	if diff <= 0 {
		return
	}
	sort.SliceStable(cleanable, func(i, j int) bool { return cleanable[i].revision() < cleanable[j].revision() })
	for _, r := range cleanable[:diff] {
		if getInt(r.o, 0, "status", "replicas") != 0 || r.replicas() != 0 ||
			getInt(r.o, 1, "metadata", "generation") > getInt(r.o, 0, "status", "observedGeneration") {
			continue
		}
		if it := ds.c.sim.store.Get("replicasets", keyOf(namespace(r.o), name(r.o))); it != nil {
			rsRes := findResource("apps", "v1", "replicasets")
			ds.c.sim.deleteObject(rsRes, it, &deleteOptions{})
		}
	}
}

// ---- garbage collection and namespaces ----

func (c *Controllers) collectDependentsAsync(ownerUID, policy string) {
	go func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.collectDependents(ownerUID, policy)
	}()
}

// collectDependents deletes (or orphans) objects owned by ownerUID.
func (c *Controllers) collectDependents(ownerUID, policy string) {
	s := c.sim
	for _, storage := range []string{"replicasets", "pods"} {
		for _, it := range s.store.List(storage, "") {
			owned := false
			for _, r := range getSlice(it.Obj, "metadata", "ownerReferences") {
				if getStr(r.(Obj), "uid") == ownerUID {
					owned = true
				}
			}
			if !owned {
				continue
			}
			if policy == "Orphan" {
				s.store.Update(storage, it.Key, func(o Obj) error {
					var keep []interface{}
					for _, r := range getSlice(o, "metadata", "ownerReferences") {
						if getStr(r.(Obj), "uid") != ownerUID {
							keep = append(keep, r)
						}
					}
					if keep == nil {
						delete(o["metadata"].(Obj), "ownerReferences")
					} else {
						o["metadata"].(Obj)["ownerReferences"] = keep
					}
					return nil
				})
				continue
			}
			if storage == "pods" {
				s.deletePod(it, nil)
			} else if _, err := s.store.Delete(storage, it.Key); err == nil {
				c.collectDependents(uid(it.Obj), policy)
			}
		}
	}
}

// collectOrphans removes ReplicaSets and pods whose controller
// (Deployment/ReplicaSet) no longer exists.
func (c *Controllers) collectOrphans(ownedPods map[string][]Obj) {
	s := c.sim
	exists := map[string]bool{}
	for _, st := range []string{"deployments", "replicasets"} {
		for _, it := range s.store.List(st, "") {
			exists[uid(it.Obj)] = true
		}
	}
	var pods []*Item
	for owner, ps := range ownedPods {
		if exists[owner] {
			continue
		}
		for _, p := range ps {
			if it := s.store.Get("pods", keyOf(namespace(p), name(p))); it != nil {
				pods = append(pods, it)
			}
		}
	}
	for _, st := range []string{"replicasets", "pods"} {
		items := pods
		if st == "replicasets" {
			items = s.store.List(st, "")
		}
		for _, it := range items {
			ref := controllerRef(it.Obj)
			if ref == nil || exists[getStr(ref, "uid")] {
				continue
			}
			k := getStr(ref, "kind")
			if k != "Deployment" && k != "ReplicaSet" {
				continue
			}
			if st == "pods" {
				if !isDeleting(it.Obj) {
					s.deletePod(it, nil)
				}
			} else {
				s.store.Delete(st, it.Key)
			}
		}
	}
}

// deleteNamespace marks the namespace Terminating, deletes its content and
// then the namespace.
func (c *Controllers) deleteNamespace(ns string) *Item {
	s := c.sim
	now := nowTime()
	it, err := s.store.Update("namespaces", ns, func(o Obj) error {
		if isDeleting(o) {
			return errNoChange
		}
		ensure(o, "metadata")["deletionTimestamp"] = rfc3339(now)
		ensure(o, "status")["phase"] = "Terminating"
		return nil
	})
	if err != nil {
		return s.store.Get("namespaces", ns)
	}
	go func() {
		deadline := time.Now().Add(2 * time.Minute)
		for time.Now().Before(deadline) {
			left := 0
			for _, st := range []string{"deployments", "replicasets", "pods", "events"} {
				for _, x := range s.store.List(st, ns) {
					left++
					if st == "pods" {
						if !isDeleting(x.Obj) {
							s.deletePod(x, nil)
						}
					} else {
						s.store.Delete(st, x.Key)
					}
				}
			}
			if left == 0 {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		s.store.Delete("namespaces", ns)
	}()
	return it
}
