package main

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

type requirement struct {
	key    string
	op     string // exists, !, =, !=, in, notin, gt, lt
	values []string
}

// LabelSelector is a parsed label selector (all requirements must hold).
type LabelSelector struct{ reqs []requirement }

func (s *LabelSelector) Empty() bool { return s == nil || len(s.reqs) == 0 }

func (s *LabelSelector) Matches(labels map[string]string) bool {
	if s == nil {
		return true
	}
	for _, r := range s.reqs {
		v, has := labels[r.key]
		switch r.op {
		case "exists":
			if !has {
				return false
			}
		case "!":
			if has {
				return false
			}
		case "=":
			if !has || v != r.values[0] {
				return false
			}
		case "!=":
			if has && v == r.values[0] {
				return false
			}
		case "in":
			if !has || !containsStr(r.values, v) {
				return false
			}
		case "notin":
			if has && containsStr(r.values, v) {
				return false
			}
		case "gt", "lt":
			if !has {
				return false
			}
			a, err1 := strconv.ParseInt(v, 10, 64)
			b, err2 := strconv.ParseInt(r.values[0], 10, 64)
			if err1 != nil || err2 != nil || (r.op == "gt" && !(a > b)) || (r.op == "lt" && !(a < b)) {
				return false
			}
		}
	}
	return true
}

