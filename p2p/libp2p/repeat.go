package libp2p

import (
	"crypto/sha256"
	"sync"
	"time"
)

// Gossipsub names a message by its origin and sequence number (messageID),
// so anyone can publish a copy of someone else's payload as a new message,
// and every node would judge it again: about a millisecond of BLS for a
// vote, per node, per copy, for free. The repeat cache judges payloads by
// content instead, after the validator ran once:
//
//   - a payload accepted less than repeatWindow ago is ignored unread: a
//     node republishes its own messages no faster than its consensus
//     timeouts (seconds), so within the window a copy is a replay;
//   - a payload rejected less than rejectMemory ago is rejected unread, and
//     the peer that sent it again is penalised again;
//   - anything else goes to the validator, whose own caches make a repeat
//     cheap while its verdict can still follow the chain (a stale message
//     is ignored, not delivered forever).
const (
	repeatWindow  = time.Second
	rejectMemory  = 2 * time.Minute
	repeatEntries = 1 << 14 // per generation; two generations are kept
)

type repeatEntry struct {
	at       time.Time
	rejected bool
}

// repeatCache remembers recent verdicts by topic and payload hash. It keeps
// two generations of at most repeatEntries each, so memory is bounded and a
// busy topic forgets the oldest payloads first.
type repeatCache struct {
	now func() time.Time
	mu  struct {
		sync.Mutex
		cur, prev map[[32]byte]repeatEntry
	}
}

func newRepeatCache(now func() time.Time) *repeatCache {
	c := &repeatCache{now: now}
	c.mu.cur = map[[32]byte]repeatEntry{}
	return c
}

func repeatKey(topic string, data []byte) [32]byte {
	d := sha256.New()
	d.Write([]byte(topic))
	d.Write([]byte{0})
	d.Write(data)
	var k [32]byte
	d.Sum(k[:0])
	return k
}

// lookup reports a verdict for a payload seen recently: ignore (accepted
// within repeatWindow), reject (rejected within rejectMemory), or neither.
func (c *repeatCache) lookup(k [32]byte) (ignore, reject bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.mu.cur[k]
	if !ok {
		e, ok = c.mu.prev[k]
	}
	if !ok {
		return false, false
	}
	age := c.now().Sub(e.at)
	if e.rejected {
		return false, age < rejectMemory
	}
	return age < repeatWindow, false
}

// record notes the validator's verdict for a payload (ignored payloads are
// not recorded: their verdict may change as the chain moves).
func (c *repeatCache) record(k [32]byte, rejected bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.mu.cur) >= repeatEntries {
		c.mu.prev, c.mu.cur = c.mu.cur, make(map[[32]byte]repeatEntry, repeatEntries)
	}
	c.mu.cur[k] = repeatEntry{at: c.now(), rejected: rejected}
}
