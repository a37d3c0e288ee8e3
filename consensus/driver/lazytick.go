package driver

import "time"

// LazyTicker keeps a state machine's logical ticks in step with wall time
// without waking it for ticks that change nothing. Its owner asks, before
// each wait, for a timer at the next tick that matters (Wait with the
// machine's NextTick), and after each wake takes the ticks that elapsed
// (Elapsed) and hands them to the machine before anything else: the machine
// sees the same ticks, in the same order relative to its other inputs, as a
// free-running ticker would give it, but its goroutine sleeps in between.
// Not safe for concurrent use: its owner's goroutine uses it.
type LazyTicker struct {
	clock Clock
	tick  time.Duration
	last  time.Time // wall time of the newest tick handed out
	// The armed timer, its deadline, and its stop (nil: none armed).
	c    <-chan time.Time
	at   time.Time
	stop func()
}

// MaxCatchUp bounds the ticks Elapsed hands out at once; the rest are
// dropped, as a time.Ticker drops the ticks of a receiver that fell behind
// (a process suspended for hours must not spend minutes catching up).
const MaxCatchUp = 1 << 16

// NewLazyTicker starts counting ticks of length tick from now.
func NewLazyTicker(clock Clock, tick time.Duration) *LazyTicker {
	return &LazyTicker{clock: clock, tick: tick, last: clock.Now()}
}

// Elapsed returns the ticks that passed since those it returned before
// (at most MaxCatchUp) and counts them as handed out.
func (l *LazyTicker) Elapsed() uint64 {
	d := l.clock.Now().Sub(l.last)
	if d < l.tick {
		return 0 // includes a clock that stepped back: wait for it
	}
	n := uint64(d / l.tick)
	l.last = l.last.Add(time.Duration(n) * l.tick)
	return min(n, MaxCatchUp)
}

// Wait returns a channel that receives when the next-th tick after those
// handed out is due; nil (never) for next == consensus.NoTick, or any span
// beyond a day. The timer is re-armed only when the deadline moved.
func (l *LazyTicker) Wait(next uint64) <-chan time.Time {
	if next > uint64(24*time.Hour/l.tick) {
		l.Stop()
		return nil
	}
	at := l.last.Add(time.Duration(next) * l.tick)
	if l.stop != nil && at.Equal(l.at) {
		return l.c
	}
	l.Stop()
	l.c, l.stop = l.clock.NewTimer(at.Sub(l.clock.Now()))
	l.at = at
	return l.c
}

// Fired tells the ticker its timer's channel received: the next Wait arms a
// new one.
func (l *LazyTicker) Fired() { l.c, l.stop = nil, nil }

// Stop disarms the timer.
func (l *LazyTicker) Stop() {
	if l.stop != nil {
		l.stop()
		l.c, l.stop = nil, nil
	}
}