var labelKeyRe = regexp.MustCompile(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$`)
var labelValueRe = regexp.MustCompile(`^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$`)
var setReqRe = regexp.MustCompile(`^(\S+)\s+(in|notin)\s*\((.*)\)$`)

// splitTopLevel splits on commas outside parentheses.
func splitTopLevel(s string) []string {
	var parts []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

func parseLabelSelector(s string) (*LabelSelector, error) {
	sel := &LabelSelector{}
	s = strings.TrimSpace(s)
	if s == "" {
		return sel, nil
	}
	for _, part := range splitTopLevel(s) {
		p := strings.TrimSpace(part)
		if p == "" {
			return nil, fmt.Errorf("found '', expected: identifier")
		}
		var r requirement
		if m := setReqRe.FindStringSubmatch(p); m != nil {
			r = requirement{key: m[1], op: m[2]}
			for _, v := range strings.Split(m[3], ",") {
				v = strings.TrimSpace(v)
				if !labelValueRe.MatchString(v) {
					return nil, fmt.Errorf("invalid label value: %q", v)
				}
				r.values = append(r.values, v)
			}
		} else if strings.HasPrefix(p, "!") {
			r = requirement{key: strings.TrimSpace(p[1:]), op: "!"}
		} else if i := strings.Index(p, "!="); i >= 0 {
			r = requirement{key: strings.TrimSpace(p[:i]), op: "!=", values: []string{strings.TrimSpace(p[i+2:])}}
		} else if i := strings.Index(p, "=="); i >= 0 {
			r = requirement{key: strings.TrimSpace(p[:i]), op: "=", values: []string{strings.TrimSpace(p[i+2:])}}
		} else if i := strings.Index(p, "="); i >= 0 {
			r = requirement{key: strings.TrimSpace(p[:i]), op: "=", values: []string{strings.TrimSpace(p[i+1:])}}
		} else if i := strings.Index(p, ">"); i >= 0 {
			r = requirement{key: strings.TrimSpace(p[:i]), op: "gt", values: []string{strings.TrimSpace(p[i+1:])}}
		} else if i := strings.Index(p, "<"); i >= 0 {
			r = requirement{key: strings.TrimSpace(p[:i]), op: "lt", values: []string{strings.TrimSpace(p[i+1:])}}
		} else if strings.ContainsAny(p, " ()") {
			return nil, fmt.Errorf("unable to parse requirement: %q", p)
		} else {
			r = requirement{key: p, op: "exists"}
		}
		if !labelKeyRe.MatchString(r.key) || len(r.key) > 316 {
			return nil, fmt.Errorf("unable to parse requirement: <nil>: Invalid value: %q: name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", r.key)
		}
		for _, v := range r.values {
			if !labelValueRe.MatchString(v) || len(v) > 63 {
				return nil, fmt.Errorf("unable to parse requirement: <nil>: Invalid value: %q: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character", v)
			}
		}
		sel.reqs = append(sel.reqs, r)
	}
	return sel, nil
}

// selectorFromLabelSelector converts a metav1.LabelSelector object.
func selectorFromLabelSelector(ls Obj) (*LabelSelector, error) {
	sel := &LabelSelector{}
	for k, v := range strMap(ls, "matchLabels") {
		sel.reqs = append(sel.reqs, requirement{key: k, op: "=", values: []string{v}})
	}
	for _, e := range getSlice(ls, "matchExpressions") {
		em, _ := e.(Obj)
		var vals []string
		for _, v := range getSlice(em, "values") {
			vals = append(vals, fmt.Sprint(v))
		}
		r := requirement{key: getStr(em, "key"), values: vals}
		switch getStr(em, "operator") {
		case "In":
			r.op = "in"
		case "NotIn":
			r.op = "notin"
		case "Exists":
			r.op = "exists"
		case "DoesNotExist":
			r.op = "!"
		default:
			return nil, fmt.Errorf("%q is not a valid label selector operator", getStr(em, "operator"))
		}
		sel.reqs = append(sel.reqs, r)
	}
	return sel, nil
}

// ---- field selectors ----

type fieldReq struct {
	field, value string
	neq          bool
}

type FieldSelector struct{ reqs []fieldReq }

func (s *FieldSelector) Empty() bool { return s == nil || len(s.reqs) == 0 }

func parseFieldSelector(s string) (*FieldSelector, error) {
	sel := &FieldSelector{}
	if strings.TrimSpace(s) == "" {
		return sel, nil
	}
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		var r fieldReq
		if i := strings.Index(p, "!="); i >= 0 {
			r = fieldReq{field: p[:i], value: p[i+2:], neq: true}
		} else if i := strings.Index(p, "=="); i >= 0 {
			r = fieldReq{field: p[:i], value: p[i+2:]}
		} else if i := strings.Index(p, "="); i >= 0 {
			r = fieldReq{field: p[:i], value: p[i+1:]}
		} else {
			return nil, fmt.Errorf("invalid selector: '%s'; can't understand '%s'", s, p)
		}
		r.field = strings.TrimSpace(r.field)
		r.value = strings.TrimSpace(r.value)
		sel.reqs = append(sel.reqs, r)
	}
	return sel, nil
}

// fieldValue returns the value of a supported field label.
func fieldValue(res *Resource, o Obj, field string) (string, bool) {
	switch field {
	case "metadata.name":
		return name(o), true
	case "metadata.namespace":
		if !res.Namespaced {
			return "", res.Name == "namespaces"
		}
		return namespace(o), true
	}
	switch res.Storage {
	case "pods":
		switch field {
		case "spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName":
			return getStr(o, strings.Split(field, ".")...), true
		case "spec.hostNetwork":
			return strconv.FormatBool(getBool(o, "spec", "hostNetwork")), true
		case "status.phase", "status.podIP", "status.nominatedNodeName":
			return getStr(o, strings.Split(field, ".")...), true
		}
	case "namespaces":
		if field == "status.phase" {
			return getStr(o, "status", "phase"), true
		}
	case "nodes":
		if field == "spec.unschedulable" {
			return strconv.FormatBool(getBool(o, "spec", "unschedulable")), true
		}
	case "replicasets":
		if field == "status.replicas" {
			return strconv.FormatInt(getInt(o, 0, "status", "replicas"), 10), true
		}
	case "events":
		// Stored in core shape; events.k8s.io names map onto it.
		if res.Group == "events.k8s.io" {
			switch {
			case strings.HasPrefix(field, "regarding."):
				return getStr(o, "involvedObject", strings.TrimPrefix(field, "regarding.")), validRefField(strings.TrimPrefix(field, "regarding."))
			case field == "reason", field == "type":
				return getStr(o, field), true
			case field == "reportingController":
				return getStr(o, "reportingComponent"), true
			}
			return "", false
		}
		switch {
		case strings.HasPrefix(field, "involvedObject."):
			return getStr(o, "involvedObject", strings.TrimPrefix(field, "involvedObject.")), validRefField(strings.TrimPrefix(field, "involvedObject."))
		case field == "reason", field == "type", field == "reportingComponent":
			return getStr(o, field), true
		case field == "source":
			return getStr(o, "source", "component"), true
		}
	}
	return "", false
}

func validRefField(f string) bool {
	switch f {
	case "kind", "namespace", "name", "uid", "apiVersion", "resourceVersion", "fieldPath":
		return true
	}
	return false
}

// Validate checks every field is supported for the resource.
func (s *FieldSelector) Validate(res *Resource) error {
	for _, r := range s.reqs {
		if _, ok := fieldValue(res, Obj{}, r.field); !ok {
			return fmt.Errorf("field label not supported: %s", r.field)
		}
	}
	return nil
}

func (s *FieldSelector) Matches(res *Resource, o Obj) bool {
	if s == nil {
		return true
	}
	for _, r := range s.reqs {
		v, _ := fieldValue(res, o, r.field)
		if (v == r.value) == r.neq {
			return false
		}
	}
	return true
}
