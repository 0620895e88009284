package main

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// reqInfo is a parsed resource request path.
type reqInfo struct {
	res       *Resource
	ns        string
	name      string
	sub       string
	proxyPath string // path after .../proxy (for pods/proxy, nodes/proxy)
	watch     bool
}

func (ri *reqInfo) key() string {
	if ri.res.Namespaced {
		return keyOf(ri.ns, ri.name)
	}
	return ri.name
}

func parseResourcePath(path string) (*reqInfo, *apiError) {
	notFound := statusErr(404, "NotFound", "the server could not find the requested resource", Obj{})
	segs := strings.Split(strings.TrimPrefix(path, "/"), "/")
	var group, version string
	var rest []string
	if segs[0] == "api" {
		if len(segs) < 3 {
			return nil, notFound
		}
		version, rest = segs[1], segs[2:]
	} else {
		if len(segs) < 4 {
			return nil, notFound
		}
		group, version, rest = segs[1], segs[2], segs[3:]
	}
	ri := &reqInfo{}
	if rest[0] == "watch" {
		ri.watch = true
		rest = rest[1:]
		if len(rest) == 0 {
			return nil, notFound
		}
	}
	if rest[0] == "namespaces" && len(rest) >= 3 {
		if r := findResource(group, version, rest[2]); r != nil && r.Namespaced {
			ri.ns = rest[1]
			rest = rest[2:]
		}
	}
	ri.res = findResource(group, version, rest[0])
	if ri.res == nil || rest[0] == "" {
		return nil, notFound
	}
	if len(rest) > 1 {
		ri.name = rest[1]
	}
	if len(rest) > 2 {
		ri.sub = rest[2]
		if _, ok := ri.res.Subresources[ri.sub]; !ok {
			return nil, notFound
		}
		if ri.sub == "proxy" {
			// Everything after ".../proxy", slashes preserved.
			marker := "/" + rest[1] + "/proxy"
			if i := strings.Index(path, marker); i >= 0 {
				ri.proxyPath = path[i+len(marker):]
			}
		} else if len(rest) > 3 {
			return nil, notFound
		}
	}
	if ri.res.Namespaced && ri.ns == "" && ri.name != "" {
		return nil, notFound
	}
	return ri, nil
}

func (s *Sim) serveResource(w http.ResponseWriter, r *http.Request) {
	ri, aerr := parseResourcePath(r.URL.Path)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	q := r.URL.Query()
	if boolParam(q.Get("watch")) {
		ri.watch = true
	}
	switch ri.sub {
	case "proxy":
		if ri.res.Name == "pods" {
			s.servePodProxy(w, r, ri)
		} else {
			s.serveNodeProxy(w, r, ri)
		}
		return
	case "log":
		if r.Method != http.MethodGet {
			writeStatus(w, errMethodNotSupported(ri.res, r.Method))
			return
		}
		s.servePodLog(w, r, ri)
		return
	case "scale":
		s.serveScale(w, r, ri)
		return
	}
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		if ri.watch {
			if ri.name != "" {
				q.Set("fieldSelector", joinSelector(q.Get("fieldSelector"), "metadata.name="+ri.name))
			}
			s.serveWatch(w, r, ri, q)
		} else if ri.name == "" {
			s.serveList(w, r, ri, q)
		} else {
			s.serveGet(w, r, ri)
		}
	case http.MethodPost:
		if ri.name != "" {
			writeStatus(w, errMethodNotSupported(ri.res, "create"))
			return
		}
		s.serveCreate(w, r, ri)
	case http.MethodPut:
		if ri.name == "" {
			writeStatus(w, errMethodNotSupported(ri.res, "update"))
			return
		}
		s.serveUpdate(w, r, ri, false)
	case http.MethodPatch:
		if ri.name == "" {
			writeStatus(w, errMethodNotSupported(ri.res, "patch"))
			return
		}
		s.serveUpdate(w, r, ri, true)
	case http.MethodDelete:
		if ri.name == "" {
			s.serveDeleteCollection(w, r, ri, q)
		} else {
			s.serveDelete(w, r, ri)
		}
	default:
		writeStatus(w, errMethodNotSupported(ri.res, r.Method))
	}
}

