package main

import (
	"encoding/binary"
	"testing"
	"time"
)

func mustDecode(t *testing.T, s string) interface{} {
	t.Helper()
	var v interface{}
	if err := decodeJSON([]byte(s), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestStrategicMergeContainersByName(t *testing.T) {
	cur := mustDecode(t, `{"spec":{"template":{"spec":{"containers":[
		{"name":"app","image":"a:v1","ports":[{"containerPort":6060}]},
		{"name":"side","image":"s:v1","env":[{"name":"A","value":"1"}]}]}}}}`)
	patch := mustDecode(t, `{"spec":{"template":{"spec":{
		"$setElementOrder/containers":[{"name":"app"},{"name":"side"}],
		"containers":[{"name":"app","image":"a:v2"},{"name":"side","env":[{"name":"B","value":"2"}]},{"name":"new","image":"n"}]}}}}`)
	out, err := strategicMerge(cur, patch, "")
	if err != nil {
		t.Fatal(err)
	}
	want := mustDecode(t, `{"spec":{"template":{"spec":{"containers":[
		{"name":"app","image":"a:v2","ports":[{"containerPort":6060}]},
		{"name":"side","image":"s:v1","env":[{"name":"A","value":"1"},{"name":"B","value":"2"}]},
		{"name":"new","image":"n"}]}}}}`)
	if !jsonEqual(out, want) {
		t.Fatalf("got %s", mustJSON(out))
	}
	del := mustDecode(t, `{"spec":{"template":{"spec":{"containers":[{"name":"new","$patch":"delete"}]}}}}`)
	out, _ = strategicMerge(out, del, "")
	if n := len(getSlice(out.(Obj), "spec", "template", "spec", "containers")); n != 2 {
		t.Fatalf("delete directive: %d containers", n)
	}
	// Lists without a merge key are replaced; null deletes.
	out, _ = strategicMerge(mustDecode(t, `{"a":[1,2],"b":1,"tolerations":[{"key":"x"}]}`),
		mustDecode(t, `{"a":[3],"b":null,"tolerations":[{"key":"y"}]}`), "")
	if !jsonEqual(out, mustDecode(t, `{"a":[3],"tolerations":[{"key":"y"}]}`)) {
		t.Fatalf("got %s", mustJSON(out))
	}
}

func TestMergeAndJSONPatch(t *testing.T) {
	out := mergePatch(mustDecode(t, `{"a":{"b":1,"c":2},"l":[1]}`), mustDecode(t, `{"a":{"b":null,"d":3},"l":[2,3]}`))
	if !jsonEqual(out, mustDecode(t, `{"a":{"c":2,"d":3},"l":[2,3]}`)) {
		t.Fatalf("merge: %s", mustJSON(out))
	}
	doc := mustDecode(t, `{"spec":{"replicas":1,"l":["a","b"]},"metadata":{"labels":{"x/y":"1"}}}`)
	ops := mustDecode(t, `[{"op":"replace","path":"/spec/replicas","value":3},
		{"op":"add","path":"/spec/l/1","value":"z"},{"op":"add","path":"/spec/l/-","value":"end"},
		{"op":"remove","path":"/metadata/labels/x~1y"},{"op":"test","path":"/spec/replicas","value":3},
		{"op":"copy","from":"/spec/replicas","path":"/spec/copy"},{"op":"move","from":"/spec/copy","path":"/moved"}]`).([]interface{})
	got, err := applyJSONPatch(doc, ops)
	if err != nil {
		t.Fatal(err)
	}
	want := mustDecode(t, `{"spec":{"replicas":3,"l":["a","z","b","end"]},"metadata":{"labels":{}},"moved":3}`)
	if !jsonEqual(got, want) {
		t.Fatalf("json patch: %s", mustJSON(got))
	}
	if _, err := applyJSONPatch(want, mustDecode(t, `[{"op":"test","path":"/moved","value":4}]`).([]interface{})); err == nil {
		t.Fatal("failed test op must fail the patch")
	}
}

func TestLabelSelectors(t *testing.T) {
	labels := map[string]string{"app": "web", "tier": "fe", "n": "5"}
	cases := map[string]bool{
		"app=web": true, "app==web": true, "app!=web": false, "app!=db": true, "missing!=x": true,
		"tier in (fe, be)": true, "tier notin (fe)": false, "missing notin (x)": true, "tier": true,
		"!tier": false, "!missing": true, "app=web,tier=be": false, "n>4": true, "n<5": false, "": true,
	}
	for s, want := range cases {
		sel, err := parseLabelSelector(s)
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := sel.Matches(labels); got != want {
			t.Errorf("%q: got %v want %v", s, got, want)
		}
	}
	for _, bad := range []string{"app in (a", "a b", "=x", "app=bad value"} {
		if _, err := parseLabelSelector(bad); err == nil {
			t.Errorf("%q should not parse", bad)
		}
	}
}

func TestFieldSelectors(t *testing.T) {
	pods := findResource("", "v1", "pods")
	pod := mustDecode(t, `{"metadata":{"name":"p","namespace":"ns"},"spec":{"nodeName":"n1"},"status":{"phase":"Running"}}`).(Obj)
	for s, want := range map[string]bool{"spec.nodeName=n1": true, "status.phase!=Running": false,
		"metadata.name==p,metadata.namespace=ns": true, "spec.nodeName=": false} {
		fs, err := parseFieldSelector(s)
		if err != nil || fs.Validate(pods) != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if got := fs.Matches(pods, pod); got != want {
			t.Errorf("%q: got %v", s, got)
		}
	}
	fs, _ := parseFieldSelector("spec.bogus=1")
	if fs.Validate(pods) == nil {
		t.Fatal("unknown field label accepted")
	}
	evs := findResource("events.k8s.io", "v1", "events")
	fs, _ = parseFieldSelector("regarding.name=p,reason=Pulled")
	if fs.Validate(evs) != nil || !fs.Matches(evs, mustDecode(t, `{"involvedObject":{"name":"p"},"reason":"Pulled"}`).(Obj)) {
		t.Fatal("events.k8s.io field selector")
	}
}

func TestFenceposts(t *testing.T) {
	for _, c := range []struct {
		surge, unavail interface{}
		replicas       int64
		ws, wu         int64
	}{
		{"25%", "25%", 10, 3, 2}, {"25%", "25%", 3, 1, 0}, {1, 0, 3, 1, 0}, {0, 0, 3, 0, 1}, {"50%", "50%", 5, 3, 2},
	} {
		d := normalize(Obj{"spec": Obj{"replicas": c.replicas, "strategy": Obj{"type": "RollingUpdate",
			"rollingUpdate": Obj{"maxSurge": c.surge, "maxUnavailable": c.unavail}}}}).(Obj)
		s, u := fenceposts(d)
		if s != c.ws || u != c.wu {
			t.Errorf("%v/%v of %d: got %d/%d want %d/%d", c.surge, c.unavail, c.replicas, s, u, c.ws, c.wu)
		}
	}
}

func TestHumanDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{5 * time.Second: "5s", 119 * time.Second: "119s",
		150 * time.Second: "2m30s", 10 * time.Minute: "10m", 5 * time.Hour: "5h", 30 * time.Hour: "30h",
		50 * time.Hour: "2d2h", 10 * 24 * time.Hour: "10d"} {
		if got := humanDuration(d); got != want {
			t.Errorf("%v: got %q want %q", d, got, want)
		}
	}
}

func pbEnc(num int, wire int, payload []byte) []byte {
	b := binary.AppendUvarint(nil, uint64(num<<3|wire))
	if wire == 2 {
		b = binary.AppendUvarint(b, uint64(len(payload)))
	}
	return append(b, payload...)
}

func TestProtobufNamespace(t *testing.T) {
	label := append(pbEnc(1, 2, []byte("team")), pbEnc(2, 2, []byte("x"))...)
	meta := append(pbEnc(1, 2, []byte("ns1")), pbEnc(11, 2, label)...)
	meta = append(meta, pbEnc(2, 2, nil)...)       // empty generateName (always encoded)
	meta = append(meta, pbEnc(15, 2, nil)...)      // unknown but empty: skipped
	meta = append(meta, pbEnc(7, 0, []byte{0})...) // generation 0
	ns := append(pbEnc(1, 2, meta), pbEnc(2, 2, nil)...)
	tm := append(pbEnc(1, 2, []byte("v1")), pbEnc(2, 2, []byte("Namespace"))...)
	unknown := append(pbEnc(1, 2, tm), pbEnc(2, 2, ns)...)
	o, err := decodeProtobufObject(append([]byte("k8s\x00"), unknown...))
	if err != nil {
		t.Fatal(err)
	}
	want := mustDecode(t, `{"kind":"Namespace","apiVersion":"v1","metadata":{"name":"ns1","labels":{"team":"x"}},"spec":{}}`)
	if !jsonEqual(o, want) {
		t.Fatalf("got %s", mustJSON(o))
	}
	bad := append(pbEnc(1, 2, tm), pbEnc(2, 2, append(pbEnc(1, 2, meta), pbEnc(9, 2, []byte("x"))...))...)
	if _, err := decodeProtobufObject(append([]byte("k8s\x00"), bad...)); err == nil {
		t.Fatal("unknown non-empty field must be rejected")
	}
}

func TestStoreSnapshotPaging(t *testing.T) {
	s := newStore(100)
	for _, n := range []string{"a", "b", "c", "d"} {
		s.Create("pods", Obj{"metadata": Obj{"name": n, "namespace": "ns"}})
	}
	p1, _ := s.ListPage("pods", "ns", 0, "", 2, nil, true)
	if len(p1.Items) != 2 || p1.LastKey != "ns/b" || p1.Remaining != 2 {
		t.Fatalf("page 1: %+v", p1)
	}
	s.Delete("pods", "ns/c")
	s.Create("pods", Obj{"metadata": Obj{"name": "bb", "namespace": "ns"}})
	s.Update("pods", "ns/d", func(o Obj) error { o["x"] = 1; return nil })
	p2, _ := s.ListPage("pods", "ns", p1.RV, p1.LastKey, 2, nil, true)
	var names []string
	for _, it := range p2.Items {
		names = append(names, name(it.Obj))
		if it.Obj["x"] != nil {
			t.Fatal("page 2 must show the snapshot, not the update")
		}
	}
	if len(names) != 2 || names[0] != "c" || names[1] != "d" || p2.LastKey != "" {
		t.Fatalf("page 2: %v %+v", names, p2)
	}
	s.Compact()
	if p, _ := s.ListPage("pods", "ns", p1.RV, p1.LastKey, 2, nil, true); p != nil {
		t.Fatal("snapshot before compaction must be gone")
	}
}
