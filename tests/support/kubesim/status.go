package main

import (
	"fmt"
	"net/http"
	"sort"
	"strconv"
)

// apiError is a metav1.Status failure.
type apiError struct {
	Code    int
	Reason  string
	Message string
	Details Obj
}

func (e *apiError) Error() string { return e.Message }

func statusErr(code int, reason, msg string, details Obj) *apiError {
	return &apiError{Code: code, Reason: reason, Message: msg, Details: details}
}

func (e *apiError) object() Obj {
	o := Obj{"kind": "Status", "apiVersion": "v1", "metadata": Obj{}, "status": "Failure",
		"message": e.Message, "code": e.Code}
	if e.Reason != "" {
		o["reason"] = e.Reason
	}
	if e.Details != nil {
		o["details"] = e.Details
	}
	return o
}

func writeStatus(w http.ResponseWriter, e *apiError) {
	raw, _ := encodeObject(e.object())
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(raw)+1))
	w.WriteHeader(e.Code)
	w.Write(raw)
	w.Write([]byte("\n"))
}

func details(res *Resource, objName string) Obj {
	d := Obj{"kind": res.Name}
	if objName != "" {
		d["name"] = objName
	}
	if res.Group != "" {
		d["group"] = res.Group
	}
	return d
}

func errNotFound(res *Resource, objName string) *apiError {
	return statusErr(404, "NotFound", fmt.Sprintf("%s %q not found", res.GroupResource(), objName), details(res, objName))
}

func errNamespaceNotFound(ns string) *apiError {
	return statusErr(404, "NotFound", fmt.Sprintf("namespaces %q not found", ns), Obj{"name": ns, "kind": "namespaces"})
}

func errAlreadyExists(res *Resource, objName string) *apiError {
	return statusErr(409, "AlreadyExists", fmt.Sprintf("%s %q already exists", res.GroupResource(), objName), details(res, objName))
}

func errConflict(res *Resource, objName string) *apiError {
	return statusErr(409, "Conflict", fmt.Sprintf("Operation cannot be fulfilled on %s %q: the object has been modified; please apply your changes to the latest version and try again", res.GroupResource(), objName), details(res, objName))
}

func errBadRequest(msg string) *apiError {
	return statusErr(400, "BadRequest", msg, nil)
}

func errGone(msg string) *apiError {
	return statusErr(410, "Expired", msg, nil)
}

func errTooOld(rv, current uint64) *apiError {
	return errGone(fmt.Sprintf("too old resource version: %d (%d)", rv, current))
}

func errMethodNotSupported(res *Resource, verb string) *apiError {
	return statusErr(405, "MethodNotAllowed", fmt.Sprintf("%s is forbidden: method %s not supported", res.GroupResource(), verb), details(res, ""))
}

// errInvalid is a 422 with field causes, like validation failures.
func errInvalid(res *Resource, objName string, causes []Obj) *apiError {
	msg := fmt.Sprintf("%s %q is invalid: ", kindForMessage(res), objName)
	var cs []interface{}
	for i, c := range causes {
		if i > 0 {
			msg += ", "
		}
		msg += fmt.Sprintf("%s: %s", c["field"], c["message"])
		cs = append(cs, c)
	}
	d := details(res, objName)
	d["kind"] = res.Kind
	d["causes"] = cs
	return statusErr(422, "Invalid", msg, d)
}

func kindForMessage(res *Resource) string {
	if res.Group == "" {
		return res.Kind
	}
	return res.Kind + "." + res.Group
}

func sortStrings(s []string) { sort.Strings(s) }