// boolParam parses a boolean query parameter like the API server: anything
// but "", "false" and "0" is true.
func boolParam(v string) bool {
	switch strings.ToLower(v) {
	case "", "false", "0":
		return false
	}
	return true
}

func joinSelector(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

// ---- views and encoding ----

// view returns the object and its encoding as seen through res.
func view(res *Resource, it *Item) (Obj, []byte, int) {
	if res.Group == "events.k8s.io" && it.Raw2 != nil {
		return it.Obj2, it.Raw2, it.Off2
	}
	return it.Obj, it.Raw, it.Off
}

func writeRaw(w http.ResponseWriter, code int, raw []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)+1))
	w.WriteHeader(code)
	w.Write(raw)
	w.Write([]byte("\n"))
}

// compressThreshold is where the API server starts gzipping responses for
// clients that accept it (never for watches).
const compressThreshold = 128 << 10

// writeRawGzip is writeRaw with the API server's response compression.
func writeRawGzip(w http.ResponseWriter, r *http.Request, code int, raw []byte) {
	if len(raw) < compressThreshold || !acceptsGzip(r) {
		writeRaw(w, code, raw)
		return
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestSpeed)
	zw.Write(raw)
	zw.Write([]byte("\n"))
	zw.Close()
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Encoding", "gzip")
	w.Header().Set("Vary", "Accept-Encoding")
	w.Header().Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(code)
	w.Write(buf.Bytes())
}

func acceptsGzip(r *http.Request) bool {
	for _, part := range strings.Split(r.Header.Get("Accept-Encoding"), ",") {
		f := strings.TrimSpace(part)
		if i := strings.Index(f, ";"); i >= 0 {
			if strings.Contains(f[i:], "q=0") && !strings.Contains(f[i:], "q=0.") {
				continue
			}
			f = f[:i]
		}
		if f == "gzip" || f == "*" {
			return true
		}
	}
	return false
}

func writeObj(w http.ResponseWriter, code int, o Obj) {
	raw, _ := encodeObject(o)
	writeRaw(w, code, raw)
}

func writeSuccess(w http.ResponseWriter, res *Resource, o Obj) {
	d := details(res, name(o))
	d["uid"] = uid(o)
	writeObj(w, 200, Obj{"kind": "Status", "apiVersion": "v1", "metadata": Obj{}, "status": "Success", "details": d})
}

type acceptKind int

const (
	acceptJSON acceptKind = iota
	acceptTable
	acceptPartial
)

func accepts(r *http.Request) acceptKind {
	a := r.Header.Get("Accept")
	for _, part := range strings.Split(a, ",") {
		p := strings.ReplaceAll(strings.TrimSpace(part), " ", "")
		if !strings.HasPrefix(p, "application/json") {
			continue
		}
		if strings.Contains(p, "as=Table") {
			return acceptTable
		}
		if strings.Contains(p, "as=PartialObjectMetadata") {
			return acceptPartial
		}
		return acceptJSON
	}
	return acceptJSON
}

func readBody(r *http.Request) (interface{}, *apiError) {
	data, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		return nil, errBadRequest(err.Error())
	}
	ct := r.Header.Get("Content-Type")
	if strings.Contains(ct, "application/vnd.kubernetes.protobuf") {
		o, err := decodeProtobufObject(data)
		if err != nil {
			return nil, statusErr(415, "UnsupportedMediaType", fmt.Sprintf("the body of the request was in an unknown format - kubesim decodes protobuf only for Namespace, Deployment and Pod (%v); accepted media types include: application/json", err), nil)
		}
		return o, nil
	}
	if strings.Contains(ct, "cbor") {
		return nil, statusErr(415, "UnsupportedMediaType", fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json, application/vnd.kubernetes.protobuf (got %q)", ct), nil)
	}
	var v interface{}
	if err := decodeJSON(data, &v); err != nil {
		return nil, errBadRequest(fmt.Sprintf("couldn't get version/kind; json parse error: %v", err))
	}
	return v, nil
}

// ---- get / list ----

