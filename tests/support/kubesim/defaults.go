package main

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"time"
)

// Defaulting and admission effects the real API server applies on create.

func defaultContainer(c Obj) {
	if _, ok := c["terminationMessagePath"]; !ok {
		c["terminationMessagePath"] = "/dev/termination-log"
	}
	if _, ok := c["terminationMessagePolicy"]; !ok {
		c["terminationMessagePolicy"] = "File"
	}
	if _, ok := c["imagePullPolicy"]; !ok {
		img := getStr(c, "image")
		if imageTag(img) == "latest" && !strings.Contains(img, "@") {
			c["imagePullPolicy"] = "Always"
		} else {
			c["imagePullPolicy"] = "IfNotPresent"
		}
	}
	if _, ok := c["resources"]; !ok {
		c["resources"] = Obj{}
	}
	for _, p := range getSlice(c, "ports") {
		if pm, ok := p.(Obj); ok {
			if _, ok := pm["protocol"]; !ok {
				pm["protocol"] = "TCP"
			}
		}
	}
}

func defaultPodSpec(spec Obj) {
	def := func(k string, v interface{}) {
		if _, ok := spec[k]; !ok {
			spec[k] = v
		}
	}
	def("restartPolicy", "Always")
	def("terminationGracePeriodSeconds", 30)
	def("dnsPolicy", "ClusterFirst")
	def("securityContext", Obj{})
	def("schedulerName", "default-scheduler")
	for _, list := range []string{"initContainers", "containers"} {
		for _, c := range getSlice(spec, list) {
			if cm, ok := c.(Obj); ok {
				defaultContainer(cm)
			}
		}
	}
}

