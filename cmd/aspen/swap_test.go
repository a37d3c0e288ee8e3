package main

import (
	"errors"
	"testing"
)

func TestCounterLockTimeoutKeepsTheMargins(t *testing.T) {
	const now, margin = 1000, 10
	cases := []struct {
		offer, lockTime uint64
		want            uint64 // 0: refused
	}{
		{offer: now + 60, want: now + 30},               // halfway by default
		{offer: now + 60, lockTime: 50, want: now + 50}, // exactly the margin before the offer
		{offer: now + 60, lockTime: 51},                 // inside the margin: the taker could be left without time to claim
		{offer: now + 60, lockTime: 90},                 // after the offer: the maker could take both
		{offer: now + 60, lockTime: 9},                  // the maker has no time to claim
		{offer: now + 15},                               // halfway is 7 s: less than the margin from now
		{offer: now + 30, want: now + 15},               // the least offer that fits both margins, roughly
		{offer: now},                                    // timed out
	}
	for _, c := range cases {
		got, err := counterLockTimeout(c.offer, now, c.lockTime, margin)
		if c.want == 0 {
			if !errors.Is(err, errUnsafeTimeouts) {
				t.Errorf("offer %d lock %d: got %d, %v; want refused", c.offer, c.lockTime, got, err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("offer %d lock %d: got %d, %v; want %d", c.offer, c.lockTime, got, err, c.want)
		}
	}
}
