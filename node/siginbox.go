package node

import (
	"bytes"
	"sync"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// Bounds of the checkpoint-signature inbox. A slot is one (height, signer
// index); it holds one payload per origin (the signed author of the gossip
// message), so the honest author of a signature keeps its place however
// much another origin sends. maxSlotOrigins origins share a slot: an honest
// signature can only be shut out by that many distinct authors forging the
// same signer at the same height before it arrives, never evicted once in.
const (
	maxSlotOrigins = 4
	// inboxBatch is how many slots the relay goroutine steps per wake-up, so
	// a full inbox does not hold its ticks and heads back for long.
	inboxBatch = 64
)

// sigKey names an inbox slot.
type sigKey struct {
	height    uint64
	validator uint32
}

// originHeight is one origin's share at one height: one payload.
type originHeight struct {
	origin string
	height uint64
}

// sigEntry is one origin's newest payload for a slot.
type sigEntry struct {
	origin string
	data   []byte
}

// sigInbox carries gossiped checkpoint signatures from the topic reader to
// the relay goroutine. It replaces a drop-on-full channel, which under a
// burst of junk or copies from one peer threw honest signatures away and
// left the relayer waiting for re-gossip. Here, copies coalesce, an origin
// replaces only its own earlier payload for a slot, and what is held is
// bounded by the relayer's own acceptance rules, not by arrival order:
// heights above the parent's last checkpoint and at most 2·Window periods
// beyond it (what xnet.Relayer takes), signer indexes below
// gateway.MaxValidators, maxSlotOrigins payloads per slot, and per origin
// at most one payload per height in that range (an honest author signs
// once per height). The relayer checks each payload as before; the inbox
// only decides what reaches it. Safe for one writer and one reader.
type sigInbox struct {
	period, span uint64 // span: how far above floor a signature may be

	mu       sync.Mutex
	floor    uint64 // the parent's last checkpoint: signatures at or below are stale
	slots    map[sigKey][]sigEntry
	order    []sigKey // slots in the order they filled, for fair draining
	byOrigin map[string]int
	atHeight map[originHeight]bool // the heights at which each origin holds a payload
	held     int

	// wake holds a token while the inbox has something to take.
	wake chan struct{}
}

// newSigInbox returns an inbox for a subnet with the checkpoint period,
// whose parent last committed the checkpoint at floor.
func newSigInbox(period, floor uint64) *sigInbox {
	return &sigInbox{
		period:   period,
		span:     2 * xnet.DefaultWindow * period,
		floor:    floor,
		slots:    make(map[sigKey][]sigEntry),
		byOrigin: make(map[string]int),
		atHeight: make(map[originHeight]bool),
		wake:     make(chan struct{}, 1),
	}
}

// put offers origin's message. It reports false when the inbox refused it
// for lack of room (an origin over its share, or a slot's origins all
// taken); messages the relayer would refuse anyway (undecodable, stale,
// too far ahead, an impossible signer index) are left out silently, and a
// copy of a held payload coalesces with it.
func (q *sigInbox) put(origin string, data []byte) bool {
	s, err := types.DecodeCheckpointSignature(data)
	if err != nil || s.Validator >= gateway.MaxValidators {
		return true
	}
	k := sigKey{s.Height, s.Validator}
	q.mu.Lock()
	defer q.mu.Unlock()
	if k.height <= q.floor || k.height > q.floor+q.span {
		return true
	}
	slot := q.slots[k]
	for i, e := range slot {
		if bytes.Equal(e.data, data) {
			return true // a copy: the relayer gets it once
		}
		if e.origin == origin {
			slot[i].data = data // the origin's newest word for this slot
			return true
		}
	}
	oh := originHeight{origin, k.height}
	if len(slot) >= maxSlotOrigins || q.atHeight[oh] || uint64(q.byOrigin[origin]) >= q.span/q.period {
		return false
	}
	if slot == nil {
		q.order = append(q.order, k)
	}
	q.slots[k] = append(slot, sigEntry{origin: origin, data: data})
	q.byOrigin[origin]++
	q.atHeight[oh] = true
	q.held++
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// take removes up to inboxBatch slots, oldest first, and returns their
// payloads as relayer inputs. It leaves a wake token when more remain.
func (q *sigInbox) take() []xnet.Input {
	q.mu.Lock()
	defer q.mu.Unlock()
	var out []xnet.Input
	n := 0
	for n < inboxBatch && len(q.order) > 0 {
		k := q.order[0]
		q.order = q.order[1:]
		slot, ok := q.slots[k]
		if !ok {
			continue // pruned by advance
		}
		delete(q.slots, k)
		for _, e := range slot {
			out = append(out, xnet.PeerSignature{From: e.origin, Data: e.data})
			q.release(e.origin, k.height)
		}
		n++
	}
	if len(q.order) == 0 {
		q.order = nil // let the backing array go
	} else {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return out
}

// advance moves the floor to the parent's newest checkpoint and forgets the
// signatures at or below it, which the relayer would refuse as stale.
func (q *sigInbox) advance(floor uint64) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if floor <= q.floor {
		return
	}
	q.floor = floor
	for k, slot := range q.slots {
		if k.height <= floor {
			for _, e := range slot {
				q.release(e.origin, k.height)
			}
			delete(q.slots, k)
		}
	}
}

// len reports how many payloads the inbox holds.
func (q *sigInbox) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.held
}

func (q *sigInbox) release(origin string, height uint64) {
	q.held--
	delete(q.atHeight, originHeight{origin, height})
	if q.byOrigin[origin]--; q.byOrigin[origin] <= 0 {
		delete(q.byOrigin, origin)
	}
}
