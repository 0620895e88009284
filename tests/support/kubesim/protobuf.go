package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// kubectl's typed clients (kubectl create namespace, kubectl create
// deployment) send request bodies as application/vnd.kubernetes.protobuf.
// This decodes the envelope (magic "k8s\x00" + runtime.Unknown) and the
// fields of Namespace, Deployment and Pod that such commands write. A field
// outside this schema makes the request fail loudly (415) rather than be
// dropped.

type pbKind int

const (
	pbString pbKind = iota
	pbInt
	pbBool
	pbMsg
	pbMapStr      // map<string,string>
	pbMapQuantity // map<string,Quantity>
	pbIntOrString
	pbTime
	pbBytes
)

type pbField struct {
	name     string
	kind     pbKind
	msg      string
	repeated bool
	pointer  bool // optional pointer field: zero values are kept
}

var pbSchema = map[string]map[int]pbField{
	"Unknown":  {1: {name: "typeMeta", kind: pbMsg, msg: "TypeMeta"}, 2: {name: "raw", kind: pbBytes}, 3: {name: "contentEncoding"}, 4: {name: "contentType"}},
	"TypeMeta": {1: {name: "apiVersion"}, 2: {name: "kind"}},
	"ObjectMeta": {
		1: {name: "name"}, 2: {name: "generateName"}, 3: {name: "namespace"}, 4: {name: "selfLink"},
		5: {name: "uid"}, 6: {name: "resourceVersion"}, 7: {name: "generation", kind: pbInt},
		8: {name: "creationTimestamp", kind: pbTime}, 9: {name: "deletionTimestamp", kind: pbTime},
		10: {name: "deletionGracePeriodSeconds", kind: pbInt, pointer: true},
		11: {name: "labels", kind: pbMapStr}, 12: {name: "annotations", kind: pbMapStr},
		13: {name: "ownerReferences", kind: pbMsg, msg: "OwnerReference", repeated: true},
		14: {name: "finalizers", repeated: true},
	},
	"OwnerReference": {1: {name: "kind"}, 3: {name: "name"}, 4: {name: "uid"}, 5: {name: "apiVersion"},
		6: {name: "controller", kind: pbBool, pointer: true}, 7: {name: "blockOwnerDeletion", kind: pbBool, pointer: true}},
	"Namespace":       {1: {name: "metadata", kind: pbMsg, msg: "ObjectMeta"}, 2: {name: "spec", kind: pbMsg, msg: "NamespaceSpec"}, 3: {name: "status", kind: pbMsg, msg: "NamespaceStatus"}},
	"NamespaceSpec":   {1: {name: "finalizers", repeated: true}},
	"NamespaceStatus": {1: {name: "phase"}},
	"Deployment":      {1: {name: "metadata", kind: pbMsg, msg: "ObjectMeta"}, 2: {name: "spec", kind: pbMsg, msg: "DeploymentSpec"}, 3: {name: "status", kind: pbMsg, msg: "Ignored"}},
	"DeploymentSpec": {
		1: {name: "replicas", kind: pbInt, pointer: true}, 2: {name: "selector", kind: pbMsg, msg: "LabelSelector"},
		3: {name: "template", kind: pbMsg, msg: "PodTemplateSpec"}, 4: {name: "strategy", kind: pbMsg, msg: "DeploymentStrategy"},
		5: {name: "minReadySeconds", kind: pbInt}, 6: {name: "revisionHistoryLimit", kind: pbInt, pointer: true},
		7: {name: "paused", kind: pbBool}, 9: {name: "progressDeadlineSeconds", kind: pbInt, pointer: true},
	},
	"DeploymentStrategy":       {1: {name: "type"}, 2: {name: "rollingUpdate", kind: pbMsg, msg: "RollingUpdateDeployment"}},
	"RollingUpdateDeployment":  {1: {name: "maxUnavailable", kind: pbIntOrString}, 2: {name: "maxSurge", kind: pbIntOrString}},
	"LabelSelector":            {1: {name: "matchLabels", kind: pbMapStr}, 2: {name: "matchExpressions", kind: pbMsg, msg: "LabelSelectorRequirement", repeated: true}},
	"LabelSelectorRequirement": {1: {name: "key"}, 2: {name: "operator"}, 3: {name: "values", repeated: true}},
	"PodTemplateSpec":          {1: {name: "metadata", kind: pbMsg, msg: "ObjectMeta"}, 2: {name: "spec", kind: pbMsg, msg: "PodSpec"}},
	"Pod":                      {1: {name: "metadata", kind: pbMsg, msg: "ObjectMeta"}, 2: {name: "spec", kind: pbMsg, msg: "PodSpec"}, 3: {name: "status", kind: pbMsg, msg: "Ignored"}},
	"PodSpec": {
		2: {name: "containers", kind: pbMsg, msg: "Container", repeated: true}, 3: {name: "restartPolicy"},
		4: {name: "terminationGracePeriodSeconds", kind: pbInt, pointer: true}, 5: {name: "activeDeadlineSeconds", kind: pbInt, pointer: true},
		6: {name: "dnsPolicy"}, 7: {name: "nodeSelector", kind: pbMapStr}, 8: {name: "serviceAccountName"},
		9: {name: "serviceAccount"}, 10: {name: "nodeName"}, 11: {name: "hostNetwork", kind: pbBool},
		12: {name: "hostPID", kind: pbBool}, 13: {name: "hostIPC", kind: pbBool}, 16: {name: "hostname"}, 17: {name: "subdomain"},
		14: {name: "securityContext", kind: pbMsg, msg: "PodSecurityContext"}, 19: {name: "schedulerName"},
		20: {name: "initContainers", kind: pbMsg, msg: "Container", repeated: true},
		21: {name: "automountServiceAccountToken", kind: pbBool, pointer: true},
		22: {name: "tolerations", kind: pbMsg, msg: "Toleration", repeated: true}, 24: {name: "priorityClassName"},
		25: {name: "priority", kind: pbInt, pointer: true}, 30: {name: "enableServiceLinks", kind: pbBool, pointer: true},
		31: {name: "preemptionPolicy", pointer: true},
	},
	"PodSecurityContext": {2: {name: "runAsUser", kind: pbInt, pointer: true}, 3: {name: "runAsNonRoot", kind: pbBool, pointer: true},
		5: {name: "fsGroup", kind: pbInt, pointer: true}, 6: {name: "runAsGroup", kind: pbInt, pointer: true}},
	"Toleration": {1: {name: "key"}, 2: {name: "operator"}, 3: {name: "value"}, 4: {name: "effect"}, 5: {name: "tolerationSeconds", kind: pbInt, pointer: true}},
	"Container": {
		1: {name: "name"}, 2: {name: "image"}, 3: {name: "command", repeated: true}, 4: {name: "args", repeated: true},
		5: {name: "workingDir"}, 6: {name: "ports", kind: pbMsg, msg: "ContainerPort", repeated: true},
		7: {name: "env", kind: pbMsg, msg: "EnvVar", repeated: true}, 8: {name: "resources", kind: pbMsg, msg: "ResourceRequirements"},
		13: {name: "terminationMessagePath"}, 14: {name: "imagePullPolicy"}, 16: {name: "stdin", kind: pbBool},
		17: {name: "stdinOnce", kind: pbBool}, 18: {name: "tty", kind: pbBool}, 20: {name: "terminationMessagePolicy"},
	},
	"ContainerPort":        {1: {name: "name"}, 2: {name: "hostPort", kind: pbInt}, 3: {name: "containerPort", kind: pbInt}, 4: {name: "protocol"}, 5: {name: "hostIP"}},
	"EnvVar":               {1: {name: "name"}, 2: {name: "value"}},
	"ResourceRequirements": {1: {name: "limits", kind: pbMapQuantity}, 2: {name: "requests", kind: pbMapQuantity}},
	"Ignored":              {},
}

