package main

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// watchWriter writes {"type":…,"object":…} lines.
type watchWriter struct {
	w     *bufio.Writer
	fl    http.Flusher
	err   error
	dirty bool
}

func (ww *watchWriter) event(typ string, raw []byte) {
	if ww.err != nil {
		return
	}
	ww.w.WriteString(`{"type":"`)
	ww.w.WriteString(typ)
	ww.w.WriteString(`","object":`)
	ww.w.Write(raw)
	_, ww.err = ww.w.WriteString("}\n")
	ww.dirty = true
}

func (ww *watchWriter) flush() {
	if !ww.dirty || ww.err != nil {
		return
	}
	if ww.err = ww.w.Flush(); ww.err == nil && ww.fl != nil {
		ww.fl.Flush()
	}
	ww.dirty = false
}

// withRV re-encodes an object with another resourceVersion.
func withRV(o Obj, rv uint64) []byte {
	c := copyObj(o)
	ensure(c, "metadata")["resourceVersion"] = strconv.FormatUint(rv, 10)
	raw, _ := encodeObject(c)
	return raw
}

func (s *Sim) serveWatch(w http.ResponseWriter, r *http.Request, ri *reqInfo, q map[string][]string) {
	ls, fs, aerr := parseSelectors(ri, q)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	qget := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	timeout := time.Duration(s.cfg.WatchTimeoutS) * time.Second
	if t := qget("timeoutSeconds"); t != "" {
		if n, err := strconv.Atoi(t); err == nil && n > 0 {
			timeout = time.Duration(n) * time.Second
		}
	}
	bookmarks := boolParam(qget("allowWatchBookmarks"))
	sendInitial := boolParam(qget("sendInitialEvents"))
	rvParam := qget("resourceVersion")
	var fromRV uint64
	if rvParam != "" && rvParam != "0" {
		n, err := strconv.ParseUint(rvParam, 10, 64)
		if err != nil {
			writeStatus(w, errBadRequest("invalid resource version: "+rvParam))
			return
		}
		fromRV = n
	}
	table := accepts(r) == acceptTable
	includeObject := qget("includeObject")

	match := func(o Obj) bool {
		if o == nil {
			return false
		}
		if ri.ns != "" && namespace(o) != ri.ns {
			return false
		}
		return ls.Matches(labelsOf(o)) && fs.Matches(ri.res, o)
	}
	encode := func(it *Item, o Obj, rv uint64) []byte {
		vo, raw, _ := view(ri.res, it)
		if o != nil {
			// An object that stopped matching: its previous content at rv.
			if ri.res.Group == "events.k8s.io" {
				o = eventToEventsV1(o)
			}
			vo, raw = o, withRV(o, rv)
		}
		if table {
			c := copyObj(vo)
			ensure(c, "metadata")["resourceVersion"] = strconv.FormatUint(rv, 10)
			raw, _ = encodeObject(s.table(ri.res, []Obj{c}, "", "", includeObject))
		}
		return raw
	}

	st := s.store
	st.mu.RLock()
	var initial []*Item
	tooOld := false
	startRV := st.rv
	if fromRV == 0 || sendInitial {
		initial = st.listLocked(ri.res.Storage, ri.ns)
	} else if fromRV < st.oldestResumable() {
		tooOld = true
	} else {
		startRV = fromRV
	}
	dropGen, expireGen := st.dropGen, st.expireGen
	st.mu.RUnlock()

	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-cache, private")
	w.WriteHeader(200)
	fl, _ := w.(http.Flusher)
	ww := &watchWriter{w: bufio.NewWriterSize(w, 32<<10), fl: fl}
	defer ww.flush()
	if fl != nil {
		fl.Flush()
	}
	if tooOld {
		raw, _ := encodeObject(errTooOld(fromRV, startRV).object())
		ww.event("ERROR", raw)
		return
	}
	for _, it := range initial {
		if match(it.Obj) {
			ww.event("ADDED", encode(it, nil, it.RV))
		}
	}
	bookmark := func(rv uint64, initialEnd bool) {
		md := Obj{"resourceVersion": strconv.FormatUint(rv, 10)}
		if initialEnd {
			md["annotations"] = Obj{"k8s.io/initial-events-end": "true"}
		}
		b, _ := json.Marshal(Obj{"kind": ri.res.Kind, "apiVersion": ri.res.APIVersion(), "metadata": md})
		ww.event("BOOKMARK", b)
	}
	if sendInitial && bookmarks {
		bookmark(startRV, true)
	}
	ww.flush()

	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	bmEvery := time.Duration(s.cfg.BookmarkMS) * time.Millisecond
	if bmEvery <= 0 {
		bmEvery = time.Minute
	}
	bmTicker := time.NewTicker(bmEvery)
	defer bmTicker.Stop()
	prefix := ""
	if ri.ns != "" {
		prefix = ri.ns + "/"
	}
	pos := startRV
	ctx := r.Context()
	for ww.err == nil {
		st.mu.RLock()
		cs, old := st.changesAfter(pos)
		notify, faults := st.notify, st.faultCh
		dg, eg, cur := st.dropGen, st.expireGen, st.rv
		st.mu.RUnlock()
		if eg != expireGen || old {
			raw, _ := encodeObject(errTooOld(pos, cur).object())
			ww.event("ERROR", raw)
			return
		}
		if dg != dropGen {
			return
		}
		for _, c := range cs {
			pos = c.RV
			if c.Storage != ri.res.Storage || !strings.HasPrefix(c.Key, prefix) {
				continue
			}
			switch c.Type {
			case "ADDED":
				if match(c.New.Obj) {
					ww.event("ADDED", encode(c.New, nil, c.RV))
				}
			case "MODIFIED":
				om, nm := match(c.Old.Obj), match(c.New.Obj)
				switch {
				case om && nm:
					ww.event("MODIFIED", encode(c.New, nil, c.RV))
				case nm:
					ww.event("ADDED", encode(c.New, nil, c.RV))
				case om:
					ww.event("DELETED", encode(c.New, c.Old.Obj, c.RV))
				}
			case "DELETED":
				if match(c.New.Obj) {
					ww.event("DELETED", encode(c.New, nil, c.RV))
				}
			}
		}
		if cur > pos {
			pos = cur
		}
		ww.flush()
		select {
		case <-notify:
		case <-faults:
		case <-bmTicker.C:
			if bookmarks {
				bookmark(pos, false)
				ww.flush()
			}
		case <-deadline.C:
			return
		case <-ctx.Done():
			return
		}
	}
}
