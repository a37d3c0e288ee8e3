package sim

import (
	"container/heap"
	"math/rand/v2"
)

// envelope is one copy of a message in flight.
type envelope struct {
	at       uint64 // tick it is delivered
	seq      uint64 // send order, to break ties deterministically
	from, to int
	payload  []byte
	epoch    int   // the receiver's incarnation when sent
	pair     int   // >0: one half of a byzantine equivocation pair
	half     uint8 // which half: 1 or 2
	gossip   bool  // a broadcast, which Scenario.Relay forwards
}

type queue []*envelope

func (q queue) Len() int { return len(q) }
func (q queue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q queue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queue) Push(x any)   { *q = append(*q, x.(*envelope)) }
func (q *queue) Pop() any {
	old := *q
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*q = old[:len(old)-1]
	return e
}

// network is the virtual network: per-copy delay, loss and duplication drawn
// from the run's generator, and at most one partition at a time.
type network struct {
	rng                *rand.Rand
	loss, dup          float64
	minDelay, maxDelay uint64
	q                  queue
	seq                uint64
	// side[i] is node i's side while partitioned; nil when whole.
	side []int

	lost, duplicated, delivered uint64
}

// send puts one message from one node to another on the wire at time now.
func (n *network) send(now uint64, from, to int, payload []byte, epoch int, gossip bool) {
	n.put(now, &envelope{from: from, to: to, payload: payload, epoch: epoch, gossip: gossip})
}

// sendPair is send for one half of a byzantine equivocation.
func (n *network) sendPair(now uint64, from, to int, payload []byte, pair int, half uint8, epoch int) {
	n.put(now, &envelope{from: from, to: to, payload: payload, epoch: epoch, pair: pair, half: half, gossip: true})
}

// put draws the fate of one message: lost, delivered once or twice, when.
func (n *network) put(now uint64, env *envelope) {
	if n.rng.Float64() < n.loss {
		n.lost++
		return
	}
	copies := 1
	if n.rng.Float64() < n.dup {
		copies = 2
		n.duplicated++
	}
	for c := 0; c < copies; c++ {
		delay := n.minDelay
		if n.maxDelay > n.minDelay {
			delay += n.rng.Uint64N(n.maxDelay - n.minDelay + 1)
		}
		n.seq++
		e := *env
		e.at, e.seq = now+delay, n.seq
		heap.Push(&n.q, &e)
	}
}

// next pops the next message due at or before now, or nil.
func (n *network) next(now uint64) *envelope {
	if len(n.q) == 0 || n.q[0].at > now {
		return nil
	}
	return heap.Pop(&n.q).(*envelope)
}

// connected reports whether a and b can talk: not on opposite sides of a partition.
func (n *network) connected(a, b int) bool {
	return n.side == nil || n.side[a] == n.side[b]
}
