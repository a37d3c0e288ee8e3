package progress

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clock is a hand-moved clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }

func newClock() *clock { return &clock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func TestMeterRateAndETA(t *testing.T) {
	c := newClock()
	m := NewMeter(c.now, 100) // a sync that starts at height 100
	if s := m.At(100, 200); s.Rate != 0 || s.HaveETA {
		t.Fatalf("at start: rate %v, ETA known %v; want 0 and unknown", s.Rate, s.HaveETA)
	}
	c.advance(4 * time.Second)
	s := m.At(120, 200) // 20 units in 4s: 5/s, 80 left: 16s
	if s.Rate != 5 {
		t.Errorf("rate %v, want 5 (counted from the base, not from 0)", s.Rate)
	}
	if !s.HaveETA || s.ETA != 16*time.Second {
		t.Errorf("ETA %v (known %v), want 16s", s.ETA, s.HaveETA)
	}
	if s.Elapsed != 4*time.Second {
		t.Errorf("elapsed %v, want 4s", s.Elapsed)
	}
	if s := m.At(120, 0); s.HaveETA {
		t.Errorf("unknown total gave an ETA of %v", s.ETA)
	}
	if s := m.At(200, 200); !s.HaveETA || s.ETA != 0 {
		t.Errorf("done job: ETA %v (known %v), want 0", s.ETA, s.HaveETA)
	}
	if s := m.At(90, 200); s.HaveETA { // went backwards (a rewind): no sensible estimate
		t.Errorf("negative rate gave an ETA of %v", s.ETA)
	}
}

func TestPlainLines(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	r := New(&out, "sync", "blocks", 40, Options{Mode: Plain, Now: c.now, Every: 5 * time.Second})
	r.Set(0) // the first update draws at once
	c.advance(2 * time.Second)
	r.Set(10) // too soon after the first: nothing
	c.advance(3 * time.Second)
	r.Set(20) // 5s after the first line: drawn
	c.advance(time.Second)
	r.Note("peer p1")
	r.Set(40) // complete: drawn however soon
	r.Finish()
	r.Set(41) // after Finish: nothing
	want := []string{
		"sync: 0/40 blocks (0%), 0.0 blocks/s, <1s elapsed",
		"sync: 20/40 blocks (50%), 4.0 blocks/s, ETA 5s",
		"sync: 40/40 blocks (100%), 6.7 blocks/s, done in 6s, peer p1", // Finish adds no copy
	}
	got := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("plain output:\n%s\nwant:\n%s", out.String(), strings.Join(want, "\n"))
	}
	if strings.ContainsAny(out.String(), "\r\033") {
		t.Errorf("plain output carries terminal control characters: %q", out.String())
	}
}

func TestTerminalRedrawsOneLine(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	r := New(&out, "bench", "tx", 100, Options{Mode: Terminal, Now: c.now})
	r.Set(0)
	c.advance(100 * time.Millisecond)
	r.Set(5) // within the 200ms default: not drawn
	c.advance(150 * time.Millisecond)
	r.Set(25)
	c.advance(time.Second)
	r.Finish() // a second later: the rate and ETA moved, so it redraws
	s := out.String()
	if n := strings.Count(s, "\n"); n != 1 || !strings.HasSuffix(s, "\n") {
		t.Fatalf("terminal output has %d newlines, want one at the end: %q", n, s)
	}
	draws := strings.Split(strings.TrimSuffix(s, "\n"), "\r\033[K")
	if len(draws) != 4 || draws[0] != "" { // "", first, 25, finish
		t.Fatalf("want 3 redraws each starting with a carriage return and line clear, got %q", s)
	}
	if want := "bench [======                  ] 25/100 tx  100 tx/s  ETA <1s"; draws[2] != want {
		t.Errorf("redraw %q, want %q", draws[2], want)
	}
}

func TestClearLetsOtherOutputThrough(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	r := New(&out, "xfer", "hops", 2, Options{Mode: Terminal, Now: c.now})
	r.Set(0)
	r.Clear()
	c.advance(time.Second)
	r.Tick() // quiet after a Clear, though due
	out.WriteString("hop line\n")
	r.Set(1) // at once, though within the redraw interval: the line was blanked
	if want := "\r\033[Kxfer [                        ] 0/2 hops  0.0 hops/s  <1s elapsed\r\033[Khop line\n\r\033[Kxfer"; !strings.HasPrefix(out.String(), want) {
		t.Errorf("got %q, want it to start %q", out.String(), want)
	}
	var plain bytes.Buffer
	p := New(&plain, "xfer", "hops", 2, Options{Mode: Plain, Now: c.now})
	p.Clear()
	if plain.Len() != 0 {
		t.Errorf("Clear wrote %q on plain output", plain.String())
	}
}

func TestBaseCountsRateFromResume(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	r := New(&out, "headers", "blocks", 1000, Options{Mode: Plain, Now: c.now, Base: 900})
	c.advance(10 * time.Second)
	r.Set(950) // 50 blocks in 10s, not 950
	if want := "headers: 950/1000 blocks (95%), 5.0 blocks/s, ETA 10s\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestUnknownTotal(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	r := New(&out, "waiting for a block", "blocks", 0, Options{Mode: Plain, Now: c.now, Every: time.Second})
	c.advance(3 * time.Second)
	r.Set(2)
	if want := "waiting for a block: 2 blocks, 0.7 blocks/s, 3s elapsed\n"; out.String() != want {
		t.Errorf("got %q, want %q", out.String(), want)
	}
}

func TestIsTerminal(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if IsTerminal(f) {
		t.Error("a regular file was taken for a terminal")
	}
	if IsTerminal(&bytes.Buffer{}) {
		t.Error("a buffer was taken for a terminal")
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer null.Close()
	if IsTerminal(null) {
		t.Error("/dev/null (a character device) was taken for a terminal")
	}
	// Auto on a file prints plain lines.
	r := New(f, "x", "u", 1, Options{Now: newClock().now})
	r.Set(1)
	b, _ := os.ReadFile(f.Name())
	if strings.Contains(string(b), "\r") || !strings.HasSuffix(string(b), "\n") {
		t.Errorf("auto mode on a file wrote %q, want a plain line", b)
	}
}

func TestDelayKeepsQuickWorkQuiet(t *testing.T) {
	c := newClock()
	var out bytes.Buffer
	quick := New(&out, "headers", "blocks", 48, Options{Mode: Terminal, Now: c.now, Delay: time.Second})
	quick.Set(0)
	c.advance(300 * time.Millisecond)
	quick.Set(48) // complete within the delay: still nothing
	quick.Finish()
	if out.Len() != 0 {
		t.Fatalf("work done within the delay printed %q", out.String())
	}

	slow := New(&out, "headers", "blocks", 100, Options{Mode: Plain, Now: c.now, Delay: time.Second})
	c.advance(500 * time.Millisecond)
	slow.Set(10)
	if out.Len() != 0 {
		t.Fatalf("drew within the delay: %q", out.String())
	}
	c.advance(500 * time.Millisecond)
	slow.Set(20)
	slow.Set(100) // complete: drawn at once, however soon
	slow.Finish() // already shown complete: no copy
	want := "headers: 20/100 blocks (20%), 20 blocks/s, ETA 4s\nheaders: 100/100 blocks (100%), 100 blocks/s, done in 1s\n"
	if out.String() != want {
		t.Fatalf("got %q, want %q", out.String(), want)
	}
}
