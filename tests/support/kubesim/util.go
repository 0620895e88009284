package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash/fnv"
	mrand "math/rand"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Obj is an API object as decoded JSON. Objects held by the store are never
// mutated; changes work on a deep copy.
type Obj = map[string]interface{}

// ---- time formats used by the API server ----

func nowTime() time.Time { return time.Now().UTC() }

// rfc3339 is metav1.Time: whole seconds.
func rfc3339(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// microTime is metav1.MicroTime.
func microTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

func parseTime(s string) (time.Time, bool) {
	for _, layout := range []string{time.RFC3339Nano, time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// ---- identifiers ----

func newUID() string {
	var b [16]byte
	rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

func randomHex(n int) string {
	b := make([]byte, (n+1)/2)
	rand.Read(b)
	return hex.EncodeToString(b)[:n]
}

// The alphabet Kubernetes uses for generated name suffixes and template
// hashes (no vowels, no confusable characters).
const safeAlphabet = "bcdfghjklmnpqrstvwxz2456789"

var rngMu sync.Mutex
var rng = mrand.New(mrand.NewSource(time.Now().UnixNano()))

func randIntn(n int) int {
	rngMu.Lock()
	defer rngMu.Unlock()
	return rng.Intn(n)
}

func randomSuffix(n int) string {
	rngMu.Lock()
	defer rngMu.Unlock()
	b := make([]byte, n)
	for i := range b {
		b[i] = safeAlphabet[rng.Intn(len(safeAlphabet))]
	}
	return string(b)
}

// safeEncode maps each byte of s into the safe alphabet (as the pod template
// hash is derived from the decimal form of a 32-bit hash).
func safeEncode(s string) string {
	b := []byte(s)
	for i, c := range b {
		b[i] = safeAlphabet[int(c)%len(safeAlphabet)]
	}
	return string(b)
}

func fnv32(data []byte) uint32 {
	h := fnv.New32a()
	h.Write(data)
	return h.Sum32()
}

// ---- generic access to decoded JSON ----

func deepCopy(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = deepCopy(x)
		}
		return m
	case []interface{}:
		s := make([]interface{}, len(t))
		for i, x := range t {
			s[i] = deepCopy(x)
		}
		return s
	case []string:
		s := make([]interface{}, len(t))
		for i, x := range t {
			s[i] = x
		}
		return s
	case map[string]string:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[k] = x
		}
		return m
	default:
		return v
	}
}

func copyObj(o Obj) Obj {
	if o == nil {
		return nil
	}
	return deepCopy(o).(Obj)
}

// get walks nested maps.
func get(o Obj, path ...string) interface{} {
	var cur interface{} = o
	for _, p := range path {
		m, ok := cur.(map[string]interface{})
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func getMap(o Obj, path ...string) Obj {
	m, _ := get(o, path...).(map[string]interface{})
	return m
}

func getSlice(o Obj, path ...string) []interface{} {
	s, _ := get(o, path...).([]interface{})
	return s
}

func getStr(o Obj, path ...string) string {
	s, _ := get(o, path...).(string)
	return s
}

func getBool(o Obj, path ...string) bool {
	b, _ := get(o, path...).(bool)
	return b
}

// toInt converts any decoded JSON number.
func toInt(v interface{}) (int64, bool) {
	switch n := v.(type) {
	case json.Number:
		if i, err := n.Int64(); err == nil {
			return i, true
		}
		f, err := n.Float64()
		return int64(f), err == nil
	case float64:
		return int64(n), true
	case int:
		return int64(n), true
	case int64:
		return n, true
	case int32:
		return int64(n), true
	}
	return 0, false
}

func getInt(o Obj, def int64, path ...string) int64 {
	if i, ok := toInt(get(o, path...)); ok {
		return i
	}
	return def
}

// ensure returns the map at path, creating empty maps on the way.
func ensure(o Obj, path ...string) Obj {
	cur := o
	for _, p := range path {
		next, ok := cur[p].(map[string]interface{})
		if !ok {
			next = Obj{}
			cur[p] = next
		}
		cur = next
	}
	return cur
}

func set(o Obj, v interface{}, path ...string) {
	parent := ensure(o, path[:len(path)-1]...)
	parent[path[len(path)-1]] = v
}

func strMap(o Obj, path ...string) map[string]string {
	m := getMap(o, path...)
	out := make(map[string]string, len(m))
	for k, v := range m {
		if s, ok := v.(string); ok {
			out[k] = s
		}
	}
	return out
}

func name(o Obj) string      { return getStr(o, "metadata", "name") }
func namespace(o Obj) string { return getStr(o, "metadata", "namespace") }
func uid(o Obj) string       { return getStr(o, "metadata", "uid") }

// decodeJSON decodes with json.Number so integers survive unchanged.
func decodeJSON(data []byte, v interface{}) error {
	d := json.NewDecoder(bytes.NewReader(data))
	d.UseNumber()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return fmt.Errorf("trailing data after JSON value")
	}
	return nil
}

// normalize turns Go-built values ([]string, map[string]string, int) into the
// decoded-JSON forms so that later comparisons see one representation.
func normalize(v interface{}) interface{} {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out interface{}
	decodeJSON(b, &out)
	return out
}

func jsonEqual(a, b interface{}) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

func mustJSON(v interface{}) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// ---- object encoding with the field order of the real API server ----

var topOrder = []string{"kind", "apiVersion", "metadata", "spec", "status"}

// encodeObject writes kind and apiVersion first, then metadata, spec, status
// and any other keys sorted. It returns the bytes and the offset just after
// kind/apiVersion, so list items (which carry no type meta) can reuse them.
func encodeObject(o Obj) ([]byte, int) {
	buf := make([]byte, 0, 2048)
	buf = append(buf, '{')
	first := true
	off := 0
	writeKV := func(k string, v interface{}) {
		if !first {
			buf = append(buf, ',')
		}
		first = false
		buf = appendString(buf, k)
		buf = append(buf, ':')
		buf = appendJSON(buf, v)
	}
	for i, k := range topOrder {
		if i == 2 {
			off = len(buf)
		}
		if v, ok := o[k]; ok {
			writeKV(k, v)
		}
	}
	var rest []string
	for k := range o {
		switch k {
		case "kind", "apiVersion", "metadata", "spec", "status":
		default:
			rest = append(rest, k)
		}
	}
	sort.Strings(rest)
	for _, k := range rest {
		writeKV(k, o[k])
	}
	buf = append(buf, '}')
	return buf, off
}

// itemBytes is the encoded object without kind/apiVersion (list items).
func itemBytes(raw []byte, off int) []byte {
	if off <= 1 {
		return raw
	}
	body := raw[off:]
	if len(body) > 0 && body[0] == ',' {
		body = body[1:]
	}
	out := make([]byte, 0, len(body)+1)
	out = append(out, '{')
	return append(out, body...)
}

// ---- misc ----

func atoiDef(s string, def int) int {
	if n, err := strconv.Atoi(s); err == nil {
		return n
	}
	return def
}

// humanDuration renders ages like kubectl ("5s", "3m2s", "10m", "5h", "3d").
func humanDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	seconds := int64(d.Round(time.Second) / time.Second)
	if seconds < 60*2 {
		return fmt.Sprintf("%ds", seconds)
	}
	minutes := int64(d / time.Minute)
	if minutes < 10 {
		s := int64(d/time.Second) % 60
		if s == 0 {
			return fmt.Sprintf("%dm", minutes)
		}
		return fmt.Sprintf("%dm%ds", minutes, s)
	} else if minutes < 60*3 {
		return fmt.Sprintf("%dm", minutes)
	}
	hours := int64(d / time.Hour)
	if hours < 8 {
		m := int64(d/time.Minute) % 60
		if m == 0 {
			return fmt.Sprintf("%dh", hours)
		}
		return fmt.Sprintf("%dh%dm", hours, m)
	} else if hours < 48 {
		return fmt.Sprintf("%dh", hours)
	} else if hours < 24*8 {
		h := hours % 24
		if h == 0 {
			return fmt.Sprintf("%dd", hours/24)
		}
		return fmt.Sprintf("%dd%dh", hours/24, h)
	} else if hours < 24*365*2 {
		return fmt.Sprintf("%dd", hours/24)
	} else if hours < 24*365*8 {
		dy := (hours / 24) % 365
		if dy == 0 {
			return fmt.Sprintf("%dy", hours/24/365)
		}
		return fmt.Sprintf("%dy%dd", hours/24/365, dy)
	}
	return fmt.Sprintf("%dy", hours/24/365)
}

func ageOf(o Obj) string {
	t, ok := parseTime(getStr(o, "metadata", "creationTimestamp"))
	if !ok {
		return "<unknown>"
	}
	return humanDuration(time.Since(t))
}

func containsStr(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func splitNonEmpty(s, sep string) []string {
	var out []string
	for _, p := range strings.Split(s, sep) {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
