package main

import (
	"errors"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Item is one stored version of an object. Items are immutable.
type Item struct {
	Storage string
	Key     string // "ns/name" or "name"
	Obj     Obj
	RV      uint64
	Raw     []byte // full JSON (kind, apiVersion first)
	Off     int    // offset after kind/apiVersion
	// Alternate view (events.k8s.io/v1 for events).
	Raw2 []byte
	Off2 int
	Obj2 Obj
}

// Change is one entry of the global change log (what watches replay).
type Change struct {
	RV      uint64
	Type    string // ADDED, MODIFIED, DELETED
	Storage string
	Key     string
	Old     *Item // nil for ADDED
	New     *Item // for DELETED: the last state, with the deletion's RV
}

type bucket struct {
	items  map[string]*Item
	sorted []string
}

func (b *bucket) insertKey(k string) {
	i := sort.SearchStrings(b.sorted, k)
	if i < len(b.sorted) && b.sorted[i] == k {
		return
	}
	b.sorted = append(b.sorted, "")
	copy(b.sorted[i+1:], b.sorted[i:])
	b.sorted[i] = k
}

func (b *bucket) removeKey(k string) {
	i := sort.SearchStrings(b.sorted, k)
	if i < len(b.sorted) && b.sorted[i] == k {
		b.sorted = append(b.sorted[:i], b.sorted[i+1:]...)
	}
}

// Store holds every object, a single resourceVersion counter and the change
// log. One lock guards everything.
type Store struct {
	mu         sync.RWMutex
	rv         uint64
	buckets    map[string]*bucket
	history    []*Change
	minRV      uint64 // changes after minRV are all in history
	historyMax int

	notify    chan struct{} // closed on every commit
	faultCh   chan struct{} // closed on drop/expire faults
	dropGen   uint64
	expireGen uint64

	hooks []func(c *Change) // run under the lock; must not call the store
}

var errNoChange = errors.New("no change")

func newStore(historyMax int) *Store {
	if historyMax <= 0 {
		historyMax = 100000
	}
	return &Store{buckets: map[string]*bucket{}, historyMax: historyMax,
		notify: make(chan struct{}), faultCh: make(chan struct{})}
}

func keyOf(ns, n string) string {
	if ns == "" {
		return n
	}
	return ns + "/" + n
}

func (s *Store) bucket(storage string) *bucket {
	b := s.buckets[storage]
	if b == nil {
		b = &bucket{items: map[string]*Item{}}
		s.buckets[storage] = b
	}
	return b
}

func (s *Store) onChange(f func(c *Change)) {
	s.mu.Lock()
	s.hooks = append(s.hooks, f)
	s.mu.Unlock()
}

// makeItem stamps the resourceVersion and encodes the object.
func makeItem(storage, key string, o Obj, rv uint64) *Item {
	ensure(o, "metadata")["resourceVersion"] = strconv.FormatUint(rv, 10)
	it := &Item{Storage: storage, Key: key, Obj: o, RV: rv}
	it.Raw, it.Off = encodeObject(o)
	if storage == "events" {
		it.Obj2 = eventToEventsV1(o)
		it.Raw2, it.Off2 = encodeObject(it.Obj2)
	}
	return it
}

// commit appends a change; caller holds the write lock.
func (s *Store) commit(c *Change) {
	s.history = append(s.history, c)
	if len(s.history) > s.historyMax {
		drop := len(s.history) - s.historyMax
		// Amortize: trim in chunks.
		if drop >= s.historyMax/8 || drop > 4096 {
			s.minRV = s.history[drop-1].RV
			s.history = append([]*Change(nil), s.history[drop:]...)
		}
	}
	for _, h := range s.hooks {
		h(c)
	}
	close(s.notify)
	s.notify = make(chan struct{})
}

func (s *Store) oldestResumable() uint64 {
	if len(s.history) > s.historyMax {
		return s.history[len(s.history)-s.historyMax-1].RV
	}
	return s.minRV
}

// Create stores a new object; o is owned by the store afterwards.
func (s *Store) Create(storage string, o Obj) (*Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.createLocked(storage, o)
}

func (s *Store) createLocked(storage string, o Obj) (*Item, error) {
	key := keyOf(namespace(o), name(o))
	b := s.bucket(storage)
	if _, ok := b.items[key]; ok {
		return nil, errExists
	}
	s.rv++
	it := makeItem(storage, key, o, s.rv)
	b.items[key] = it
	b.insertKey(key)
	s.commit(&Change{RV: s.rv, Type: "ADDED", Storage: storage, Key: key, New: it})
	return it, nil
}

var errExists = errors.New("exists")
var errMissing = errors.New("missing")

// Update applies fn to a copy of the current object. fn may return
// errNoChange (or make no change) to leave the object alone.
func (s *Store) Update(storage, key string, fn func(o Obj) error) (*Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.updateLocked(storage, key, fn)
}

func (s *Store) updateLocked(storage, key string, fn func(o Obj) error) (*Item, error) {
	b := s.bucket(storage)
	old, ok := b.items[key]
	if !ok {
		return nil, errMissing
	}
	o := copyObj(old.Obj)
	if err := fn(o); err != nil {
		if err == errNoChange {
			return old, nil
		}
		return nil, err
	}
	// Objects keep their identity.
	md := ensure(o, "metadata")
	md["name"] = name(old.Obj)
	if ns := namespace(old.Obj); ns != "" {
		md["namespace"] = ns
	}
	md["uid"] = uid(old.Obj)
	md["creationTimestamp"] = get(old.Obj, "metadata", "creationTimestamp")
	md["resourceVersion"] = get(old.Obj, "metadata", "resourceVersion")
	if storage == "deployments" || storage == "replicasets" {
		md["generation"] = get(old.Obj, "metadata", "generation")
		if !jsonEqual(old.Obj["spec"], o["spec"]) ||
			(get(old.Obj, "metadata", "deletionTimestamp") == nil && md["deletionTimestamp"] != nil) {
			md["generation"] = getInt(old.Obj, 1, "metadata", "generation") + 1
		}
	}
	if jsonEqual(old.Obj, o) {
		return old, nil
	}
	s.rv++
	it := makeItem(storage, key, o, s.rv)
	b.items[key] = it
	s.commit(&Change{RV: s.rv, Type: "MODIFIED", Storage: storage, Key: key, Old: old, New: it})
	return it, nil
}

// Delete removes an object now.
func (s *Store) Delete(storage, key string) (*Item, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.deleteLocked(storage, key)
}

func (s *Store) deleteLocked(storage, key string) (*Item, error) {
	b := s.bucket(storage)
	old, ok := b.items[key]
	if !ok {
		return nil, errMissing
	}
	delete(b.items, key)
	b.removeKey(key)
	s.rv++
	it := makeItem(storage, key, copyObj(old.Obj), s.rv)
	s.commit(&Change{RV: s.rv, Type: "DELETED", Storage: storage, Key: key, Old: old, New: it})
	return it, nil
}

func (s *Store) Get(storage, key string) *Item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.bucket(storage).items[key]
}

