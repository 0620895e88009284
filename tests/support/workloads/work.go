package main

import (
	"context"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Busy (CPU) work. Every hot function runs for a wall-clock budget rather
// than a fixed iteration count, so the CPU split between functions stays
// roughly stable regardless of machine speed:
//
//	hotLoopA      10 ms / round  (~50%)  via 50 generated call paths
//	hotLoopB       5 ms / round  (~25%)  via the same call paths
//	crc32Update    1 ms / round  from checksumHeader and checksumBody
//	fib            1 ms / round  recursion (fibDriver -> fib -> fib ...)
//	sumInlined     1 ms / round  inlinedAdd is inlined into it
//	leafMix        1 ms / round  from leafViaAlpha/leafViaBeta/leafViaGamma
//	regressedFunc  0.4 ms (v1) / 8 ms (v2) per round
//	allocGarbage, retainBuffers: a fixed small amount per round, also
//	                             through the generated call paths
//
// after which the worker sleeps 2 ms.

type jobKind int

const (
	jobHotA jobKind = iota
	jobHotB
	jobLeaf
	jobAlloc  // allocGarbage(n)
	jobRetain // retainBuffers()
)

// job is passed down the generated call paths to runJob.
type job struct {
	kind  jobKind
	d     time.Duration
	n     int
	depth int
	acc   uint64
}

// sink keeps results alive so the compiler cannot drop the work.
var sink uint64

var pathCounter uint64

// nextPath rotates through all numPaths call paths.
func nextPath() int {
	return int(atomic.AddUint64(&pathCounter, 1) % numPaths)
}

//go:noinline
func runJob(j *job) {
	switch j.kind {
	case jobHotA:
		j.acc += hotLoopA(j.d)
	case jobHotB:
		j.acc += hotLoopB(j.d)
	case jobLeaf:
		j.acc += leafMix(j.d)
	case jobAlloc:
		j.acc += uint64(allocGarbage(j.n))
	case jobRetain:
		retainBuffers()
	}
}

// checkEvery is how many loop iterations run between clock reads.
const checkEvery = 1 << 13

// hotLoopA is the hottest function (~50% of busy CPU): pure integer mixing.
//
//go:noinline
func hotLoopA(d time.Duration) uint64 {
	deadline := time.Now().Add(d)
	x := uint64(0x243F6A8885A308D3)
	for {
		for i := 0; i < checkEvery; i++ {
			x ^= x << 13
			x ^= x >> 7
			x ^= x << 17
			x += uint64(i)
		}
		if !time.Now().Before(deadline) {
			return x
		}
	}
}

// hotLoopB is the second hottest function (~25%): multiply/rotate mixing.
//
//go:noinline
func hotLoopB(d time.Duration) uint64 {
	deadline := time.Now().Add(d)
	x := uint64(0x13198A2E03707344)
	for {
		for i := 0; i < checkEvery; i++ {
			x = x*0x5851F42D4C957F2D + 0x14057B7EF767814F
			x = (x << 31) | (x >> 33)
		}
		if !time.Now().Before(deadline) {
			return x
		}
	}
}

// leafMix is a leaf reached from several distinct callers (branching tree).
//
//go:noinline
func leafMix(d time.Duration) uint64 {
	deadline := time.Now().Add(d)
	x := uint64(0xA4093822299F31D0)
	for {
		for i := 0; i < checkEvery/2; i++ {
			x += x>>3 ^ uint64(i)*0x9E3779B97F4A7C15
		}
		if !time.Now().Before(deadline) {
			return x
		}
	}
}

//go:noinline
func leafViaAlpha(d time.Duration) uint64 { return leafMix(d) }

//go:noinline
func leafViaBeta(d time.Duration) uint64 { return leafMix(d) + 1 }

//go:noinline
func leafViaGamma(d time.Duration) uint64 { return leafViaGammaInner(d) }

//go:noinline
func leafViaGammaInner(d time.Duration) uint64 { return leafMix(d) + 2 }

// ---- CRC helpers (hand-written so the frames are main.*, not assembly) ----

var crcTable = makeCRCTable(0xEDB88320)

func makeCRCTable(poly uint32) *[256]uint32 {
	t := new([256]uint32)
	for i := range t {
		c := uint32(i)
		for k := 0; k < 8; k++ {
			if c&1 == 1 {
				c = poly ^ (c >> 1)
			} else {
				c >>= 1
			}
		}
		t[i] = c
	}
	return t
}

// crc32Update is a table-driven IEEE CRC-32 (matches hash/crc32).
//
//go:noinline
func crc32Update(crc uint32, p []byte) uint32 {
	crc = ^crc
	for _, b := range p {
		crc = crcTable[byte(crc)^b] ^ (crc >> 8)
	}
	return ^crc
}

var crcData = func() []byte {
	b := make([]byte, 4096)
	for i := range b {
		b[i] = byte(i*7 + i>>3)
	}
	return b
}()

//go:noinline
func checksumHeader(d time.Duration) uint32 {
	deadline := time.Now().Add(d)
	var c uint32
	for time.Now().Before(deadline) {
		c = crc32Update(c, crcData[:256])
	}
	return c
}

//go:noinline
func checksumBody(d time.Duration) uint32 {
	deadline := time.Now().Add(d)
	var c uint32
	for time.Now().Before(deadline) {
		c = crc32Update(c, crcData)
	}
	return c
}

// ---- recursion ----

// fib is deliberately naive and recursive: stacks show fib -> fib -> ... .
//
//go:noinline
func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

//go:noinline
func fibDriver(d time.Duration) int {
	deadline := time.Now().Add(d)
	s := 0
	for time.Now().Before(deadline) {
		s += fib(18)
	}
	return s
}

// ---- inlining ----

// inlinedAdd is small enough that the compiler inlines it into sumInlined
// (check: go build -gcflags=-m | grep inlinedAdd). Profiles therefore show
// a location with two lines: main.inlinedAdd (inlined) and main.sumInlined.
func inlinedAdd(a, b uint64) uint64 {
	x := a + b
	x ^= x >> 29
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 32
	return x
}

//go:noinline
func sumInlined(d time.Duration) uint64 {
	deadline := time.Now().Add(d)
	var s uint64
	for {
		for i := uint64(0); i < checkEvery; i++ {
			s = inlinedAdd(s, i)
		}
		if !time.Now().Before(deadline) {
			return s
		}
	}
}

// ---- rollout regression target ----

// regressedFunc is light in -work-variant=v1 and ~20x heavier in v2.
//
//go:noinline
func regressedFunc(d time.Duration) uint64 {
	deadline := time.Now().Add(d)
	x := uint64(0x082EFA98EC4E6C89)
	for {
		for i := 0; i < checkEvery; i++ {
			x = (x ^ uint64(i)) * 0xFF51AFD7ED558CCD
		}
		if !time.Now().Before(deadline) {
			return x
		}
	}
}

// ---- allocations ----

const (
	retainSlots   = 64
	retainBufSize = 64 << 10 // 64 slots x 64 KiB = 4 MiB retained
)

var (
	retainMu   sync.Mutex
	retainRing [retainSlots][]byte
	retainNext int
)

// retainBuffers allocates a 64 KiB buffer and keeps it in a bounded ring,
// so in-use heap stays around 4 MiB attributed to this function.
//
//go:noinline
func retainBuffers() {
	b := make([]byte, retainBufSize)
	for i := 0; i < len(b); i += 512 {
		b[i] = byte(i)
	}
	retainMu.Lock()
	retainRing[retainNext] = b
	retainNext = (retainNext + 1) % retainSlots
	retainMu.Unlock()
}

// prefillRetained fills the retain ring at startup so in-use heap is ~4 MiB
// from the first moment on.
//
//go:noinline
func prefillRetained() {
	for i := 0; i < retainSlots; i++ {
		retainBuffers()
	}
}

type garbageNode struct {
	next *garbageNode
	val  [12]uint64
	name string
}

// allocGarbage allocates short-lived objects that are dropped immediately
// (shows up in alloc_space/alloc_objects, not in inuse).
//
//go:noinline
func allocGarbage(n int) int {
	var head *garbageNode
	total := 0
	for i := 0; i < n; i++ {
		head = &garbageNode{next: head, name: strconv.Itoa(i)}
		head.val[i%12] = uint64(i)
		s := make([]byte, 256+i%512)
		total += len(s) + len(head.name)
	}
	return total
}

// ---- busy worker ----

type workConfig struct {
	variant string // "v1" or "v2"
}

func (c workConfig) regressedBudget() time.Duration {
	if c.variant == "v2" {
		return 8 * time.Millisecond
	}
	return 400 * time.Microsecond
}

// busyRound is one round (~20 ms v1) of all CPU and allocation work.
//
//go:noinline
func busyRound(cfg workConfig, round int) {
	var acc uint64
	for k := 0; k < 10; k++ {
		j := &job{kind: jobHotA, d: time.Millisecond}
		dispatchPath(nextPath(), j)
		acc += j.acc
	}
	for k := 0; k < 5; k++ {
		j := &job{kind: jobHotB, d: time.Millisecond}
		dispatchPath(nextPath(), j)
		acc += j.acc
	}
	acc += uint64(checksumHeader(300 * time.Microsecond))
	acc += uint64(checksumBody(700 * time.Microsecond))
	acc += uint64(fibDriver(time.Millisecond))
	acc += sumInlined(time.Millisecond)
	acc += leafViaAlpha(400 * time.Microsecond)
	acc += leafViaBeta(300 * time.Microsecond)
	acc += leafViaGamma(300 * time.Microsecond)
	acc += regressedFunc(cfg.regressedBudget())
	// Allocations also go through the generated paths, so heap profiles
	// have many distinct allocation stacks.
	if round%2 == 0 {
		dispatchPath(nextPath(), &job{kind: jobRetain})
	}
	for k := 0; k < 2; k++ {
		j := &job{kind: jobAlloc, n: 100}
		dispatchPath(nextPath(), j)
		acc += j.acc
	}
	atomic.AddUint64(&sink, acc)
}

// busyWorker loops busyRound forever, sleeping 2 ms between rounds.
func busyWorker(ctx context.Context, id int, cfg workConfig) {
	labels := pprof.Labels("worker", strconv.Itoa(id), "variant", cfg.variant)
	pprof.Do(ctx, labels, func(ctx context.Context) {
		for round := 0; ctx.Err() == nil; round++ {
			busyRound(cfg, round)
			time.Sleep(2 * time.Millisecond)
		}
	})
}