// Messages whose JSON form is kept even when empty ({}).
var pbKeepEmpty = map[string]bool{"resources": true, "securityContext": true, "strategy": true, "spec": true, "metadata": true}

var errPBUnsupported = errors.New("unsupported protobuf content")

type pbReader struct {
	b []byte
	i int
}

func (r *pbReader) varint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.i:])
	if n <= 0 {
		return 0, errors.New("bad varint")
	}
	r.i += n
	return v, nil
}

func (r *pbReader) bytes() ([]byte, error) {
	n, err := r.varint()
	if err != nil || r.i+int(n) > len(r.b) || int(n) < 0 {
		return nil, errors.New("bad length")
	}
	out := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return out, nil
}

// pbMessage decodes one message of the schema into a JSON-shaped map.
func pbMessage(data []byte, msg string) (Obj, error) {
	schema, ok := pbSchema[msg]
	if !ok {
		return nil, fmt.Errorf("%w: message %s", errPBUnsupported, msg)
	}
	out := Obj{}
	r := &pbReader{b: data}
	for r.i < len(r.b) {
		key, err := r.varint()
		if err != nil {
			return nil, err
		}
		num, wire := int(key>>3), int(key&7)
		if msg == "Ignored" {
			if err := r.skip(wire); err != nil {
				return nil, err
			}
			continue
		}
		f, ok := schema[num]
		if !ok {
			// Non-pointer fields are always encoded; a zero value of a
			// field outside the schema carries nothing and is skipped.
			start := r.i
			if err := r.skip(wire); err != nil {
				return nil, err
			}
			if zero := (wire == 0 && r.b[start] == 0) || (wire == 2 && r.b[start] == 0); !zero {
				return nil, fmt.Errorf("%w: field %d of %s", errPBUnsupported, num, msg)
			}
			continue
		}
		var val interface{}
		switch wire {
		case 0:
			v, err := r.varint()
			if err != nil {
				return nil, err
			}
			switch f.kind {
			case pbBool:
				val = v != 0
			case pbInt:
				val = json64(int64(v))
			default:
				return nil, fmt.Errorf("%w: varint for %s.%s", errPBUnsupported, msg, f.name)
			}
		case 2:
			b, err := r.bytes()
			if err != nil {
				return nil, err
			}
			switch f.kind {
			case pbString:
				val = string(b)
			case pbBytes:
				val = b
			case pbMsg:
				m, err := pbMessage(b, f.msg)
				if err != nil {
					return nil, err
				}
				val = m
			case pbMapStr, pbMapQuantity:
				k, v, err := pbMapEntry(b, f.kind == pbMapQuantity)
				if err != nil {
					return nil, err
				}
				m, _ := out[f.name].(Obj)
				if m == nil {
					m = Obj{}
					out[f.name] = m
				}
				m[k] = v
				continue
			case pbIntOrString:
				val, err = pbIntOrStr(b)
				if err != nil {
					return nil, err
				}
			case pbTime:
				t, err := pbTimeValue(b)
				if err != nil {
					return nil, err
				}
				val = t
				if t == "" {
					val = nil // the zero time: JSON null
				}
			default:
				return nil, fmt.Errorf("%w: bytes for %s.%s", errPBUnsupported, msg, f.name)
			}
		default:
			return nil, fmt.Errorf("%w: wire type %d in %s", errPBUnsupported, wire, msg)
		}
		if f.repeated {
			l, _ := out[f.name].([]interface{})
			out[f.name] = append(l, val)
		} else {
			out[f.name] = val
		}
	}
	// Non-pointer zero values are what JSON's omitempty leaves out.
	for num, f := range schema {
		_ = num
		v, ok := out[f.name]
		if !ok || f.pointer {
			continue
		}
		switch t := v.(type) {
		case string:
			if t == "" {
				delete(out, f.name)
			}
		case bool:
			if !t {
				delete(out, f.name)
			}
		case Obj:
			if len(t) == 0 && !pbKeepEmpty[f.name] {
				delete(out, f.name)
			}
		default:
			if n, ok := toInt(v); ok && n == 0 && f.kind == pbInt {
				delete(out, f.name)
			}
		}
	}
	return out, nil
}

