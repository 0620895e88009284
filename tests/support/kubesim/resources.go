package main

import (
	"encoding/json"
	"net/http"
	"strings"
)

// Resource describes one served resource (group/version/resource).
type Resource struct {
	Group      string
	Version    string
	Name       string // plural, e.g. "pods"
	Singular   string
	Kind       string
	Namespaced bool
	ShortNames []string
	Verbs      []string
	Categories []string
	// Storage is the store bucket; events.k8s.io events share core events.
	Storage string
	// Subresources served (name → kind).
	Subresources map[string]string
}

func (r *Resource) APIVersion() string {
	if r.Group == "" {
		return r.Version
	}
	return r.Group + "/" + r.Version
}

func (r *Resource) ListKind() string { return r.Kind + "List" }

// GroupResource as written in error messages: "pods", "deployments.apps".
func (r *Resource) GroupResource() string {
	if r.Group == "" {
		return r.Name
	}
	return r.Name + "." + r.Group
}

var allVerbs = []string{"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"}

var resources = []*Resource{
	{Group: "", Version: "v1", Name: "namespaces", Singular: "namespace", Kind: "Namespace", ShortNames: []string{"ns"},
		Verbs: []string{"create", "delete", "get", "list", "patch", "update", "watch"}, Storage: "namespaces",
		Subresources: map[string]string{"status": "Namespace", "finalize": "Namespace"}},
	{Group: "", Version: "v1", Name: "nodes", Singular: "node", Kind: "Node", ShortNames: []string{"no"},
		Verbs: allVerbs, Storage: "nodes",
		Subresources: map[string]string{"status": "Node", "proxy": "NodeProxyOptions"}},
	{Group: "", Version: "v1", Name: "pods", Singular: "pod", Kind: "Pod", Namespaced: true, ShortNames: []string{"po"},
		Verbs: allVerbs, Categories: []string{"all"}, Storage: "pods",
		Subresources: map[string]string{"status": "Pod", "proxy": "PodProxyOptions", "log": "Pod"}},
	{Group: "", Version: "v1", Name: "events", Singular: "event", Kind: "Event", Namespaced: true, ShortNames: []string{"ev"},
		Verbs: allVerbs, Storage: "events"},
	{Group: "apps", Version: "v1", Name: "deployments", Singular: "deployment", Kind: "Deployment", Namespaced: true,
		ShortNames: []string{"deploy"}, Verbs: allVerbs, Categories: []string{"all"}, Storage: "deployments",
		Subresources: map[string]string{"status": "Deployment", "scale": "Scale"}},
	{Group: "apps", Version: "v1", Name: "replicasets", Singular: "replicaset", Kind: "ReplicaSet", Namespaced: true,
		ShortNames: []string{"rs"}, Verbs: allVerbs, Categories: []string{"all"}, Storage: "replicasets",
		Subresources: map[string]string{"status": "ReplicaSet", "scale": "Scale"}},
	{Group: "events.k8s.io", Version: "v1", Name: "events", Singular: "event", Kind: "Event", Namespaced: true,
		ShortNames: []string{"ev"}, Verbs: allVerbs, Storage: "events"},
}

func findResource(group, version, name string) *Resource {
	for _, r := range resources {
		if r.Group == group && r.Version == version && r.Name == name {
			return r
		}
	}
	return nil
}

// resourceByStorage returns the canonical resource for a bucket.
func resourceByStorage(storage string) *Resource {
	for _, r := range resources {
		if r.Storage == storage && r.Group != "events.k8s.io" {
			return r
		}
	}
	return nil
}

// ---- discovery documents ----

const serverGitVersion = "v1.32.0"

func versionInfo() Obj {
	return Obj{
		"major": "1", "minor": "32", "gitVersion": serverGitVersion + "+kubesim",
		"gitCommit": "0000000000000000000000000000000000000000", "gitTreeState": "clean",
		"buildDate": "2024-12-11T00:00:00Z", "goVersion": "go1.23.4", "compiler": "gc",
		"platform": "linux/amd64",
	}
}

func apiResourceList(group, version string) Obj {
	gv := version
	if group != "" {
		gv = group + "/" + version
	}
	var list []interface{}
	for _, r := range resources {
		if r.Group != group || r.Version != version {
			continue
		}
		e := Obj{
			"name": r.Name, "singularName": r.Singular, "namespaced": r.Namespaced,
			"kind": r.Kind, "verbs": r.Verbs,
		}
		if len(r.ShortNames) > 0 {
			e["shortNames"] = r.ShortNames
		}
		if len(r.Categories) > 0 {
			e["categories"] = r.Categories
		}
		list = append(list, e)
		var subs []string
		for s := range r.Subresources {
			subs = append(subs, s)
		}
		sortStrings(subs)
		for _, s := range subs {
			se := Obj{"name": r.Name + "/" + s, "singularName": "", "namespaced": r.Namespaced, "kind": r.Subresources[s]}
			switch s {
			case "proxy":
				se["verbs"] = []string{"create", "delete", "get", "patch", "update"}
			case "log":
				se["verbs"] = []string{"get"}
			case "finalize":
				se["verbs"] = []string{"update"}
			default:
				se["verbs"] = []string{"get", "patch", "update"}
			}
			if s == "scale" {
				se["group"] = "autoscaling"
				se["version"] = "v1"
			}
			list = append(list, se)
		}
	}
	return Obj{"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": list}
}

func apiGroup(name, version string) Obj {
	gv := Obj{"groupVersion": name + "/" + version, "version": version}
	return Obj{"name": name, "versions": []interface{}{gv}, "preferredVersion": gv}
}

func apiGroupList() Obj {
	return Obj{"kind": "APIGroupList", "apiVersion": "v1", "groups": []interface{}{
		apiGroup("apps", "v1"), apiGroup("events.k8s.io", "v1"),
	}}
}

func apiVersions(r *http.Request) Obj {
	return Obj{"kind": "APIVersions", "versions": []string{"v1"},
		"serverAddressByClientCIDRs": []interface{}{Obj{"clientCIDR": "0.0.0.0/0", "serverAddress": r.Host}}}
}

// serveDiscovery answers /version, /api, /apis and the group/version
// documents. It returns false when the path is not a discovery path.
func serveDiscovery(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	var doc interface{}
	switch p {
	case "/version":
		doc = versionInfo()
	case "/api":
		doc = apiVersions(r)
	case "/api/v1":
		doc = apiResourceList("", "v1")
	case "/apis":
		doc = apiGroupList()
	case "/apis/apps":
		g := apiGroup("apps", "v1")
		g["kind"], g["apiVersion"] = "APIGroup", "v1"
		doc = g
	case "/apis/events.k8s.io":
		g := apiGroup("events.k8s.io", "v1")
		g["kind"], g["apiVersion"] = "APIGroup", "v1"
		doc = g
	case "/apis/apps/v1":
		doc = apiResourceList("apps", "v1")
	case "/apis/events.k8s.io/v1":
		doc = apiResourceList("events.k8s.io", "v1")
	default:
		return false
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeStatus(w, statusErr(http.StatusMethodNotAllowed, "MethodNotAllowed", "the server does not allow this method on the requested resource", nil))
		return true
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
	return true
}
