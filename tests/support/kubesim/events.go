package main

import (
	"fmt"
	"sync"
	"time"
)

// Events are stored in the core/v1 shape and served in the events.k8s.io/v1
// shape through eventToEventsV1 (the real server converts the same way).

func eventToEventsV1(c Obj) Obj {
	md := copyObj(getMap(c, "metadata"))
	out := Obj{"kind": "Event", "apiVersion": "events.k8s.io/v1", "metadata": md}
	out["eventTime"] = c["eventTime"]
	if out["eventTime"] == nil {
		out["eventTime"] = nil
	}
	copyIf := func(from, to string) {
		if v, ok := c[from]; ok && v != nil && v != "" {
			out[to] = deepCopy(v)
		}
	}
	copyIf("series", "series")
	copyIf("reportingComponent", "reportingController")
	copyIf("reportingInstance", "reportingInstance")
	copyIf("action", "action")
	copyIf("reason", "reason")
	copyIf("involvedObject", "regarding")
	copyIf("related", "related")
	copyIf("message", "note")
	copyIf("type", "type")
	if src, ok := c["source"]; ok {
		out["deprecatedSource"] = deepCopy(src)
	} else {
		out["deprecatedSource"] = Obj{}
	}
	out["deprecatedFirstTimestamp"] = c["firstTimestamp"]
	out["deprecatedLastTimestamp"] = c["lastTimestamp"]
	if n, ok := toInt(c["count"]); ok && n != 0 {
		out["deprecatedCount"] = c["count"]
	}
	return out
}

// eventsV1ToCore converts a created events.k8s.io/v1 Event to the stored shape.
func eventsV1ToCore(e Obj) Obj {
	out := Obj{"kind": "Event", "apiVersion": "v1", "metadata": copyObj(getMap(e, "metadata"))}
	mv := func(from, to string) {
		if v, ok := e[from]; ok {
			out[to] = deepCopy(v)
		}
	}
	mv("eventTime", "eventTime")
	mv("series", "series")
	mv("reportingController", "reportingComponent")
	mv("reportingInstance", "reportingInstance")
	mv("action", "action")
	mv("reason", "reason")
	mv("regarding", "involvedObject")
	mv("related", "related")
	mv("note", "message")
	mv("type", "type")
	mv("deprecatedSource", "source")
	mv("deprecatedFirstTimestamp", "firstTimestamp")
	mv("deprecatedLastTimestamp", "lastTimestamp")
	mv("deprecatedCount", "count")
	return out
}

// coreEventDefaults fills the fields a core Event always carries.
func coreEventDefaults(e Obj) {
	for _, k := range []string{"eventTime", "firstTimestamp", "lastTimestamp"} {
		if _, ok := e[k]; !ok {
			e[k] = nil
		}
	}
	if _, ok := e["source"]; !ok {
		e["source"] = Obj{}
	}
	for _, k := range []string{"reportingComponent", "reportingInstance"} {
		if _, ok := e[k]; !ok {
			e[k] = ""
		}
	}
	if _, ok := e["involvedObject"]; !ok {
		e["involvedObject"] = Obj{}
	}
}

// Recorder writes events like client-go's legacy recorder (kubelet,
// controllers) or the events.k8s.io recorder (scheduler).
type Recorder struct {
	sim *Sim
	mu  sync.Mutex
	agg map[string]string // aggregation key → event key
}

func objectRef(o Obj, fieldPath string) Obj {
	ref := Obj{
		"kind":            o["kind"],
		"namespace":       namespace(o),
		"name":            name(o),
		"uid":             uid(o),
		"apiVersion":      o["apiVersion"],
		"resourceVersion": getStr(o, "metadata", "resourceVersion"),
	}
	if namespace(o) == "" {
		delete(ref, "namespace")
	}
	if fieldPath != "" {
		ref["fieldPath"] = fieldPath
	}
	return ref
}

func eventNamespace(o Obj) string {
	if ns := namespace(o); ns != "" {
		return ns
	}
	return "default"
}

// Legacy records a core/v1-style event (firstTimestamp/lastTimestamp/count,
// eventTime null), aggregating repeats into count.
func (r *Recorder) Legacy(o Obj, fieldPath, typ, reason, msg, component, host string) {
	now := nowTime()
	ns := eventNamespace(o)
	aggKey := fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s", uid(o), fieldPath, typ, reason, msg, component, host)
	r.mu.Lock()
	existing := r.agg[aggKey]
	r.mu.Unlock()
	st := r.sim.store
	if existing != "" {
		_, err := st.Update("events", existing, func(e Obj) error {
			e["count"] = getInt(e, 1, "count") + 1
			e["lastTimestamp"] = rfc3339(now)
			return nil
		})
		if err == nil {
			return
		}
	}
	evName := fmt.Sprintf("%s.%x", name(o), now.UnixNano())
	src := Obj{"component": component}
	if host != "" {
		src["host"] = host
	}
	e := Obj{
		"kind": "Event", "apiVersion": "v1",
		"metadata": Obj{"name": evName, "namespace": ns, "uid": newUID(),
			"creationTimestamp": rfc3339(now)},
		"involvedObject":     objectRef(o, fieldPath),
		"reason":             reason,
		"message":            msg,
		"source":             src,
		"firstTimestamp":     rfc3339(now),
		"lastTimestamp":      rfc3339(now),
		"count":              1,
		"type":               typ,
		"eventTime":          nil,
		"reportingComponent": component,
		"reportingInstance":  host,
	}
	it, err := st.Create("events", normalize(e).(Obj))
	if err == nil {
		r.mu.Lock()
		r.agg[aggKey] = it.Key
		r.mu.Unlock()
		r.sim.expireEventLater(it.Key)
	}
}

// New records an events.k8s.io/v1-style event (eventTime in microseconds,
// reportingController, action; no firstTimestamp/count), as kube-scheduler
// does.
func (r *Recorder) New(o Obj, typ, reason, action, msg, controller, instance string) {
	now := nowTime()
	evName := fmt.Sprintf("%s.%x", name(o), now.UnixNano())
	e := Obj{
		"kind": "Event", "apiVersion": "v1",
		"metadata": Obj{"name": evName, "namespace": eventNamespace(o), "uid": newUID(),
			"creationTimestamp": rfc3339(now)},
		"involvedObject":     objectRef(o, ""),
		"reason":             reason,
		"message":            msg,
		"source":             Obj{},
		"firstTimestamp":     nil,
		"lastTimestamp":      nil,
		"type":               typ,
		"eventTime":          microTime(now),
		"action":             action,
		"reportingComponent": controller,
		"reportingInstance":  instance,
	}
	it, err := r.sim.store.Create("events", normalize(e).(Obj))
	if err == nil {
		r.sim.expireEventLater(it.Key)
	}
}

// expireEventLater deletes an event after the event TTL (1 h by default,
// like the API server's --event-ttl).
func (s *Sim) expireEventLater(key string) {
	ttl := time.Duration(s.cfg.EventTTLSeconds) * time.Second
	if ttl <= 0 {
		return
	}
	time.AfterFunc(ttl, func() { s.store.Delete("events", key) })
}
