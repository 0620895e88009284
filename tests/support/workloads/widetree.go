package main

// Wide-tree gen mode: one allocs profile whose flame graph has tens of
// thousands of nodes, for benchmarking flame-graph renderers on a real Go
// profile rather than a synthetic tree.
//
// genWideTree calls, for every leaf index i in [0, 4^depth), a chain of `depth`
// functions chosen from wideA..wideD by the base-4 digits of i, so each leaf
// has its own call path and the flame graph has 4 + 16 + ... + 4^depth nodes
// below genWideTree (21,844 at depth 7). Every leaf allocates a different size,
// so frame widths differ.

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
)

// wideSink is where leaf allocations go: storing into a global makes them
// escape to the heap, so they are real allocations recorded in the profile.
var wideSink []byte

// wideStep is the function for one base-4 digit; filled in init because the
// functions refer to the table themselves.
var wideStep [4]func(leaf, level, depth int)

func init() {
	wideStep = [4]func(leaf, level, depth int){wideA, wideB, wideC, wideD}
}

// The four bodies are written out rather than shared through a helper: an
// inlined helper would still show up as a frame of its own in the profile.

//go:noinline
func wideA(leaf, level, depth int) {
	if level == depth {
		wideSink = make([]byte, wideLeafSize(leaf))
		return
	}
	wideStep[(leaf>>(2*level))&3](leaf, level+1, depth)
}

//go:noinline
func wideB(leaf, level, depth int) {
	if level == depth {
		wideSink = make([]byte, wideLeafSize(leaf))
		return
	}
	wideStep[(leaf>>(2*level))&3](leaf, level+1, depth)
}

//go:noinline
func wideC(leaf, level, depth int) {
	if level == depth {
		wideSink = make([]byte, wideLeafSize(leaf))
		return
	}
	wideStep[(leaf>>(2*level))&3](leaf, level+1, depth)
}

//go:noinline
func wideD(leaf, level, depth int) {
	if level == depth {
		wideSink = make([]byte, wideLeafSize(leaf))
		return
	}
	wideStep[(leaf>>(2*level))&3](leaf, level+1, depth)
}

// wideLeafSize is 64 B .. ~8 KiB, spread over the leaves so widths differ.
func wideLeafSize(leaf int) int { return 64 * (1 + (leaf*7919)%127) }

// genWideTree writes dir/widetree.pb.gz: the allocs profile after one pass over
// the tree, with every allocation recorded (MemProfileRate 1).
func genWideTree(dir string, depth int) error {
	if depth < 1 || depth > 10 {
		return fmt.Errorf("bad -widetree-depth %d (want 1..10)", depth)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	// With rate 1 the runtime records every allocation from now on.
	runtime.MemProfileRate = 1
	for leaf := 0; leaf < 1<<(2*depth); leaf++ {
		wideStep[leaf&3](leaf, 1, depth)
	}
	// The profile reports allocations up to the last completed GC cycle.
	runtime.GC()
	name := filepath.Join(dir, "widetree.pb.gz")
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	err = pprof.Lookup("allocs").WriteTo(f, 0)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	return nil
}
