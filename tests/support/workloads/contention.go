package main

import (
	"sync"
	"time"
)

// ---- mutex contention ----

var contendMu sync.Mutex
var contendCounter int

// contend repeatedly takes contendMu and holds it ~200us (sleeping, so it
// costs no CPU). With 4 goroutines this gives both mutex-profile samples
// (main.contend unlocking with waiters) and block-profile samples
// (main.contend waiting in sync.(*Mutex).Lock).
//
//go:noinline
func contend(hold time.Duration) {
	for {
		contendMu.Lock()
		contendCounter++
		time.Sleep(hold)
		contendMu.Unlock()
		time.Sleep(time.Millisecond)
	}
}

// ---- channel blocking producer/consumer ----

// produce sends on an unbuffered channel to a slow consumer, so it blocks
// in chansend (block profile: main.produce).
//
//go:noinline
func produce(ch chan<- int) {
	for i := 0; ; i++ {
		ch <- i
	}
}

// consume takes ~1 ms per item.
//
//go:noinline
func consume(ch <-chan int) {
	for v := range ch {
		_ = v
		time.Sleep(time.Millisecond)
	}
}

// ---- idle goroutines parked in distinct functions ----

var (
	idleChan  = make(chan struct{})
	idleMu    sync.Mutex
	idleCond  = sync.NewCond(&sync.Mutex{})
	idleWG    sync.WaitGroup
	idleNever = make(chan int)
)

//go:noinline
func idleWaitChan() { <-idleChan }

//go:noinline
func idleWaitSelect() {
	select {
	case <-idleChan:
	case <-idleNever:
	}
}

//go:noinline
func idleWaitMutex() {
	idleMu.Lock()
	idleMu.Unlock() // never reached: startIdle holds idleMu forever
}

//go:noinline
func idleWaitCond() {
	idleCond.L.Lock()
	for {
		idleCond.Wait()
	}
}

//go:noinline
func idleWaitGroup() { idleWG.Wait() }

//go:noinline
func idleSleep() { time.Sleep(1000 * time.Hour) }

// idleGoroutineCounts: function -> how many goroutines park in it (36 total).
var idleGoroutineCounts = []struct {
	name string
	n    int
	fn   func()
}{
	{"idleWaitChan", 10, idleWaitChan},
	{"idleWaitSelect", 8, idleWaitSelect},
	{"idleWaitMutex", 5, idleWaitMutex},
	{"idleWaitCond", 5, idleWaitCond},
	{"idleWaitGroup", 4, idleWaitGroup},
	{"idleSleep", 4, idleSleep},
}

func startIdle() {
	idleMu.Lock() // never released: idleWaitMutex goroutines park forever
	idleWG.Add(1) // never Done: idleWaitGroup goroutines park forever
	for _, g := range idleGoroutineCounts {
		for i := 0; i < g.n; i++ {
			go g.fn()
		}
	}
}

func startContention() {
	for i := 0; i < 4; i++ {
		go contend(200 * time.Microsecond)
	}
	ch := make(chan int)
	go produce(ch)
	go consume(ch)
}
