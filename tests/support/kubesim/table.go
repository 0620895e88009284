package main

import (
	"fmt"
	"strings"
	"time"
)

type column struct {
	name, typ, format, desc string
	priority                int
}

func col(name, typ, desc string, prio int) column {
	c := column{name: name, typ: typ, desc: desc, priority: prio}
	if name == "Name" {
		c.format = "name"
	}
	return c
}

var nameDesc = "Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names"
var ageDesc = "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata"

func columnsFor(res *Resource) []column {
	switch res.Storage {
	case "pods":
		return []column{col("Name", "string", nameDesc, 0),
			col("Ready", "string", "The aggregate readiness state of this pod for accepting traffic.", 0),
			col("Status", "string", "The aggregate status of the containers in this pod.", 0),
			col("Restarts", "string", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.", 0),
			col("Age", "string", ageDesc, 0),
			col("IP", "string", "IP address allocated to the pod. Routable at least within the cluster. Empty if not yet allocated.", 1),
			col("Node", "string", "NodeName is a request to schedule this pod onto a specific node.", 1),
			col("Nominated Node", "string", "nominatedNodeName is set only when this pod preempts other pods on the node, but it cannot be scheduled right away as preemption victims receive their graceful termination periods.", 1),
			col("Readiness Gates", "string", "If specified, all readiness gates will be evaluated for pod readiness.", 1)}
	case "deployments":
		return []column{col("Name", "string", nameDesc, 0),
			col("Ready", "string", "Number of the pod with ready state", 0),
			col("Up-to-date", "integer", "Total number of non-terminated pods targeted by this deployment that have the desired template spec.", 0),
			col("Available", "integer", "Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.", 0),
			col("Age", "string", ageDesc, 0),
			col("Containers", "string", "Names of each container in the template.", 1),
			col("Images", "string", "Images referenced by each container in the template.", 1),
			col("Selector", "string", "Label selector for pods. Existing ReplicaSets whose pods are selected by this will be the ones affected by this deployment.", 1)}
	case "replicasets":
		return []column{col("Name", "string", nameDesc, 0),
			col("Desired", "integer", "Replicas is the number of desired pods.", 0),
			col("Current", "integer", "Replicas is the most recently observed number of replicas.", 0),
			col("Ready", "integer", "The number of ready replicas for this replica set.", 0),
			col("Age", "string", ageDesc, 0),
			col("Containers", "string", "Names of each container in the template.", 1),
			col("Images", "string", "Images referenced by each container in the template.", 1),
			col("Selector", "string", "Selector is a label query over pods that should match the replica count.", 1)}
	case "nodes":
		return []column{col("Name", "string", nameDesc, 0),
			col("Status", "string", "The status of the node", 0),
			col("Roles", "string", "The roles of the node", 0),
			col("Age", "string", ageDesc, 0),
			col("Version", "string", "Kubelet Version reported by the node.", 0),
			col("Internal-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
			col("External-IP", "string", "List of addresses reachable to the node. Queried from cloud provider, if available.", 1),
			col("OS-Image", "string", "OS Image reported by the node from /etc/os-release (e.g. Debian GNU/Linux 7 (wheezy)).", 1),
			col("Kernel-Version", "string", "Kernel Version reported by the node from 'uname -r' (e.g. 3.16.0-0.bpo.4-amd64).", 1),
			col("Container-Runtime", "string", "ContainerRuntime Version reported by the node through runtime remote API (e.g. containerd://1.4.2).", 1)}
	case "namespaces":
		return []column{col("Name", "string", nameDesc, 0),
			col("Status", "string", "The status of the namespace", 0),
			col("Age", "string", ageDesc, 0)}
	case "events":
		return []column{col("Last Seen", "string", "Time when this Event was last seen", 0),
			col("Type", "string", "Type of this event (Normal, Warning), new types could be added in the future.", 0),
			col("Reason", "string", "This should be a short, machine understandable string that gives the reason for this event being generated.", 0),
			col("Object", "string", "The object that this event is about.", 0),
			col("Subobject", "string", "The subobject that this event is about.", 1),
			col("Source", "string", "The component reporting this event. Should be a short machine understandable string.", 1),
			col("Message", "string", "A human-readable description of the status of this operation.", 0),
			col("First Seen", "string", "The time at which the event was first recorded.", 1),
			col("Count", "string", "The number of times this event has occurred.", 1),
			col("Name", "string", nameDesc, 1)}
	}
	return []column{col("Name", "string", nameDesc, 0), col("Age", "string", ageDesc, 0)}
}

func (s *Sim) table(res *Resource, objs []Obj, rv, cont, includeObject string) Obj {
	var cols []interface{}
	for _, c := range columnsFor(res) {
		cols = append(cols, Obj{"name": c.name, "type": c.typ, "format": c.format, "description": c.desc, "priority": c.priority})
	}
	rows := []interface{}{}
	for _, o := range objs {
		row := Obj{"cells": cellsFor(res, o)}
		switch includeObject {
		case "None":
		case "Object":
			row["object"] = o
		default:
			row["object"] = partialObject(o)
		}
		rows = append(rows, row)
	}
	md := Obj{}
	if rv != "" {
		md["resourceVersion"] = rv
	}
	if cont != "" {
		md["continue"] = cont
	}
	return Obj{"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": md, "columnDefinitions": cols, "rows": rows}
}

func containerNamesImages(spec Obj) (string, string) {
	var names, images []string
	for _, c := range getSlice(spec, "containers") {
		names = append(names, getStr(c.(Obj), "name"))
		images = append(images, getStr(c.(Obj), "image"))
	}
	return strings.Join(names, ","), strings.Join(images, ",")
}

func selectorString(sel Obj) string {
	var parts []string
	for k, v := range strMap(sel, "matchLabels") {
		parts = append(parts, k+"="+v)
	}
	sortStrings(parts)
	for _, e := range getSlice(sel, "matchExpressions") {
		em := e.(Obj)
		var vals []string
		for _, v := range getSlice(em, "values") {
			vals = append(vals, fmt.Sprint(v))
		}
		switch getStr(em, "operator") {
		case "In":
			parts = append(parts, fmt.Sprintf("%s in (%s)", getStr(em, "key"), strings.Join(vals, ",")))
		case "NotIn":
			parts = append(parts, fmt.Sprintf("%s notin (%s)", getStr(em, "key"), strings.Join(vals, ",")))
		case "Exists":
			parts = append(parts, getStr(em, "key"))
		case "DoesNotExist":
			parts = append(parts, "!"+getStr(em, "key"))
		}
	}
	if len(parts) == 0 {
		return "<none>"
	}
	return strings.Join(parts, ",")
}

func cellsFor(res *Resource, o Obj) []interface{} {
	switch res.Storage {
	case "pods":
		return podCells(o)
	case "deployments":
		c, i := containerNamesImages(getMap(o, "spec", "template", "spec"))
		return []interface{}{name(o),
			fmt.Sprintf("%d/%d", getInt(o, 0, "status", "readyReplicas"), getInt(o, 0, "spec", "replicas")),
			getInt(o, 0, "status", "updatedReplicas"), getInt(o, 0, "status", "availableReplicas"),
			ageOf(o), c, i, selectorString(getMap(o, "spec", "selector"))}
	case "replicasets":
		c, i := containerNamesImages(getMap(o, "spec", "template", "spec"))
		return []interface{}{name(o), getInt(o, 0, "spec", "replicas"), getInt(o, 0, "status", "replicas"),
			getInt(o, 0, "status", "readyReplicas"), ageOf(o), c, i, selectorString(getMap(o, "spec", "selector"))}
	case "nodes":
		status := "Unknown"
		for _, c := range getSlice(o, "status", "conditions") {
			cm := c.(Obj)
			if getStr(cm, "type") == "Ready" {
				if getStr(cm, "status") == "True" {
					status = "Ready"
				} else {
					status = "NotReady"
				}
			}
		}
		if getBool(o, "spec", "unschedulable") {
			status += ",SchedulingDisabled"
		}
		var roles []string
		for k := range labelsOf(o) {
			if strings.HasPrefix(k, "node-role.kubernetes.io/") {
				roles = append(roles, strings.TrimPrefix(k, "node-role.kubernetes.io/"))
			}
		}
		sortStrings(roles)
		r := "<none>"
		if len(roles) > 0 {
			r = strings.Join(roles, ",")
		}
		internal := "<none>"
		for _, a := range getSlice(o, "status", "addresses") {
			if getStr(a.(Obj), "type") == "InternalIP" {
				internal = getStr(a.(Obj), "address")
			}
		}
		return []interface{}{name(o), status, r, ageOf(o), getStr(o, "status", "nodeInfo", "kubeletVersion"),
			internal, "<none>", getStr(o, "status", "nodeInfo", "osImage"),
			getStr(o, "status", "nodeInfo", "kernelVersion"), getStr(o, "status", "nodeInfo", "containerRuntimeVersion")}
	case "namespaces":
		return []interface{}{name(o), getStr(o, "status", "phase"), ageOf(o)}
	case "events":
		return eventCells(o)
	}
	return []interface{}{name(o), ageOf(o)}
}

func sinceStr(ts string) string {
	t, ok := parseTime(ts)
	if !ok {
		return "<unknown>"
	}
	return humanDuration(time.Since(t))
}

func eventCells(o Obj) []interface{} {
	// Accept either shape.
	ref := getMap(o, "involvedObject")
	if ref == nil {
		ref = getMap(o, "regarding")
	}
	msg := getStr(o, "message")
	if msg == "" {
		msg = getStr(o, "note")
	}
	last := getStr(o, "lastTimestamp")
	if last == "" {
		last = getStr(o, "deprecatedLastTimestamp")
	}
	if last == "" {
		last = getStr(o, "eventTime")
	}
	if s := getStr(o, "series", "lastObservedTime"); s != "" {
		last = s
	}
	first := getStr(o, "firstTimestamp")
	if first == "" {
		first = getStr(o, "eventTime")
	}
	src := getStr(o, "source", "component")
	if src == "" {
		src = getStr(o, "reportingComponent")
	}
	if h := getStr(o, "source", "host"); h != "" {
		src += ", " + h
	}
	count := getInt(o, 1, "count")
	if n := getInt(o, 0, "series", "count"); n > 0 {
		count = n
	}
	objStr := strings.ToLower(getStr(ref, "kind")) + "/" + getStr(ref, "name")
	return []interface{}{sinceStr(last), getStr(o, "type"), getStr(o, "reason"), objStr, getStr(ref, "fieldPath"),
		src, msg, sinceStr(first), fmt.Sprint(count), name(o)}
}

func podCells(o Obj) []interface{} {
	cs := getSlice(o, "spec", "containers")
	reason := getStr(o, "status", "phase")
	if r := getStr(o, "status", "reason"); r != "" {
		reason = r
	}
	ready := 0
	restarts := int64(0)
	var lastRestart time.Time
	statuses := getSlice(o, "status", "containerStatuses")
	for i := len(statuses) - 1; i >= 0; i-- {
		st := statuses[i].(Obj)
		restarts += getInt(st, 0, "restartCount")
		if t, ok := parseTime(getStr(st, "lastState", "terminated", "finishedAt")); ok && t.After(lastRestart) {
			lastRestart = t
		}
		if w := getStr(st, "state", "waiting", "reason"); w != "" {
			reason = w
		} else if term := getMap(st, "state", "terminated"); term != nil {
			if r := getStr(term, "reason"); r != "" {
				reason = r
			} else {
				reason = fmt.Sprintf("ExitCode:%d", getInt(term, 0, "exitCode"))
			}
		} else if getMap(st, "state", "running") != nil && getBool(st, "ready") {
			ready++
		}
	}
	if get(o, "metadata", "deletionTimestamp") != nil {
		reason = "Terminating"
	}
	rs := fmt.Sprint(restarts)
	if !lastRestart.IsZero() {
		rs = fmt.Sprintf("%d (%s ago)", restarts, humanDuration(time.Since(lastRestart)))
	}
	ip := getStr(o, "status", "podIP")
	if ip == "" {
		ip = "<none>"
	}
	node := getStr(o, "spec", "nodeName")
	if node == "" {
		node = "<none>"
	}
	nominated := getStr(o, "status", "nominatedNodeName")
	if nominated == "" {
		nominated = "<none>"
	}
	return []interface{}{name(o), fmt.Sprintf("%d/%d", ready, len(cs)), reason, rs, ageOf(o), ip, node, nominated, "<none>"}
}