func (s *Sim) serveGet(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	it := s.store.Get(ri.res.Storage, ri.key())
	if it == nil {
		writeStatus(w, errNotFound(ri.res, ri.name))
		return
	}
	o, raw, _ := view(ri.res, it)
	if ri.sub == "status" || ri.sub == "" {
		switch accepts(r) {
		case acceptTable:
			writeObj(w, 200, s.table(ri.res, []Obj{o}, strconv.FormatUint(it.RV, 10), "", r.URL.Query().Get("includeObject")))
			return
		case acceptPartial:
			writeObj(w, 200, partialObject(o))
			return
		}
	}
	writeRaw(w, 200, raw)
}

func partialObject(o Obj) Obj {
	return Obj{"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": o["metadata"]}
}

type continueToken struct {
	V     string `json:"v"`
	RV    int64  `json:"rv"`
	Start string `json:"start"`
}

func encodeContinue(rv uint64, lastKey string) string {
	b, _ := json.Marshal(continueToken{V: "meta.k8s.io/v1", RV: int64(rv), Start: lastKey + "\x00"})
	return base64.RawURLEncoding.EncodeToString(b)
}

func decodeContinue(tok string) (uint64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil {
		if b, err = base64.StdEncoding.DecodeString(tok); err != nil {
			return 0, "", fmt.Errorf("continue key is not valid: %v", err)
		}
	}
	var t continueToken
	if err := json.Unmarshal(b, &t); err != nil || t.V != "meta.k8s.io/v1" {
		return 0, "", fmt.Errorf("continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)")
	}
	if t.RV < 0 {
		t.RV = 0
	}
	return uint64(t.RV), strings.TrimSuffix(t.Start, "\x00"), nil
}

const expiredContinueMsg = "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list."

