package sim

import "time"

// meter counts, per physical node and chain, the consensus messages the
// virtual network delivered to the node, their bytes, and the wall time the
// node's driver spent handling them. It only watches: a run with a meter
// makes the same choices as one without (the wall clock is read around the
// handler, never fed to it). Wall time is for reports; no test asserts it.
type meter struct {
	nodes int
	// flood is the test hook for the broken design the scale test must
	// catch: every node subscribed to every chain's topic, so every
	// broadcast of every chain also reaches the nodes that do not run the
	// chain, which drop it unhandled. Those copies are counted apart
	// (traffic.Flooded), so one run gives both loads.
	flood bool
	by    map[meterKey]*traffic
}

type meterKey struct{ node, chain int }

// traffic is what one node received on one chain's topic.
type traffic struct {
	Msgs, Bytes uint64
	Handler     time.Duration
	// Flooded counts the copies only a node subscribed to every topic
	// would get (meter.flood).
	FloodedMsgs, FloodedBytes uint64
}

func newMeter(nodes int) *meter {
	return &meter{nodes: nodes, by: map[meterKey]*traffic{}}
}

func (m *meter) at(node, chain int) *traffic {
	k := meterKey{node, chain}
	t := m.by[k]
	if t == nil {
		t = &traffic{}
		m.by[k] = t
	}
	return t
}

// chainMeter is one chain's view of the meter: which physical node each
// of its local nodes is.
type chainMeter struct {
	m       *meter
	chain   int
	members []int
	runs    map[int]bool // physical nodes that run the chain
}

// delivered counts one message handed to local node to, handled in d.
func (c *chainMeter) delivered(to int, payload []byte, d time.Duration) {
	t := c.m.at(c.members[to], c.chain)
	t.Msgs++
	t.Bytes += uint64(len(payload))
	t.Handler += d
}

// broadcast counts, under flood, the copies of a broadcast that nodes
// not running the chain would receive on its topic.
func (c *chainMeter) broadcast(payload []byte) {
	if !c.m.flood {
		return
	}
	for p := 0; p < c.m.nodes; p++ {
		if !c.runs[p] {
			t := c.m.at(p, c.chain)
			t.FloodedMsgs++
			t.FloodedBytes += uint64(len(payload))
		}
	}
}