func json64(v int64) interface{} { return v }

func (r *pbReader) skip(wire int) error {
	switch wire {
	case 0:
		_, err := r.varint()
		return err
	case 1:
		r.i += 8
	case 2:
		_, err := r.bytes()
		return err
	case 5:
		r.i += 4
	default:
		return errors.New("bad wire type")
	}
	if r.i > len(r.b) {
		return errors.New("truncated")
	}
	return nil
}

func pbMapEntry(b []byte, quantity bool) (string, interface{}, error) {
	r := &pbReader{b: b}
	var k string
	var v interface{} = ""
	for r.i < len(r.b) {
		key, err := r.varint()
		if err != nil {
			return "", nil, err
		}
		data, err := r.bytes()
		if err != nil {
			return "", nil, err
		}
		switch key >> 3 {
		case 1:
			k = string(data)
		case 2:
			if quantity {
				q, err := pbMessageQuantity(data)
				if err != nil {
					return "", nil, err
				}
				v = q
			} else {
				v = string(data)
			}
		}
	}
	return k, v, nil
}

func pbMessageQuantity(b []byte) (string, error) {
	r := &pbReader{b: b}
	s := ""
	for r.i < len(r.b) {
		key, err := r.varint()
		if err != nil {
			return "", err
		}
		data, err := r.bytes()
		if err != nil {
			return "", err
		}
		if key>>3 == 1 {
			s = string(data)
		}
	}
	return s, nil
}