func parseSelectors(ri *reqInfo, q map[string][]string) (*LabelSelector, *FieldSelector, *apiError) {
	get := func(k string) string {
		if v := q[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	ls, err := parseLabelSelector(get("labelSelector"))
	if err != nil {
		return nil, nil, errBadRequest(err.Error())
	}
	fs, err := parseFieldSelector(get("fieldSelector"))
	if err != nil {
		return nil, nil, errBadRequest(err.Error())
	}
	if err := fs.Validate(ri.res); err != nil {
		return nil, nil, errBadRequest(err.Error())
	}
	return ls, fs, nil
}

func labelsOf(o Obj) map[string]string { return strMap(o, "metadata", "labels") }

func (s *Sim) serveList(w http.ResponseWriter, r *http.Request, ri *reqInfo, q map[string][]string) {
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
	limit := atoiDef(qget("limit"), 0)
	if limit < 0 {
		limit = 0
	}
	cont := qget("continue")
	rvParam := qget("resourceVersion")
	if rvParam == "0" && cont == "" {
		// Served from the watch cache by a real server, which ignores limit.
		limit = 0
	}
	var snapRV uint64
	startAfter := ""
	if cont != "" {
		if rvParam != "" && rvParam != "0" {
			writeStatus(w, errBadRequest("specifying resource version is not allowed when using continue"))
			return
		}
		var err error
		snapRV, startAfter, err = decodeContinue(cont)
		if err != nil {
			writeStatus(w, errBadRequest(err.Error()))
			return
		}
	} else if rvParam != "" && rvParam != "0" {
		n, err := strconv.ParseUint(rvParam, 10, 64)
		if err != nil {
			writeStatus(w, errBadRequest(fmt.Sprintf("invalid resource version: %s", rvParam)))
			return
		}
		if qget("resourceVersionMatch") == "Exact" {
			snapRV = n
			if n == 0 {
				writeStatus(w, errBadRequest("resourceVersionMatch \"exact\" is forbidden for resourceVersion \"0\""))
				return
			}
		}
	}
	filter := func(it *Item) bool {
		o, _, _ := view(ri.res, it)
		return ls.Matches(labelsOf(o)) && fs.Matches(ri.res, it.Obj)
	}
	if ls.Empty() && fs.Empty() {
		filter = nil
	}
	page, _ := s.store.ListPage(ri.res.Storage, ri.ns, snapRV, startAfter, limit, filter, filter == nil)
	if page == nil {
		if cont != "" {
			e := errGone(expiredContinueMsg)
			writeStatus(w, e)
		} else {
			writeStatus(w, errTooOld(snapRV, s.store.CurrentRV()))
		}
		return
	}
	rvStr := strconv.FormatUint(page.RV, 10)
	contTok := ""
	if page.LastKey != "" {
		contTok = encodeContinue(page.RV, page.LastKey)
	}
	switch accepts(r) {
	case acceptTable:
		objs := make([]Obj, len(page.Items))
		for i, it := range page.Items {
			objs[i], _, _ = view(ri.res, it)
		}
		raw, _ := encodeObject(s.table(ri.res, objs, rvStr, contTok, qget("includeObject")))
		writeRawGzip(w, r, 200, raw)
		return
	case acceptPartial:
		items := make([]interface{}, len(page.Items))
		for i, it := range page.Items {
			o, _, _ := view(ri.res, it)
			items[i] = partialObject(o)
		}
		md := Obj{"resourceVersion": rvStr}
		if contTok != "" {
			md["continue"] = contTok
		}
		raw, _ := encodeObject(Obj{"kind": "PartialObjectMetadataList", "apiVersion": "meta.k8s.io/v1", "metadata": md, "items": items})
		writeRawGzip(w, r, 200, raw)
		return
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, `{"kind":%q,"apiVersion":%q,"metadata":{"resourceVersion":%q`, ri.res.ListKind(), ri.res.APIVersion(), rvStr)
	if contTok != "" {
		fmt.Fprintf(&buf, `,"continue":%q`, contTok)
		if page.Remaining >= 0 {
			fmt.Fprintf(&buf, `,"remainingItemCount":%d`, page.Remaining)
		}
	}
	buf.WriteString(`},"items":[`)
	for i, it := range page.Items {
		if i > 0 {
			buf.WriteByte(',')
		}
		_, raw, off := view(ri.res, it)
		buf.WriteByte('{')
		buf.Write(raw[off+1:])
	}
	buf.WriteString("]}")
	writeRawGzip(w, r, 200, buf.Bytes())
}

// ---- create ----

func (s *Sim) namespaceUsable(res *Resource, ns, objName string) *apiError {
	it := s.store.Get("namespaces", ns)
	if it == nil {
		return errNamespaceNotFound(ns)
	}
	if getStr(it.Obj, "status", "phase") == "Terminating" {
		return statusErr(403, "Forbidden", fmt.Sprintf("%s %q is forbidden: unable to create new content in namespace %s because it is being terminated", res.GroupResource(), objName, ns),
			Obj{"name": objName, "kind": res.Name, "causes": []interface{}{Obj{"reason": "NamespaceTerminating",
				"message": fmt.Sprintf("namespace %s is being terminated", ns), "field": "metadata.namespace"}}})
	}
	return nil
}

func (s *Sim) serveCreate(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	body, aerr := readBody(r)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	o, ok := body.(Obj)
	if !ok {
		writeStatus(w, errBadRequest("the body of the request must be an object"))
		return
	}
	q := r.URL.Query()
	manager := fieldManager(q.Get("fieldManager"), r.UserAgent())
	it, aerr := s.create(ri.res, ri.ns, o, manager, q.Get("dryRun") == "All")
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	_, raw, _ := view(ri.res, it)
	writeRaw(w, 201, raw)
}

// create validates, defaults and stores a new object. Controllers use it too.
func (s *Sim) create(res *Resource, ns string, o Obj, manager string, dryRun bool) (*Item, *apiError) {
	if k := getStr(o, "kind"); k != "" && k != res.Kind {
		return nil, errBadRequest(fmt.Sprintf("the API version in the data (%s) does not match the expected API version (%s)", getStr(o, "apiVersion"), res.APIVersion()))
	}
	if res.Group == "events.k8s.io" {
		o = eventsV1ToCore(o)
	}
	o["kind"] = res.Kind
	o["apiVersion"] = res.APIVersion()
	if res.Group == "events.k8s.io" {
		o["apiVersion"] = "v1"
	}
	md := ensure(o, "metadata")
	if res.Namespaced {
		if bns := getStr(md, "namespace"); bns != "" && bns != ns {
			return nil, errBadRequest("the namespace of the provided object does not match the namespace sent on the request")
		}
		md["namespace"] = ns
	} else {
		delete(md, "namespace")
	}
	n := getStr(md, "name")
	if n == "" {
		if gn := getStr(md, "generateName"); gn != "" {
			n = gn + randomSuffix(5)
			md["name"] = n
		} else {
			return nil, errInvalid(res, "", []Obj{cause("metadata.name", "FieldValueRequired", "Required value: name or generateName is required")})
		}
	}
	if msg := validateName(res, n); msg != "" {
		return nil, errInvalid(res, n, []Obj{cause("metadata.name", "FieldValueInvalid", fmt.Sprintf("Invalid value: %q: %s", n, msg))})
	}
	if res.Namespaced {
		if aerr := s.namespaceUsable(res, ns, n); aerr != nil {
			return nil, aerr
		}
	}
	now := nowTime()
	for _, k := range []string{"resourceVersion", "deletionTimestamp", "deletionGracePeriodSeconds", "selfLink"} {
		delete(md, k)
	}
	md["uid"] = newUID()
	md["creationTimestamp"] = rfc3339(now)
	var requested Obj
	switch res.Storage {
	case "pods":
		delete(o, "status")
		defaultPodSpec(ensure(o, "spec"))
		requested = createdFields(o)
		defaultPod(o)
	case "deployments":
		defaultDeployment(o)
		md["generation"] = 1
		o["status"] = Obj{}
	case "replicasets":
		defaultReplicaSet(o)
		md["generation"] = 1
		o["status"] = Obj{"replicas": 0}
	case "namespaces":
		labels := ensure(md, "labels")
		labels["kubernetes.io/metadata.name"] = n
		o["spec"] = Obj{"finalizers": []interface{}{"kubernetes"}}
		o["status"] = Obj{"phase": "Active"}
	case "events":
		coreEventDefaults(o)
	}
	if causes := validate(res, o); len(causes) > 0 {
		return nil, errInvalid(res, n, causes)
	}
	if res.Storage != "events" && manager != "" {
		if requested == nil {
			requested = createdFields(o)
		}
		md["managedFields"] = []interface{}{managedFieldsEntry(manager, res.APIVersion(), "", requested, now)}
	}
	o = normalize(o).(Obj)
	if dryRun {
		return makeItem(res.Storage, keyOf(ns, n), o, 0), nil
	}
	it, err := s.store.Create(res.Storage, o)
	if err == errExists {
		return nil, errAlreadyExists(res, n)
	}
	return it, nil
}

// ---- update / patch ----

func (s *Sim) serveUpdate(w http.ResponseWriter, r *http.Request, ri *reqInfo, isPatch bool) {
	body, aerr := readBody(r)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	ct := r.Header.Get("Content-Type")
	if i := strings.Index(ct, ";"); i >= 0 {
		ct = ct[:i]
	}
	ct = strings.TrimSpace(ct)
	build := func(cur Obj) (Obj, *apiError) {
		if !isPatch {
			o, ok := body.(Obj)
			if !ok {
				return nil, errBadRequest("the body of the request must be an object")
			}
			if ri.res.Group == "events.k8s.io" {
				o = eventsV1ToCore(o)
			}
			if n := getStr(o, "metadata", "name"); n != "" && n != ri.name {
				return nil, errBadRequest(fmt.Sprintf("the name of the object (%s) does not match the name on the URL (%s)", n, ri.name))
			}
			return o, nil
		}
		return applyPatch(ri.res, cur, ct, body)
	}
	dryRun := r.URL.Query().Get("dryRun") == "All"
	it, aerr := s.update(ri.res, ri.key(), ri.name, ri.sub, build, dryRun)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	_, raw, _ := view(ri.res, it)
	writeRaw(w, 200, raw)
}

func applyPatch(res *Resource, cur Obj, ct string, body interface{}) (Obj, *apiError) {
	base := cur
	if res.Group == "events.k8s.io" {
		base = eventToEventsV1(cur)
	}
	var out interface{}
	var err error
	switch ct {
	case "application/json-patch+json":
		ops, ok := body.([]interface{})
		if !ok {
			return nil, errBadRequest("the body of a json patch must be a list of operations")
		}
		out, err = applyJSONPatch(copyObj(base), ops)
	case "application/merge-patch+json":
		out = mergePatch(copyObj(base), body)
	case "application/strategic-merge-patch+json":
		out, err = strategicMerge(copyObj(base), body, "")
	case "application/apply-patch+yaml", "application/apply-patch+cbor":
		return nil, statusErr(415, "UnsupportedMediaType", "the body of the request was in an unknown format - server-side apply is not simulated by kubesim; accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json", nil)
	default:
		return nil, statusErr(415, "UnsupportedMediaType", fmt.Sprintf("the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/strategic-merge-patch+json (got %q)", ct), nil)
	}
	if err != nil {
		return nil, statusErr(422, "Invalid", err.Error(), nil)
	}
	o, ok := out.(Obj)
	if !ok {
		return nil, errBadRequest("patch did not produce an object")
	}
	if res.Group == "events.k8s.io" {
		o = eventsV1ToCore(o)
	}
	return o, nil
}

// update replaces what the caller may change (main resource: metadata and
// spec; status subresource: status) with what build returns.
func (s *Sim) update(res *Resource, key, objName, sub string, build func(cur Obj) (Obj, *apiError), dryRun bool) (*Item, *apiError) {
	var aerr *apiError
	fail := func(e *apiError) error { aerr = e; return e }
	var result *Item
	it, err := s.store.Update(res.Storage, key, func(o Obj) error {
		nw, e := build(copyObj(o))
		if e != nil {
			return fail(e)
		}
		nw = normalize(nw).(Obj)
		if rv := getStr(nw, "metadata", "resourceVersion"); rv != "" && rv != getStr(o, "metadata", "resourceVersion") {
			return fail(errConflict(res, objName))
		}
		if k := getStr(nw, "kind"); k != "" && k != res.Kind {
			return fail(errBadRequest(fmt.Sprintf("kind %s does not match %s", k, res.Kind)))
		}
		if sub == "status" {
			o["status"] = nw["status"]
		} else {
			md := ensure(o, "metadata")
			nmd := getMap(nw, "metadata")
			for _, k := range []string{"labels", "annotations", "ownerReferences", "finalizers", "generateName"} {
				if v, ok := nmd[k]; ok && v != nil {
					md[k] = v
				} else {
					delete(md, k)
				}
			}
			switch res.Storage {
			case "pods":
				if !jsonEqual(o["spec"], nw["spec"]) && nw["spec"] != nil {
					return fail(errInvalid(res, objName, []Obj{cause("spec", "FieldValueForbidden",
						"Forbidden: pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative) (kubesim allows none)")}))
				}
			case "deployments":
				o["spec"] = nw["spec"]
				defaultDeployment(o)
			case "replicasets":
				o["spec"] = nw["spec"]
				defaultReplicaSet(o)
			case "nodes", "namespaces":
				if nw["spec"] != nil {
					o["spec"] = nw["spec"]
				}
			case "events":
				for k, v := range nw {
					if k != "metadata" {
						o[k] = v
					}
				}
				coreEventDefaults(o)
			}
			if causes := validate(res, o); len(causes) > 0 {
				return fail(errInvalid(res, objName, causes))
			}
		}
		if dryRun {
			result = makeItem(res.Storage, key, copyObj(o), 0)
			return errNoChange
		}
		return nil
	})
	if aerr != nil {
		return nil, aerr
	}
	if err == errMissing {
		return nil, errNotFound(res, objName)
	}
	if err != nil {
		return nil, statusErr(500, "InternalError", err.Error(), nil)
	}
	if result != nil {
		return result, nil
	}
	return it, nil
}

// ---- delete ----

type deleteOptions struct {
	grace       *int64
	propagation string
	precondUID  string
	precondRV   string
	dryRun      bool
}

func parseDeleteOptions(r *http.Request) (*deleteOptions, *apiError) {
	opts := &deleteOptions{}
	q := r.URL.Query()
	if g := q.Get("gracePeriodSeconds"); g != "" {
		n, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return nil, errBadRequest("invalid gracePeriodSeconds")
		}
		opts.grace = &n
	}
	opts.propagation = q.Get("propagationPolicy")
	opts.dryRun = q.Get("dryRun") == "All"
	if r.ContentLength != 0 && r.Body != nil {
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if len(bytes.TrimSpace(data)) > 0 {
			var o Obj
			if err := decodeJSON(data, &o); err != nil {
				return nil, errBadRequest("invalid DeleteOptions: " + err.Error())
			}
			if g, ok := toInt(o["gracePeriodSeconds"]); ok {
				opts.grace = &g
			}
			if p := getStr(o, "propagationPolicy"); p != "" {
				opts.propagation = p
			} else if b, ok := o["orphanDependents"].(bool); ok && b {
				opts.propagation = "Orphan"
			}
			opts.precondUID = getStr(o, "preconditions", "uid")
			opts.precondRV = getStr(o, "preconditions", "resourceVersion")
			if dr := getSlice(o, "dryRun"); len(dr) > 0 {
				opts.dryRun = true
			}
		}
	}
	return opts, nil
}

func (s *Sim) serveDelete(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	opts, aerr := parseDeleteOptions(r)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	it := s.store.Get(ri.res.Storage, ri.key())
	if it == nil {
		writeStatus(w, errNotFound(ri.res, ri.name))
		return
	}
	if opts.precondUID != "" && opts.precondUID != uid(it.Obj) {
		writeStatus(w, statusErr(409, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: Precondition failed: UID in precondition: %s, UID in object meta: %s", ri.res.GroupResource(), ri.name, opts.precondUID, uid(it.Obj)), details(ri.res, ri.name)))
		return
	}
	if opts.precondRV != "" && opts.precondRV != getStr(it.Obj, "metadata", "resourceVersion") {
		writeStatus(w, errConflict(ri.res, ri.name))
		return
	}
	if opts.dryRun {
		o, raw, _ := view(ri.res, it)
		if ri.res.Storage == "pods" || ri.res.Storage == "namespaces" {
			writeRaw(w, 200, raw)
		} else {
			writeSuccess(w, ri.res, o)
		}
		return
	}
	out, aerr := s.deleteObject(ri.res, it, opts)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	o, raw, _ := view(ri.res, out)
	switch ri.res.Storage {
	case "pods", "namespaces":
		writeRaw(w, 200, raw)
	default:
		writeSuccess(w, ri.res, o)
	}
}

// deleteObject deletes one object: graceful for pods, Terminating for
// namespaces, immediate (plus garbage collection of dependents) otherwise.
func (s *Sim) deleteObject(res *Resource, it *Item, opts *deleteOptions) (*Item, *apiError) {
	switch res.Storage {
	case "pods":
		return s.deletePod(it, opts.grace), nil
	case "namespaces":
		return s.ctrl.deleteNamespace(name(it.Obj)), nil
	}
	if opts.propagation == "Foreground" {
		s.ctrl.collectDependents(uid(it.Obj), "Background")
	}
	if opts.propagation == "Orphan" {
		// Release the dependents before the owner goes, with the
		// controllers paused so nothing collects or re-adopts them.
		s.ctrl.mu.Lock()
		defer s.ctrl.mu.Unlock()
		s.ctrl.collectDependents(uid(it.Obj), "Orphan")
	}
	out, err := s.store.Delete(res.Storage, it.Key)
	if err != nil {
		return nil, errNotFound(res, name(it.Obj))
	}
	if opts.propagation != "Orphan" {
		s.ctrl.collectDependentsAsync(uid(it.Obj), opts.propagation)
	}
	return out, nil
}

// deletePod starts graceful termination (the kubelet finishes it) or removes
// the pod at once when it never ran or the grace period is 0.
func (s *Sim) deletePod(it *Item, grace *int64) *Item {
	g := getInt(it.Obj, 30, "spec", "terminationGracePeriodSeconds")
	if grace != nil {
		g = *grace
	}
	if g < 0 {
		g = 0
	}
	if g == 0 || getStr(it.Obj, "spec", "nodeName") == "" || !s.kubelet.HasWorker(it.Key) {
		out, err := s.store.Delete("pods", it.Key)
		if err != nil {
			return it
		}
		return out
	}
	now := nowTime()
	out, err := s.store.Update("pods", it.Key, func(o Obj) error {
		md := ensure(o, "metadata")
		if cur, ok := toInt(md["deletionGracePeriodSeconds"]); ok && cur <= g {
			return errNoChange
		}
		md["deletionTimestamp"] = rfc3339(now.Add(time.Duration(g) * time.Second))
		md["deletionGracePeriodSeconds"] = g
		return nil
	})
	if err != nil {
		return it
	}
	s.kubelet.Terminate(it.Key, time.Duration(g)*time.Second)
	return out
}

func (s *Sim) serveDeleteCollection(w http.ResponseWriter, r *http.Request, ri *reqInfo, q map[string][]string) {
	ls, fs, aerr := parseSelectors(ri, q)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	opts, aerr := parseDeleteOptions(r)
	if aerr != nil {
		writeStatus(w, aerr)
		return
	}
	var items []interface{}
	for _, it := range s.store.List(ri.res.Storage, ri.ns) {
		if !ls.Matches(labelsOf(it.Obj)) || !fs.Matches(ri.res, it.Obj) {
			continue
		}
		out := it
		if !opts.dryRun {
			var e *apiError
			if out, e = s.deleteObject(ri.res, it, opts); e != nil {
				continue
			}
		}
		o, _, _ := view(ri.res, out)
		items = append(items, o)
	}
	if items == nil {
		items = []interface{}{}
	}
	writeObj(w, 200, Obj{"kind": ri.res.ListKind(), "apiVersion": ri.res.APIVersion(),
		"metadata": Obj{"resourceVersion": strconv.FormatUint(s.store.CurrentRV(), 10)}, "items": items})
}

// ---- scale subresource ----

func scaleOf(o Obj) Obj {
	sel := ""
	if ls := getMap(o, "spec", "selector", "matchLabels"); ls != nil {
		var parts []string
		for k, v := range strMap(o, "spec", "selector", "matchLabels") {
			parts = append(parts, k+"="+v)
		}
		sortStrings(parts)
		sel = strings.Join(parts, ",")
	}
	md := getMap(o, "metadata")
	return Obj{"kind": "Scale", "apiVersion": "autoscaling/v1",
		"metadata": Obj{"name": md["name"], "namespace": md["namespace"], "uid": md["uid"],
			"resourceVersion": md["resourceVersion"], "creationTimestamp": md["creationTimestamp"]},
		"spec":   Obj{"replicas": getInt(o, 0, "spec", "replicas")},
		"status": Obj{"replicas": getInt(o, 0, "status", "replicas"), "selector": sel}}
}

func (s *Sim) serveScale(w http.ResponseWriter, r *http.Request, ri *reqInfo) {
	switch r.Method {
	case http.MethodGet:
		it := s.store.Get(ri.res.Storage, ri.key())
		if it == nil {
			writeStatus(w, errNotFound(ri.res, ri.name))
			return
		}
		writeObj(w, 200, scaleOf(it.Obj))
	case http.MethodPut, http.MethodPatch:
		body, aerr := readBody(r)
		if aerr != nil {
			writeStatus(w, aerr)
			return
		}
		ct := r.Header.Get("Content-Type")
		if i := strings.Index(ct, ";"); i >= 0 {
			ct = ct[:i]
		}
		it, aerr := s.update(ri.res, ri.key(), ri.name, "", func(cur Obj) (Obj, *apiError) {
			sc := normalize(scaleOf(cur)).(Obj)
			var nsc Obj
			if r.Method == http.MethodPut {
				nsc, _ = body.(Obj)
			} else {
				var e *apiError
				scRes := &Resource{Kind: "Scale", Group: "autoscaling", Version: "v1", Name: "scale"}
				if nsc, e = applyPatch(scRes, sc, strings.TrimSpace(ct), body); e != nil {
					return nil, e
				}
			}
			if rv := getStr(nsc, "metadata", "resourceVersion"); rv != "" && rv != getStr(cur, "metadata", "resourceVersion") {
				return nil, errConflict(ri.res, ri.name)
			}
			n, ok := toInt(get(nsc, "spec", "replicas"))
			if !ok || n < 0 {
				return nil, errInvalid(ri.res, ri.name, []Obj{cause("spec.replicas", "FieldValueInvalid", "Invalid value: must be greater than or equal to 0")})
			}
			cur["spec"].(Obj)["replicas"] = n
			return cur, nil
		}, r.URL.Query().Get("dryRun") == "All")
		if aerr != nil {
			writeStatus(w, aerr)
			return
		}
		writeObj(w, 200, scaleOf(it.Obj))
	default:
		writeStatus(w, errMethodNotSupported(ri.res, r.Method))
	}
}
