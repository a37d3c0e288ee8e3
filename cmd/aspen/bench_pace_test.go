package main

import (
	"context"
	"testing"
	"time"
)

func TestPacerSpreadsBatchesAtTheRate(t *testing.T) {
	start := time.Unix(1000, 0)
	p := newPacer(start, 2000)
	for k, want := range map[int64]time.Duration{0: 0, 100: 50 * time.Millisecond, 2000: time.Second, 5000: 2500 * time.Millisecond} {
		if got := p.due(k).Sub(start); got != want {
			t.Errorf("transaction %d due after %v, want %v", k, got, want)
		}
	}
	// Reservations count every connection's batches: the second batch of
	// 100 is due 50 ms after the first, whoever sends it.
	live := newPacer(time.Now(), 2000)
	if !live.wait(context.Background(), 100) {
		t.Fatal("first batch held back")
	}
	if k := live.reserved.Load(); k != 100 {
		t.Fatalf("reserved %d after one batch of 100", k)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	live2 := newPacer(time.Now(), 1)
	live2.wait(ctx, 10) // due at once
	if live2.wait(ctx, 10) {
		t.Fatal("a batch due in 10 s went out after its context ended")
	}
	unpaced := newPacer(time.Now(), 0)
	if !unpaced.wait(context.Background(), 1_000_000) {
		t.Fatal("rate 0 must not pace")
	}
}