func (s *Store) getLocked(storage, key string) *Item {
	return s.bucket(storage).items[key]
}

func (s *Store) CurrentRV() uint64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.rv
}

// List returns the current items of a bucket (in key order), optionally
// within one namespace.
func (s *Store) List(storage, ns string) []*Item {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.listLocked(storage, ns)
}

func (s *Store) listLocked(storage, ns string) []*Item {
	b := s.bucket(storage)
	lo, hi := 0, len(b.sorted)
	if ns != "" {
		lo, hi = prefixRange(b.sorted, ns+"/")
	}
	out := make([]*Item, 0, hi-lo)
	for _, k := range b.sorted[lo:hi] {
		out = append(out, b.items[k])
	}
	return out
}

func prefixRange(sorted []string, prefix string) (int, int) {
	lo := sort.SearchStrings(sorted, prefix)
	hi := lo + sort.Search(len(sorted)-lo, func(i int) bool {
		return !strings.HasPrefix(sorted[lo+i], prefix)
	})
	return lo, hi
}

// Page is one page of a (possibly paged) list at a consistent snapshot.
type Page struct {
	Items     []*Item
	RV        uint64 // snapshot RV
	LastKey   string // continue from here ("" = complete)
	Remaining int    // items after this page (-1 = unknown)
}

