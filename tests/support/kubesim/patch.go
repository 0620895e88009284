package main

import (
	"fmt"
	"strconv"
	"strings"
)

// ---- JSON merge patch (RFC 7386) ----

func mergePatch(target, patch interface{}) interface{} {
	pm, ok := patch.(Obj)
	if !ok {
		return deepCopy(patch)
	}
	tm, ok := target.(Obj)
	if !ok {
		tm = Obj{}
	}
	for k, v := range pm {
		if v == nil {
			delete(tm, k)
		} else {
			tm[k] = mergePatch(tm[k], v)
		}
	}
	return tm
}

// ---- strategic merge patch (the subset built-in types need) ----

// mergeKeyFor is the patchMergeKey of a list field in core/apps types.
func mergeKeyFor(field string) string {
	switch field {
	case "containers", "initContainers", "ephemeralContainers", "env", "volumes", "imagePullSecrets",
		"resourceClaims":
		return "name"
	case "ports":
		return "containerPort"
	case "volumeMounts":
		return "mountPath"
	case "volumeDevices":
		return "devicePath"
	case "hostAliases":
		return "ip"
	case "conditions":
		return "type"
	case "ownerReferences":
		return "uid"
	case "topologySpreadConstraints":
		return "topologyKey"
	}
	return ""
}

// primitive lists with patchStrategy merge.
func primitiveMergeList(field string) bool { return field == "finalizers" }

func strategicMerge(target, patch interface{}, field string) (interface{}, error) {
	switch p := patch.(type) {
	case Obj:
		if d, ok := p["$patch"]; ok {
			switch d {
			case "replace":
				out := copyObj(p)
				delete(out, "$patch")
				return stripDirectives(out), nil
			case "delete":
				return nil, nil
			default:
				return nil, fmt.Errorf("unknown patch type: %v", d)
			}
		}
		tm, ok := target.(Obj)
		if !ok {
			tm = Obj{}
		}
		for k, v := range p {
			switch {
			case k == "$retainKeys" || strings.HasPrefix(k, "$setElementOrder/"):
				continue
			case strings.HasPrefix(k, "$deleteFromPrimitiveList/"):
				f := strings.TrimPrefix(k, "$deleteFromPrimitiveList/")
				var kept []interface{}
				for _, e := range getSlice(tm, f) {
					if !containsValue(v, e) {
						kept = append(kept, e)
					}
				}
				tm[f] = kept
				continue
			}
			if v == nil {
				delete(tm, k)
				continue
			}
			nv, err := strategicMerge(tm[k], v, k)
			if err != nil {
				return nil, err
			}
			if nv == nil {
				delete(tm, k)
			} else {
				tm[k] = nv
			}
		}
		return tm, nil
	case []interface{}:
		// {"$patch": "replace"} as an element replaces the whole list.
		for _, e := range p {
			if em, ok := e.(Obj); ok && em["$patch"] == "replace" {
				var out []interface{}
				for _, e2 := range p {
					if em2, ok := e2.(Obj); ok && em2["$patch"] == "replace" {
						continue
					}
					out = append(out, stripDirectives(deepCopy(e2)))
				}
				if out == nil {
					out = []interface{}{}
				}
				return out, nil
			}
		}
		key := mergeKeyFor(field)
		tl, _ := target.([]interface{})
		if key == "" {
			if primitiveMergeList(field) {
				out := append([]interface{}{}, tl...)
				for _, e := range p {
					if !containsValue(out, e) {
						out = append(out, e)
					}
				}
				return out, nil
			}
			return stripDirectives(deepCopy(p)), nil
		}
		out := make([]interface{}, 0, len(tl)+len(p))
		for _, e := range tl {
			out = append(out, deepCopy(e))
		}
		for _, e := range p {
			em, ok := e.(Obj)
			if !ok {
				return nil, fmt.Errorf("list %s: element is not an object", field)
			}
			kv := em[key]
			idx := -1
			for i, x := range out {
				if xm, ok := x.(Obj); ok && jsonEqual(xm[key], kv) {
					idx = i
					break
				}
			}
			if em["$patch"] == "delete" {
				if idx >= 0 {
					out = append(out[:idx], out[idx+1:]...)
				}
				continue
			}
			if idx >= 0 {
				merged, err := strategicMerge(out[idx], em, "")
				if err != nil {
					return nil, err
				}
				out[idx] = merged
			} else {
				out = append(out, stripDirectives(deepCopy(em)))
			}
		}
		return out, nil
	default:
		return deepCopy(patch), nil
	}
}

func containsValue(list interface{}, v interface{}) bool {
	l, _ := list.([]interface{})
	for _, x := range l {
		if jsonEqual(x, v) {
			return true
		}
	}
	return false
}

func stripDirectives(v interface{}) interface{} {
	switch t := v.(type) {
	case Obj:
		for k, x := range t {
			if strings.HasPrefix(k, "$") {
				delete(t, k)
				continue
			}
			t[k] = stripDirectives(x)
		}
	case []interface{}:
		for i, x := range t {
			t[i] = stripDirectives(x)
		}
	}
	return v
}

// ---- JSON patch (RFC 6902) ----

