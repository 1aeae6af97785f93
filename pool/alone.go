package pool

import "sync"

// runs lets an attempt run alone in this process. A photo whose previous claim was never
// settled may be what killed the worker that held it (a fault in C code, the OOM killer): run
// beside others, it would take them down with it again, and each crash costs every photo in
// flight an attempt. Run alone, a crash is charged to it only, and the photos that merely
// shared the first crash complete. Attempts that may take over such a claim (redelivered
// messages) claim alone too, so that no other photo is claimed, and charged, while one of them
// runs. Runs alone are rare (after a crash, a reconnect, a pause); the cost is that the others
// wait for the one running alone.
//
// An attempt holds the lock from its claim until it is settled. New attempts wait behind one
// waiting to run alone, so it never starves.
type runs struct {
	mu      sync.Mutex
	changed *sync.Cond
	beside  int  // attempts running beside others
	alone   bool // an attempt runs alone
	waiting int  // attempts waiting to run alone
}

// hold is how an attempt holds runs.
type hold int

const (
	holdNone hold = iota
	holdBeside
	holdAlone
)

func newRuns() *runs {
	r := &runs{}
	r.changed = sync.NewCond(&r.mu)
	return r
}

// enter waits until the attempt may run, alone or beside others, and records it in h.
func (r *runs) enter(h *hold, alone bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if alone {
		r.waitAlone()
		*h = holdAlone
		return
	}
	for r.alone || r.waiting > 0 {
		r.changed.Wait()
	}
	r.beside++
	*h = holdBeside
}

// isolate makes an attempt that runs beside others run alone, once they have left.
func (r *runs) isolate(h *hold) {
	if *h == holdAlone {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if *h == holdBeside {
		r.beside--
		r.changed.Broadcast()
	}
	r.waitAlone()
	*h = holdAlone
}

// share lets others run beside an attempt that ran alone, at once: no one runs alone between.
func (r *runs) share(h *hold) {
	if *h != holdAlone {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.alone = false
	r.beside++
	*h = holdBeside
	r.changed.Broadcast()
}

// leave ends the attempt's hold.
func (r *runs) leave(h *hold) {
	if *h == holdNone {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if *h == holdAlone {
		r.alone = false
	} else {
		r.beside--
	}
	*h = holdNone
	r.changed.Broadcast()
}

// waitAlone waits until no attempt runs, then runs alone. r.mu is held.
func (r *runs) waitAlone() {
	r.waiting++
	for r.alone || r.beside > 0 {
		r.changed.Wait()
	}
	r.waiting--
	r.alone = true
}