// ListPage lists storage (within ns if set) as of snapRV (0 = now), keys
// after startAfter, up to limit items passing filter (0 = no limit).
func (s *Store) ListPage(storage, ns string, snapRV uint64, startAfter string, limit int, filter func(*Item) bool, countRemaining bool) (*Page, *apiError) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if snapRV == 0 || snapRV > s.rv {
		snapRV = s.rv
	}
	if snapRV < s.oldestResumable() {
		return nil, nil
	}
	b := s.bucket(storage)
	prefix := ""
	if ns != "" {
		prefix = ns + "/"
	}
	// Undo changes made after the snapshot.
	var overlay map[string]*Item
	if snapRV < s.rv {
		overlay = map[string]*Item{}
		for i := len(s.history) - 1; i >= 0 && s.history[i].RV > snapRV; i-- {
			c := s.history[i]
			if c.Storage != storage || !strings.HasPrefix(c.Key, prefix) {
				continue
			}
			if c.Type == "ADDED" {
				overlay[c.Key] = nil
			} else {
				overlay[c.Key] = c.Old
			}
		}
	}
	lo, hi := 0, len(b.sorted)
	if prefix != "" {
		lo, hi = prefixRange(b.sorted, prefix)
	}
	keys := b.sorted[lo:hi]
	if startAfter != "" {
		i := sort.Search(len(keys), func(i int) bool { return keys[i] > startAfter })
		keys = keys[i:]
	}
	if len(overlay) > 0 {
		merged := make([]string, 0, len(keys)+len(overlay))
		merged = append(merged, keys...)
		for k := range overlay {
			if k > startAfter {
				if _, cur := b.items[k]; !cur {
					merged = append(merged, k)
				}
			}
		}
		sort.Strings(merged)
		keys = merged
	}
	page := &Page{RV: snapRV, Remaining: -1}
	for i, k := range keys {
		it := b.items[k]
		if overlay != nil {
			if o, ok := overlay[k]; ok {
				it = o
			}
		}
		if it == nil {
			continue
		}
		if limit > 0 && len(page.Items) >= limit {
			// More keys exist: hand out a continue token.
			page.LastKey = page.Items[len(page.Items)-1].Key
			if countRemaining {
				n := 0
				for _, k2 := range keys[i:] {
					it2 := b.items[k2]
					if overlay != nil {
						if o, ok := overlay[k2]; ok {
							it2 = o
						}
					}
					if it2 != nil {
						n++
					}
				}
				page.Remaining = n
			}
			return page, nil
		}
		if filter == nil || filter(it) {
			page.Items = append(page.Items, it)
		}
	}
	return page, nil
}

// changesAfter returns logged changes with RV > rv. tooOld reports that
// some of them are no longer in the log.
func (s *Store) changesAfter(rv uint64) (cs []*Change, tooOld bool) {
	if rv < s.oldestResumable() {
		return nil, true
	}
	i := sort.Search(len(s.history), func(i int) bool { return s.history[i].RV > rv })
	return s.history[i:], false
}

// Compact forgets the change log: older resourceVersions and continue
// tokens get 410 and every open watch is told so.
func (s *Store) Compact() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.minRV = s.rv
	s.history = nil
	s.expireGen++
	close(s.faultCh)
	s.faultCh = make(chan struct{})
}

// DropWatches ends every open watch stream.
func (s *Store) DropWatches() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.dropGen++
	close(s.faultCh)
	s.faultCh = make(chan struct{})
}