func pbIntOrStr(b []byte) (interface{}, error) {
	r := &pbReader{b: b}
	var typ, iv uint64
	var sv string
	for r.i < len(r.b) {
		key, err := r.varint()
		if err != nil {
			return nil, err
		}
		switch key >> 3 {
		case 1:
			typ, err = r.varint()
		case 2:
			iv, err = r.varint()
		case 3:
			var data []byte
			data, err = r.bytes()
			sv = string(data)
		default:
			err = r.skip(int(key & 7))
		}
		if err != nil {
			return nil, err
		}
	}
	if typ == 1 {
		return sv, nil
	}
	return int64(int32(iv)), nil
}

func pbTimeValue(b []byte) (string, error) {
	r := &pbReader{b: b}
	var secs, nanos uint64
	for r.i < len(r.b) {
		key, err := r.varint()
		if err != nil {
			return "", err
		}
		switch key >> 3 {
		case 1:
			secs, err = r.varint()
		case 2:
			nanos, err = r.varint()
		default:
			err = r.skip(int(key & 7))
		}
		if err != nil {
			return "", err
		}
	}
	if secs > math.MaxInt64 {
		return "", errors.New("bad time")
	}
	if secs == 0 && nanos == 0 {
		return "", nil
	}
	return rfc3339(time.Unix(int64(secs), int64(nanos))), nil
}

// decodeProtobufObject decodes a protobuf request body into a JSON-shaped
// object.
func decodeProtobufObject(data []byte) (Obj, error) {
	magic := []byte{'k', '8', 's', 0}
	if !bytes.HasPrefix(data, magic) {
		return nil, errors.New("missing protobuf envelope")
	}
	u, err := pbMessage(data[len(magic):], "Unknown")
	if err != nil {
		return nil, err
	}
	kind := getStr(u, "typeMeta", "kind")
	if _, ok := pbSchema[kind]; !ok || kind == "Unknown" || kind == "TypeMeta" {
		return nil, fmt.Errorf("%w: kind %q", errPBUnsupported, kind)
	}
	raw, _ := u["raw"].([]byte)
	o, err := pbMessage(raw, kind)
	if err != nil {
		return nil, err
	}
	o["kind"] = kind
	o["apiVersion"] = getStr(u, "typeMeta", "apiVersion")
	return normalize(o).(Obj), nil
}
