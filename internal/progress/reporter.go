package progress

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// Mode says how a Reporter draws.
type Mode int

const (
	// Auto redraws a line when the writer is a terminal, else prints plain lines.
	Auto Mode = iota
	// Terminal redraws one line in place.
	Terminal
	// Plain prints a whole line every Options.Every.
	Plain
)

// Options tune a Reporter; the zero value suits a command's output.
type Options struct {
	Mode Mode
	// Now is the clock (nil: time.Now).
	Now func() time.Time
	// Every is the least time between two draws: a terminal line is
	// redrawn at most this often (default 200ms), a plain line printed
	// (default 5s). The last draw, when the work is done, always shows.
	Every time.Duration
	// Base is what was done before this run (a sync resumed at a height):
	// the rate counts from it.
	Base int64
	// Delay keeps the reporter quiet for this long after it starts: work
	// that ends sooner prints nothing at all.
	Delay time.Duration
}

// Reporter draws the progress of one job on a writer. Its methods may be
// called from several goroutines.
type Reporter struct {
	w           io.Writer
	label, unit string
	tty         bool
	every       time.Duration
	delay       time.Duration
	now         func() time.Time
	meter       *Meter

	mu struct {
		sync.Mutex
		done, total int64
		note        string
		drawn       time.Time // last draw; zero: none yet (or cleared)
		last        string    // what it showed
		shown       bool      // anything was drawn
		shownDone   bool      // a draw showed the work complete
		finished    bool
		hidden      bool // cleared: Tick stays quiet until the next Set or Add
	}
}

// New returns a Reporter of a job counting unit up to total (0: unknown)
// on w, starting now with nothing done.
func New(w io.Writer, label, unit string, total int64, o Options) *Reporter {
	if o.Now == nil {
		o.Now = time.Now
	}
	tty := o.Mode == Terminal || (o.Mode == Auto && IsTerminal(w))
	if o.Every <= 0 {
		o.Every = 5 * time.Second
		if tty {
			o.Every = 200 * time.Millisecond
		}
	}
	r := &Reporter{w: w, label: label, unit: unit, tty: tty, every: o.Every, delay: o.Delay, now: o.Now, meter: NewMeter(o.Now, o.Base)}
	r.mu.total, r.mu.done = total, o.Base
	return r
}

// IsTerminal reports whether w is a character device other than /dev/null.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || f == nil || f.Name() == os.DevNull {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Set records that done units are done and draws if it is time.
func (r *Reporter) Set(done int64) {
	r.mu.Lock()
	r.mu.done, r.mu.hidden = done, false
	line := r.lineLocked(false)
	r.mu.Unlock()
	r.write(line)
}

// Add records n more units done.
func (r *Reporter) Add(n int64) {
	r.mu.Lock()
	r.mu.done += n
	r.mu.hidden = false
	line := r.lineLocked(false)
	r.mu.Unlock()
	r.write(line)
}

// SetTotal changes the amount of work (0: unknown), e.g. when some of it
// turned out not to be needed.
func (r *Reporter) SetTotal(total int64) {
	r.mu.Lock()
	r.mu.total = total
	r.mu.Unlock()
}

// Note sets free text shown after the numbers (e.g. "waiting for /root").
func (r *Reporter) Note(s string) {
	r.mu.Lock()
	r.mu.note = s
	r.mu.Unlock()
}

// Tick draws if it is time, though nothing moved: a wait shows it is alive.
func (r *Reporter) Tick() {
	r.mu.Lock()
	line := ""
	if !r.mu.hidden {
		line = r.lineLocked(false)
	}
	r.mu.Unlock()
	r.write(line)
}

// Clear blanks a terminal line so that other output can be printed; Tick
// stays quiet until the next Set or Add, which draws at once. On plain
// output it does nothing.
func (r *Reporter) Clear() {
	if !r.tty {
		return
	}
	r.mu.Lock()
	r.mu.drawn, r.mu.last, r.mu.hidden = time.Time{}, "", true
	finished := r.mu.finished
	r.mu.Unlock()
	if !finished {
		r.write("\r\033[K")
	}
}

