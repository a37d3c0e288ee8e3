package node

import (
	"math"
	"testing"
	"time"
)

// fakeClock is a settable clock for the peer book's bans.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newFakeClock() *fakeClock               { return &fakeClock{t: time.Unix(1_700_000_000, 0)} }

// syncRounds plays rounds of block sync against claims: each round asks
// the book for a peer and reports the outcome outcome(peer) gives. It
// returns the peers asked, in order.
func syncRounds(b *peerBook, claims []peerClaim, head uint64, rounds int, outcome func(string) string) []string {
	var asked []string
	for i := 0; i < rounds; i++ {
		claims := b.usableClaims(claims)
		p, ok := b.pick(claims, head)
		if !ok {
			asked = append(asked, "")
			continue
		}
		asked = append(asked, p)
		switch outcome(p) {
		case "ok":
			b.served(p)
		case "empty":
			b.failed(p)
		case "garbage":
			b.lied(p)
		}
	}
	return asked
}

// usableClaims keeps the claims of peers the book would ask for a status.
func (b *peerBook) usableClaims(claims []peerClaim) []peerClaim {
	var ids []string
	for _, c := range claims {
		ids = append(ids, c.peer)
	}
	keep := map[string]bool{}
	for _, p := range b.usable(ids) {
		keep[p] = true
	}
	var out []peerClaim
	for _, c := range claims {
		if keep[c.peer] {
			out = append(out, c)
		}
	}
	return out
}

// TestPeerBookLiarDoesNotBlockSync: a peer that claims the highest
// possible height and serves nothing must not be picked round after round;
// the honest peer a little ahead gets asked. Before, sync always took the
// highest claim, so one liar stalled catch-up for good.
func TestPeerBookLiarDoesNotBlockSync(t *testing.T) {
	for _, lie := range []string{"empty", "garbage"} {
		t.Run(lie, func(t *testing.T) {
			clock := newFakeClock()
			b := newPeerBook(clock.now)
			claims := []peerClaim{{"honest", 120}, {"liar", math.MaxUint64}, {"behind", 90}}
			asked := syncRounds(b, claims, 100, 10, func(p string) string {
				if p == "liar" {
					return lie
				}
				return "ok"
			})
			liar := 0
			for _, p := range asked {
				switch p {
				case "liar":
					liar++
				case "behind", "":
					t.Fatalf("asked %q while a peer ahead was available: %v", p, asked)
				}
			}
			if liar > banAfterFailures {
				t.Fatalf("liar asked %d times in 10 rounds, want at most %d: %v", liar, banAfterFailures, asked)
			}
			if !b.banned("liar") {
				t.Fatalf("liar not banned after %v", asked)
			}
			// The ban ends; a liar that lies again is banned for longer.
			clock.advance(banFor + time.Second)
			if b.banned("liar") {
				t.Fatal("ban did not end")
			}
			syncRounds(b, claims, 100, 10, func(p string) string {
				if p == "liar" {
					return lie
				}
				return "ok"
			})
			clock.advance(banFor + time.Second)
			if !b.banned("liar") {
				t.Fatal("a repeat offender's ban is no longer than the first")
			}
		})
	}
}

// TestPeerBookRotates: among peers that serve, the book spreads fetches
// instead of asking one peer forever, and a failing peer is asked less.
func TestPeerBookRotates(t *testing.T) {
	b := newPeerBook(newFakeClock().now)
	claims := []peerClaim{{"a", 200}, {"b", 150}, {"c", 300}}
	asked := syncRounds(b, claims, 100, 6, func(string) string { return "ok" })
	count := map[string]int{}
	for _, p := range asked {
		count[p]++
	}
	if count["a"] != 2 || count["b"] != 2 || count["c"] != 2 {
		t.Fatalf("fetches not spread evenly over three serving peers: %v", asked)
	}
	// A peer not ahead of us is never asked.
	if p, ok := b.pick([]peerClaim{{"a", 100}, {"b", 99}}, 100); ok {
		t.Fatalf("picked %q, which is not ahead", p)
	}
}

// TestPeerBookRepeatOffenceDoublesAfterAbsence: a peer banned once and
// banned again gets twice the ban, even if it left the peer set for a
// status round in between. Before, the book forgot any absent peer whose
// ban had ended, so a liar that reconnected after each ban was always
// banned for the shortest time.
func TestPeerBookRepeatOffenceDoublesAfterAbsence(t *testing.T) {
	clock := newFakeClock()
	b := newPeerBook(clock.now)
	if d := b.lied("liar"); d != banFor {
		t.Fatalf("first ban %v, want %v", d, banFor)
	}
	clock.advance(banFor + time.Second)
	b.usable([]string{"honest"}) // the liar reconnects between two rounds
	b.usable([]string{"liar", "honest"})
	if d := b.lied("liar"); d != 2*banFor {
		t.Fatalf("second ban %v, want %v: the repeat offence was forgotten", d, 2*banFor)
	}
}
