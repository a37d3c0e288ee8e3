package node

import "time"

// Block sync asks one peer at a time for blocks above its head. A peer's
// claimed height is only a claim: a peer may claim any height and then serve
// nothing, or blocks no certificate backs. The peer book keeps catch-up
// moving despite such peers: it rotates among the peers ahead of us (a claim
// alone never wins every round), counts failures, and bans a peer that
// fails banAfterFailures times in a row, or serves one unverifiable block,
// for banFor, doubling with each repeat offence up to maxBanDoublings.
const (
	banAfterFailures = 2
	banFor           = time.Minute
	maxBanDoublings  = 5 // the longest ban is banFor << 5: 32 minutes
)

// peerClaim is one peer's answer to a block-sync status request.
type peerClaim struct {
	peer   string
	height uint64
}

// peerBook chooses the peer block sync asks next and remembers how peers
// served it. It is owned by one runtime's sync goroutine: no lock.
type peerBook struct {
	now   func() time.Time
	asked uint64 // fetches handed out so far: the rotation's clock
	peers map[string]*peerRecord
}

type peerRecord struct {
	failures    int // consecutive failures since the peer last served
	offences    int // bans so far: each doubles the next
	bannedUntil time.Time
	lastAsked   uint64 // value of peerBook.asked when picked; 0: never
}

func newPeerBook(now func() time.Time) *peerBook {
	return &peerBook{now: now, peers: map[string]*peerRecord{}}
}

func (b *peerBook) record(peer string) *peerRecord {
	r := b.peers[peer]
	if r == nil {
		r = &peerRecord{}
		b.peers[peer] = r
	}
	return r
}

// banned reports whether peer is banned now.
func (b *peerBook) banned(peer string) bool {
	r := b.peers[peer]
	return r != nil && b.now().Before(r.bannedUntil)
}

// usable keeps the peers worth asking for their status: those not banned.
// It forgets peers that left, but an offender only once its ban is over by
// the longest ban: leaving and reconnecting must not reset the doubling.
// The book stays as large as the peer set plus recent offenders.
func (b *peerBook) usable(peers []string) []string {
	present := make(map[string]bool, len(peers))
	out := make([]string, 0, len(peers))
	for _, p := range peers {
		present[p] = true
		if !b.banned(p) {
			out = append(out, p)
		}
	}
	for p, r := range b.peers {
		if !present[p] && !b.now().Before(r.bannedUntil.Add(banFor<<maxBanDoublings)) {
			delete(b.peers, p)
		}
	}
	return out
}

// pick chooses, among the unbanned peers claiming more than head, the one
// asked least recently (never asked first, then the highest claim), so a
// peer that lies about its height shares the rounds with honest ones until
// its failures ban it.
func (b *peerBook) pick(claims []peerClaim, head uint64) (string, bool) {
	var best *peerClaim
	var bestAsked uint64
	for i := range claims {
		c := &claims[i]
		if c.height <= head || b.banned(c.peer) {
			continue
		}
		var asked uint64
		if r := b.peers[c.peer]; r != nil {
			asked = r.lastAsked
		}
		if best == nil || asked < bestAsked || (asked == bestAsked && c.height > best.height) {
			best, bestAsked = c, asked
		}
	}
	if best == nil {
		return "", false
	}
	b.asked++
	b.record(best.peer).lastAsked = b.asked
	return best.peer, true
}

// served records that peer delivered verified blocks.
func (b *peerBook) served(peer string) { b.record(peer).failures = 0 }

// failed records that peer did not deliver (an error, a timeout, nothing
// above our head): banned after banAfterFailures in a row. It returns the
// ban's length, 0 if none.
func (b *peerBook) failed(peer string) time.Duration {
	r := b.record(peer)
	r.failures++
	if r.failures >= banAfterFailures {
		return b.ban(r)
	}
	return 0
}

// lied records that peer served a block its certificate does not prove:
// no honest peer does, so it is banned at once, for the returned time.
func (b *peerBook) lied(peer string) time.Duration { return b.ban(b.record(peer)) }

func (b *peerBook) ban(r *peerRecord) time.Duration {
	d := banFor << min(r.offences, maxBanDoublings)
	r.bannedUntil = b.now().Add(d)
	r.offences++
	r.failures = 0
	return d
}
