package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// A minimal OpenAPI v3 discovery: enough for kubectl to see that the server
// does field validation (the fieldValidation query parameter on PATCH), so
// it sends fieldValidation=Strict instead of validating against a schema.
// There are no component schemas; /openapi/v2 is a 404.

func openAPIGroupVersions() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range resources {
		gv := "api/" + r.Version
		if r.Group != "" {
			gv = "apis/" + r.Group + "/" + r.Version
		}
		if !seen[gv] {
			seen[gv] = true
			out = append(out, gv)
		}
	}
	return out
}

func queryParam(n string) Obj {
	return Obj{"name": n, "in": "query", "schema": Obj{"type": "string", "uniqueItems": true}}
}

func openAPIDoc(gv string) Obj {
	paths := Obj{}
	for _, r := range resources {
		rgv := "api/" + r.Version
		if r.Group != "" {
			rgv = "apis/" + r.Group + "/" + r.Version
		}
		if rgv != gv {
			continue
		}
		gvk := Obj{"group": r.Group, "version": r.Version, "kind": r.Kind}
		base := "/" + gv + "/"
		if r.Namespaced {
			base += "namespaces/{namespace}/"
		}
		op := func(action, id string, params ...string) Obj {
			var ps []interface{}
			for _, p := range params {
				ps = append(ps, queryParam(p))
			}
			return Obj{"operationId": id, "x-kubernetes-action": action, "x-kubernetes-group-version-kind": gvk,
				"parameters": ps, "responses": Obj{"200": Obj{"description": "OK"}}}
		}
		idBase := strings.Title(r.Kind)
		paths[base+r.Name] = Obj{
			"get":  op("list", "list"+idBase, "labelSelector", "fieldSelector", "limit", "continue", "resourceVersion", "watch"),
			"post": op("post", "create"+idBase, "dryRun", "fieldManager", "fieldValidation"),
		}
		paths[base+r.Name+"/{name}"] = Obj{
			"get":    op("get", "read"+idBase),
			"put":    op("put", "replace"+idBase, "dryRun", "fieldManager", "fieldValidation"),
			"patch":  op("patch", "patch"+idBase, "dryRun", "fieldManager", "fieldValidation", "force"),
			"delete": op("delete", "delete"+idBase, "dryRun", "gracePeriodSeconds", "propagationPolicy"),
		}
	}
	return Obj{"openapi": "3.0.0", "info": Obj{"title": "Kubernetes", "version": serverGitVersion},
		"paths": paths, "components": Obj{"schemas": Obj{}}}
}

func (s *Sim) serveOpenAPI(w http.ResponseWriter, r *http.Request) bool {
	p := strings.TrimSuffix(r.URL.Path, "/")
	var doc Obj
	switch {
	case p == "/openapi/v3":
		paths := Obj{}
		for _, gv := range openAPIGroupVersions() {
			paths[gv] = Obj{"serverRelativeURL": fmt.Sprintf("/openapi/v3/%s?hash=%08X", gv, fnv32([]byte(gv+serverGitVersion)))}
		}
		doc = Obj{"paths": paths}
	case strings.HasPrefix(p, "/openapi/v3/"):
		gv := strings.TrimPrefix(p, "/openapi/v3/")
		found := false
		for _, g := range openAPIGroupVersions() {
			if g == gv {
				found = true
			}
		}
		if !found {
			return false
		}
		doc = openAPIDoc(gv)
	default:
		return false
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(doc)
	return true
}