func splitPointer(p string) ([]string, error) {
	if p == "" {
		return nil, nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil, fmt.Errorf("invalid JSON pointer %q", p)
	}
	parts := strings.Split(p[1:], "/")
	for i, s := range parts {
		parts[i] = strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
	}
	return parts, nil
}

func pointerGet(doc interface{}, parts []string) (interface{}, error) {
	cur := doc
	for _, p := range parts {
		switch c := cur.(type) {
		case Obj:
			v, ok := c[p]
			if !ok {
				return nil, fmt.Errorf("path not found: %s", p)
			}
			cur = v
		case []interface{}:
			i, err := strconv.Atoi(p)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("index out of range: %s", p)
			}
			cur = c[i]
		default:
			return nil, fmt.Errorf("cannot traverse into %s", p)
		}
	}
	return cur, nil
}

// pointerApply replaces the container holding the last part via fn.
func pointerApply(doc interface{}, parts []string, fn func(parent interface{}, key string) (interface{}, error)) (interface{}, error) {
	if len(parts) == 0 {
		return fn(nil, "")
	}
	if len(parts) == 1 {
		return fn(doc, parts[0])
	}
	switch c := doc.(type) {
	case Obj:
		child, ok := c[parts[0]]
		if !ok {
			return nil, fmt.Errorf("path not found: %s", parts[0])
		}
		nc, err := pointerApply(child, parts[1:], fn)
		if err != nil {
			return nil, err
		}
		c[parts[0]] = nc
		return c, nil
	case []interface{}:
		i, err := strconv.Atoi(parts[0])
		if err != nil || i < 0 || i >= len(c) {
			return nil, fmt.Errorf("index out of range: %s", parts[0])
		}
		nc, err := pointerApply(c[i], parts[1:], fn)
		if err != nil {
			return nil, err
		}
		c[i] = nc
		return c, nil
	}
	return nil, fmt.Errorf("cannot traverse into %s", parts[0])
}

func jsonPatchAdd(doc interface{}, parts []string, val interface{}) (interface{}, error) {
	return pointerApply(doc, parts, func(parent interface{}, key string) (interface{}, error) {
		if parent == nil && key == "" {
			return val, nil
		}
		switch c := parent.(type) {
		case Obj:
			c[key] = val
			return c, nil
		case []interface{}:
			if key == "-" {
				return append(c, val), nil
			}
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i > len(c) {
				return nil, fmt.Errorf("index out of range: %s", key)
			}
			c = append(c, nil)
			copy(c[i+1:], c[i:])
			c[i] = val
			return c, nil
		}
		return nil, fmt.Errorf("cannot add to %T", parent)
	})
}

func jsonPatchRemove(doc interface{}, parts []string) (interface{}, error) {
	return pointerApply(doc, parts, func(parent interface{}, key string) (interface{}, error) {
		switch c := parent.(type) {
		case Obj:
			if _, ok := c[key]; !ok {
				return nil, fmt.Errorf("unable to remove nonexistent key: %s", key)
			}
			delete(c, key)
			return c, nil
		case []interface{}:
			i, err := strconv.Atoi(key)
			if err != nil || i < 0 || i >= len(c) {
				return nil, fmt.Errorf("index out of range: %s", key)
			}
			return append(c[:i], c[i+1:]...), nil
		}
		return nil, fmt.Errorf("cannot remove from %T", parent)
	})
}

func applyJSONPatch(doc interface{}, ops []interface{}) (interface{}, error) {
	for _, op := range ops {
		om, ok := op.(Obj)
		if !ok {
			return nil, fmt.Errorf("invalid JSON patch operation")
		}
		path, err := splitPointer(getStr(om, "path"))
		if err != nil {
			return nil, err
		}
		switch getStr(om, "op") {
		case "add":
			doc, err = jsonPatchAdd(doc, path, deepCopy(om["value"]))
		case "remove":
			doc, err = jsonPatchRemove(doc, path)
		case "replace":
			if len(path) == 0 {
				doc = deepCopy(om["value"])
				break
			}
			if _, err = pointerGet(doc, path); err == nil {
				if doc, err = jsonPatchRemove(doc, path); err == nil {
					doc, err = jsonPatchAdd(doc, path, deepCopy(om["value"]))
				}
			}
		case "move", "copy":
			from, err2 := splitPointer(getStr(om, "from"))
			if err2 != nil {
				return nil, err2
			}
			var v interface{}
			if v, err = pointerGet(doc, from); err == nil {
				v = deepCopy(v)
				if getStr(om, "op") == "move" {
					doc, err = jsonPatchRemove(doc, from)
				}
				if err == nil {
					doc, err = jsonPatchAdd(doc, path, v)
				}
			}
		case "test":
			var v interface{}
			if v, err = pointerGet(doc, path); err == nil && !jsonEqual(v, om["value"]) {
				err = fmt.Errorf("testing value %s failed", getStr(om, "path"))
			}
		default:
			err = fmt.Errorf("unexpected kind of operation %q", getStr(om, "op"))
		}
		if err != nil {
			return nil, err
		}
	}
	return doc, nil
}
