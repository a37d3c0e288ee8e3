package progress

import (
	"fmt"
	"time"
)

// Stats is a snapshot of a job's progress.
type Stats struct {
	Done, Total int64 // Total 0: not known
	Elapsed     time.Duration
	Rate        float64       // units per second since the meter started
	ETA         time.Duration // time left at Rate; valid when HaveETA
	HaveETA     bool
}

// Meter measures a job's rate and time left from the moment it was made.
// It does no I/O and reads time only through its clock.
type Meter struct {
	now   func() time.Time
	start time.Time
	base  int64 // done when the meter started: a sync from height 900 counts from 900
}

// NewMeter starts measuring at now() with base units already done. A nil
// now is time.Now.
func NewMeter(now func() time.Time, base int64) *Meter {
	if now == nil {
		now = time.Now
	}
	return &Meter{now: now, start: now(), base: base}
}

// At returns the stats of a job that has done of total (0: unknown) now.
func (m *Meter) At(done, total int64) Stats {
	s := Stats{Done: done, Total: total, Elapsed: m.now().Sub(m.start)}
	if s.Elapsed > 0 {
		s.Rate = float64(done-m.base) / s.Elapsed.Seconds()
	}
	if total > 0 && done >= total {
		s.HaveETA = true
		return s
	}
	if total > 0 && s.Rate > 0 {
		left := float64(total-done) / s.Rate
		if left < float64(1<<62)/float64(time.Second) {
			s.ETA, s.HaveETA = time.Duration(left*float64(time.Second)), true
		}
	}
	return s
}

// FormatRate prints a rate with the precision a reader needs.
func FormatRate(r float64) string {
	if r < 10 {
		return fmt.Sprintf("%.1f", r)
	}
	return fmt.Sprintf("%.0f", r)
}

// FormatETA prints a time left: whole seconds, "<1s" below one.
func FormatETA(d time.Duration) string {
	if d < time.Second {
		return "<1s"
	}
	return d.Round(time.Second).String()
}