// Keepalive calls Tick every interval until stop is called, so a wait that
// sees no progress still shows its elapsed time.
func (r *Reporter) Keepalive(interval time.Duration) (stop func()) {
	done := make(chan struct{})
	var once sync.Once
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				r.Tick()
			}
		}
	}()
	return func() { once.Do(func() { close(done) }) }
}

// Finish draws the last state, unless a draw already showed the work
// complete, and ends the line. Nothing is printed for work that never drew
// (it ended within Delay). Later calls do nothing.
func (r *Reporter) Finish() {
	r.mu.Lock()
	line := ""
	if !r.mu.finished && r.mu.shown {
		if !r.mu.shownDone {
			line = r.lineLocked(true)
		}
		if r.tty {
			line += "\n"
		}
	}
	r.mu.finished = true
	r.mu.Unlock()
	r.write(line)
}

// Stats returns the current numbers.
func (r *Reporter) Stats() Stats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.meter.At(r.mu.done, r.mu.total)
}

func (r *Reporter) write(line string) {
	if line != "" {
		_, _ = io.WriteString(r.w, line)
	}
}

// lineLocked returns what to draw now, or "" when it is not time.
func (r *Reporter) lineLocked(force bool) string {
	if r.mu.finished {
		return ""
	}
	now := r.now()
	if !r.mu.shown && now.Sub(r.meter.start) < r.delay {
		return ""
	}
	complete := r.mu.total > 0 && r.mu.done >= r.mu.total
	due := r.mu.drawn.IsZero() || now.Sub(r.mu.drawn) >= r.every
	if !force && !due && !(complete && !r.mu.shownDone) {
		return ""
	}
	r.mu.drawn, r.mu.shown, r.mu.shownDone = now, true, complete
	r.mu.last = r.format(r.meter.At(r.mu.done, r.mu.total), r.tty)
	if r.tty {
		return "\r\033[K" + r.mu.last
	}
	return r.mu.last + "\n"
}

// format renders s: "label [=====     ] 12/40 blocks  3.1 blocks/s  ETA 9s  note"
// on a terminal, "label: 12/40 blocks (30%), 3.1 blocks/s, ETA 9s, note" plain.
func (r *Reporter) format(s Stats, tty bool) string {
	var b strings.Builder
	sep := ", "
	if tty {
		sep = "  "
		fmt.Fprintf(&b, "%s ", r.label)
		if s.Total > 0 {
			const width = 24
			n := int(min(width*s.Done/s.Total, width))
			fmt.Fprintf(&b, "[%s%s] ", strings.Repeat("=", n), strings.Repeat(" ", width-n))
		}
	} else {
		fmt.Fprintf(&b, "%s: ", r.label)
	}
	if s.Total > 0 {
		fmt.Fprintf(&b, "%d/%d %s", s.Done, s.Total, r.unit)
		if !tty {
			fmt.Fprintf(&b, " (%d%%)", min(100*s.Done/s.Total, 100))
		}
	} else {
		fmt.Fprintf(&b, "%d %s", s.Done, r.unit)
	}
	fmt.Fprintf(&b, "%s%s %s/s", sep, FormatRate(s.Rate), r.unit)
	switch {
	case s.Total > 0 && s.Done >= s.Total:
		fmt.Fprintf(&b, "%sdone in %s", sep, FormatETA(s.Elapsed))
	case s.HaveETA:
		fmt.Fprintf(&b, "%sETA %s", sep, FormatETA(s.ETA))
	default:
		fmt.Fprintf(&b, "%s%s elapsed", sep, FormatETA(s.Elapsed))
	}
	if r.mu.note != "" {
		b.WriteString(sep + r.mu.note)
	}
	return b.String()
}