// defaultPod applies pod defaults plus what the ServiceAccount and
// DefaultTolerationSeconds admission plugins add.
func defaultPod(p Obj) {
	spec := ensure(p, "spec")
	defaultPodSpec(spec)
	def := func(k string, v interface{}) {
		if _, ok := spec[k]; !ok {
			spec[k] = v
		}
	}
	def("enableServiceLinks", true)
	def("preemptionPolicy", "PreemptLowerPriority")
	def("priority", 0)
	def("serviceAccountName", "default")
	spec["serviceAccount"] = spec["serviceAccountName"]
	tols := getSlice(spec, "tolerations")
	has := map[string]bool{}
	for _, t := range tols {
		if tm, ok := t.(Obj); ok {
			has[getStr(tm, "key")] = true
		}
	}
	for _, k := range []string{"node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"} {
		if !has[k] {
			tols = append(tols, Obj{"key": k, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300})
		}
	}
	spec["tolerations"] = tols
	// Projected service account token volume.
	hasSA := false
	for _, v := range getSlice(spec, "volumes") {
		if strings.HasPrefix(getStr(v.(Obj), "name"), "kube-api-access-") {
			hasSA = true
		}
	}
	if auto := get(spec, "automountServiceAccountToken"); !hasSA && auto != false {
		vol := "kube-api-access-" + randomSuffix(5)
		spec["volumes"] = append(getSlice(spec, "volumes"), Obj{"name": vol, "projected": Obj{
			"sources": []interface{}{
				Obj{"serviceAccountToken": Obj{"expirationSeconds": 3607, "path": "token"}},
				Obj{"configMap": Obj{"name": "kube-root-ca.crt", "items": []interface{}{Obj{"key": "ca.crt", "path": "ca.crt"}}}},
				Obj{"downwardAPI": Obj{"items": []interface{}{Obj{"path": "namespace",
					"fieldRef": Obj{"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}}},
			},
			"defaultMode": 420,
		}})
		for _, list := range []string{"initContainers", "containers"} {
			for _, c := range getSlice(spec, list) {
				cm := c.(Obj)
				cm["volumeMounts"] = append(getSlice(cm, "volumeMounts"), Obj{"name": vol, "readOnly": true,
					"mountPath": "/var/run/secrets/kubernetes.io/serviceaccount"})
			}
		}
	}
	if _, ok := p["status"].(Obj); !ok || getStr(p, "status", "phase") == "" {
		p["status"] = Obj{"phase": "Pending", "qosClass": qosClass(spec)}
	}
}

func qosClass(spec Obj) string {
	anything := false
	guaranteed := true
	for _, c := range getSlice(spec, "containers") {
		req := getMap(c.(Obj), "resources", "requests")
		lim := getMap(c.(Obj), "resources", "limits")
		if len(req) > 0 || len(lim) > 0 {
			anything = true
		}
		for _, r := range []string{"cpu", "memory"} {
			l, ok := lim[r]
			if !ok {
				guaranteed = false
				continue
			}
			if q, ok := req[r]; ok && fmt.Sprint(q) != fmt.Sprint(l) {
				guaranteed = false
			}
		}
	}
	if !anything {
		return "BestEffort"
	}
	if guaranteed {
		return "Guaranteed"
	}
	return "Burstable"
}

func defaultTemplate(spec Obj) {
	tmpl := ensure(spec, "template")
	md := ensure(tmpl, "metadata")
	if _, ok := md["creationTimestamp"]; !ok {
		md["creationTimestamp"] = nil
	}
	defaultPodSpec(ensure(tmpl, "spec"))
}

func defaultDeployment(d Obj) {
	spec := ensure(d, "spec")
	def := func(k string, v interface{}) {
		if _, ok := spec[k]; !ok {
			spec[k] = v
		}
	}
	def("replicas", 1)
	def("revisionHistoryLimit", 10)
	def("progressDeadlineSeconds", 600)
	strat := ensure(spec, "strategy")
	if getStr(strat, "type") == "" {
		strat["type"] = "RollingUpdate"
	}
	if strat["type"] == "RollingUpdate" {
		ru := ensure(strat, "rollingUpdate")
		if _, ok := ru["maxUnavailable"]; !ok {
			ru["maxUnavailable"] = "25%"
		}
		if _, ok := ru["maxSurge"]; !ok {
			ru["maxSurge"] = "25%"
		}
	}
	defaultTemplate(spec)
}

func defaultReplicaSet(rs Obj) {
	spec := ensure(rs, "spec")
	if _, ok := spec["replicas"]; !ok {
		spec["replicas"] = 1
	}
	defaultTemplate(spec)
}

var dns1123Subdomain = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
var dns1123Label = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func validateName(res *Resource, n string) string {
	if res.Name == "namespaces" {
		if len(n) > 63 || !dns1123Label.MatchString(n) {
			return "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
		}
		return ""
	}
	if len(n) > 253 || !dns1123Subdomain.MatchString(n) {
		return "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
	}
	return ""
}

func cause(field, reasonType, msg string) Obj {
	return Obj{"reason": reasonType, "message": msg, "field": field}
}

// validate does the checks clients commonly trip over.
func validate(res *Resource, o Obj) []Obj {
	var causes []Obj
	switch res.Storage {
	case "pods":
		causes = append(causes, validatePodSpec(getMap(o, "spec"), "spec")...)
	case "deployments", "replicasets":
		spec := getMap(o, "spec")
		sel := getMap(spec, "selector")
		if len(sel) == 0 || (len(getMap(sel, "matchLabels")) == 0 && len(getSlice(sel, "matchExpressions")) == 0) {
			causes = append(causes, cause("spec.selector", "FieldValueRequired", "Required value"))
		} else {
			s, err := selectorFromLabelSelector(sel)
			if err != nil {
				causes = append(causes, cause("spec.selector", "FieldValueInvalid", "Invalid value: "+err.Error()))
			} else if !s.Matches(strMap(spec, "template", "metadata", "labels")) {
				causes = append(causes, cause("spec.template.metadata.labels", "FieldValueInvalid",
					fmt.Sprintf("Invalid value: %s: `selector` does not match template `labels`", goMapString(strMap(spec, "template", "metadata", "labels")))))
			}
		}
		if n := getInt(spec, 0, "replicas"); n < 0 {
			causes = append(causes, cause("spec.replicas", "FieldValueInvalid", fmt.Sprintf("Invalid value: %d: must be greater than or equal to 0", n)))
		}
		causes = append(causes, validatePodSpec(getMap(spec, "template", "spec"), "spec.template.spec")...)
		if res.Storage == "deployments" {
			if getStr(spec, "strategy", "type") == "RollingUpdate" {
				ru := getMap(spec, "strategy", "rollingUpdate")
				surge, _ := resolveIntOrPercent(ru["maxSurge"], 100, true)
				unavail, _ := resolveIntOrPercent(ru["maxUnavailable"], 100, false)
				if surge == 0 && unavail == 0 {
					causes = append(causes, cause("spec.strategy.rollingUpdate.maxUnavailable", "FieldValueInvalid",
						"Invalid value: intstr.IntOrString{Type:0, IntVal:0, StrVal:\"\"}: may not be 0 when `maxSurge` is 0"))
				}
			}
		}
	}
	return causes
}

func validatePodSpec(spec Obj, path string) []Obj {
	var causes []Obj
	cs := getSlice(spec, "containers")
	if len(cs) == 0 {
		causes = append(causes, cause(path+".containers", "FieldValueRequired", "Required value"))
	}
	seen := map[string]bool{}
	for i, c := range cs {
		cm, _ := c.(Obj)
		n := getStr(cm, "name")
		if n == "" {
			causes = append(causes, cause(fmt.Sprintf("%s.containers[%d].name", path, i), "FieldValueRequired", "Required value"))
		} else if seen[n] {
			causes = append(causes, cause(fmt.Sprintf("%s.containers[%d].name", path, i), "FieldValueDuplicate", fmt.Sprintf("Duplicate value: %q", n)))
		}
		seen[n] = true
		if getStr(cm, "image") == "" {
			causes = append(causes, cause(fmt.Sprintf("%s.containers[%d].image", path, i), "FieldValueRequired", "Required value"))
		}
	}
	return causes
}

func goMapString(m map[string]string) string {
	var keys []string
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%q:%q", k, m[k]))
	}
	return "map[string]string{" + strings.Join(parts, ", ") + "}"
}

// ---- managedFields ----

// fieldsV1 describes the fields set in v the way server-side apply
// tracks them (f:key, k:{merge key} for keyed lists).
func fieldsV1(v interface{}) Obj {
	out := Obj{}
	m, ok := v.(Obj)
	if !ok {
		return out
	}
	for k, x := range m {
		switch t := x.(type) {
		case Obj:
			sub := fieldsV1(t)
			if len(t) > 0 {
				sub["."] = Obj{}
			}
			out["f:"+k] = sub
		case []interface{}:
			lst := Obj{}
			for _, e := range t {
				em, ok := e.(Obj)
				if !ok {
					lst[fmt.Sprintf("v:%s", mustJSON(e))] = Obj{}
					continue
				}
				mk := mergeKeyFor(k)
				if mk == "" {
					continue
				}
				kv, _ := em[mk]
				sub := fieldsV1(em)
				sub["."] = Obj{}
				lst[fmt.Sprintf("k:{%q:%s}", mk, mustJSON(kv))] = sub
			}
			if len(lst) > 0 {
				lst["."] = Obj{}
			}
			out["f:"+k] = lst
		default:
			out["f:"+k] = Obj{}
		}
	}
	return out
}

func managedFieldsEntry(manager, apiVersion, subresource string, fields Obj, t time.Time) Obj {
	e := Obj{"manager": manager, "operation": "Update", "apiVersion": apiVersion,
		"time": rfc3339(t), "fieldsType": "FieldsV1", "fieldsV1": fields}
	if subresource != "" {
		e["subresource"] = subresource
	}
	return e
}

// createdFields is the managed-fields set of a created object (metadata
// labels/annotations/ownerReferences and spec).
func createdFields(o Obj) Obj {
	f := Obj{}
	md := Obj{}
	for _, k := range []string{"labels", "annotations", "ownerReferences", "generateName", "finalizers"} {
		if v, ok := getMap(o, "metadata")[k]; ok {
			md[k] = v
		}
	}
	if len(md) > 0 {
		f["f:metadata"] = fieldsV1(md)
	}
	if spec, ok := o["spec"].(Obj); ok {
		f["f:spec"] = fieldsV1(spec)
	}
	return f
}

func fieldManager(queryManager, userAgent string) string {
	if queryManager != "" {
		return queryManager
	}
	ua := userAgent
	if i := strings.Index(ua, "/"); i > 0 {
		ua = ua[:i]
	}
	if ua == "" {
		ua = "unknown"
	}
	return ua
}

// ---- images ----

// imageTag returns the tag of an image reference ("latest" if none).
func imageTag(img string) string {
	if i := strings.Index(img, "@"); i >= 0 {
		img = img[:i]
	}
	slash := strings.LastIndex(img, "/")
	if i := strings.LastIndex(img, ":"); i > slash {
		return img[i+1:]
	}
	return "latest"
}

// normalizeImage is the fully qualified reference containerd reports.
func normalizeImage(img string) string {
	ref := img
	first := ref
	if i := strings.Index(ref, "/"); i >= 0 {
		first = ref[:i]
	}
	if !strings.Contains(ref, "/") {
		ref = "docker.io/library/" + ref
	} else if !strings.ContainsAny(first, ".:") && first != "localhost" {
		ref = "docker.io/" + ref
	}
	if !strings.Contains(ref, "@") {
		slash := strings.LastIndex(ref, "/")
		if i := strings.LastIndex(ref, ":"); i <= slash {
			ref += ":latest"
		}
	}
	return ref
}
