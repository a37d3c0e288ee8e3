package sim

import (
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/crypto"
)

// node is one simulated validator: its driver and engine (nil while
// crashed) and what survives a crash — the committed chain and the WAL.
type node struct {
	index  int
	id     string
	key    *crypto.BLSSecretKey
	honest bool
	drv    *driver.Driver   // the real consensus driver, stepped by the simulator
	engine consensus.Engine // the engine drv owns, for the evidence checks and the log
	app    *app
	wal    memWAL
	// epoch counts starts: a message sent to an earlier incarnation is lost.
	epoch    int
	crashing bool // torn crash pending: die right after the next WAL write

	syncTo    uint64 // highest Ready.SyncTo seen
	nextSync  uint64 // earliest tick of the next block-sync attempt
	probing   bool   // restarted and not yet caught up: probe peers periodically
	byzantine *Byzantine
	relayed   map[common.Hash]bool // broadcasts sent or relayed (Scenario.Relay)
	sealer    *sealer              // the virtual miner of a pow node's incarnation
}

func (n *node) up() bool { return n.drv != nil }

// start makes a fresh engine and driver from the node's committed chain
// and starts it: the driver replays the WAL entries above the chain's head
// before any other input.
func (s *simulation) start(n *node, restart bool) error {
	if err := s.boot(n, restart); err != nil {
		return err
	}
	s.step(n, (*driver.Driver).Start)
	return nil
}

// startAll boots every node before starting any, so the first messages
// reach nodes already up.
func (s *simulation) startAll() error {
	for _, n := range s.nodes {
		if err := s.boot(n, false); err != nil {
			return err
		}
	}
	for _, n := range s.nodes {
		s.step(n, (*driver.Driver).Start)
	}
	return nil
}

// boot makes n's engine and driver, not started yet.
func (s *simulation) boot(n *node, restart bool) error {
	head := n.app.head()
	e, err := s.f.New(NodeConfig{
		Index: n.index, ID: n.id, Subnet: s.subnet, Validators: s.vs, Key: n.key,
		MaxDelay: s.sc.MaxDelay, Height: head.Height(), Head: head.Hash(), HeadHeader: head.Header,
	})
	if err != nil {
		return err
	}
	n.wal.n = n
	n.engine, n.crashing, n.syncTo = e, false, 0
	n.drv = s.newDriver(n, e)
	n.relayed = map[common.Hash]bool{}
	n.epoch++
	if !n.honest {
		n.byzantine = &Byzantine{sim: s, node: n}
	}
	if restart {
		s.record('R', uint64(n.index), uint64(len(n.wal.Entries(head.Height()))))
		n.probing, n.nextSync = true, s.now
	}
	return nil
}

// crash drops the node's driver and engine and, through the epoch, its
// in-flight messages.
func (s *simulation) crash(n *node) {
	s.record('C', uint64(n.index))
	s.logf("n%d crashed", n.index)
	s.res.Crashes++
	s.pollEvidence()
	n.drv, n.engine, n.crashing, n.probing = nil, nil, false, false
}

// sendLogged is the driver's transport: log, then send.
func (s *simulation) sendLogged(n *node, out consensus.Outbound) {
	if s.sc.Log != nil {
		s.logf("n%d -> %q %s", n.index, out.To, s.describe(out.Payload))
	}
	s.send(n, out)
}

// send puts an outbound message on the network; a byzantine node's
// broadcasts are first corrupted into two conflicting halves.
func (s *simulation) send(n *node, out consensus.Outbound) {
	if n.honest {
		s.checkVote(n, out.Payload)
	}
	if out.To != "" {
		to, ok := s.byID[out.To]
		if ok && to != n.index {
			s.net.send(s.now, n.index, to, out.Payload, s.nodes[to].epoch, false)
		}
		return
	}
	if !n.honest && s.f.Corrupt != nil && !(s.sc.ProposalsOnly && s.isVote(out.Payload)) {
		if eq, ok := s.f.Corrupt(n.byzantine, out.Payload); ok {
			s.equivocate(n, eq)
			return
		}
	}
	if s.sc.Relay {
		n.relayed[gethcrypto.Keccak256Hash(out.Payload)] = true
	}
	s.broadcast(n, out.Payload)
}

// relay forwards a broadcast n received to every other node, the first time
// only, as gossipsub does. The engine's own sends always go out: its
// re-broadcasts are how lost messages get through.
func (s *simulation) relay(n *node, payload []byte) {
	k := gethcrypto.Keccak256Hash(payload)
	if n.relayed[k] {
		return
	}
	n.relayed[k] = true
	s.broadcast(n, payload)
}

// broadcast sends payload from n to every other node.
func (s *simulation) broadcast(n *node, payload []byte) {
	if s.meter != nil {
		s.meter.broadcast(payload)
	}
	for _, m := range s.nodes {
		if m.index != n.index {
			s.net.send(s.now, n.index, m.index, payload, m.epoch, true)
		}
	}
}

// equivocate sends eq.A to one half of the other nodes and eq.B to the
// rest; one node of the first half also gets eq.B, as gossip eventually
// would, so the equivocation can be detected.
func (s *simulation) equivocate(n *node, eq Equivocation) {
	s.res.Equivocations++
	a, b := eq.A, eq.B
	k := splitKey{n.index, eq.Height, eq.Round}
	others, ok := s.splits[k]
	if !ok {
		for _, m := range s.nodes {
			if m.index != n.index {
				others = append(others, m.index)
			}
		}
		s.rng.Shuffle(len(others), func(i, j int) { others[i], others[j] = others[j], others[i] })
		s.splits[k] = others
	}
	half := (len(others) + 1) / 2
	id := 0
	if s.f.DecodeVote != nil {
		va, okA := s.f.DecodeVote(a)
		_, okB := s.f.DecodeVote(b)
		if okA && okB {
			id = len(s.pairs) + 1
			s.pairs[id] = &pair{height: va.Height, got: map[int]uint8{}}
		}
	}
	for k, to := range others {
		if k < half {
			s.net.sendPair(s.now, n.index, to, a, id, 1, s.nodes[to].epoch)
		}
		if k >= half || k == 0 {
			s.net.sendPair(s.now, n.index, to, b, id, 2, s.nodes[to].epoch)
		}
	}
}

// deliver hands one message to its receiver's driver, unless the receiver
// restarted since it was sent, is down, or is cut off by a partition.
func (s *simulation) deliver(env *envelope) {
	n := s.nodes[env.to]
	if !n.up() || n.epoch != env.epoch || !s.net.connected(env.from, env.to) {
		s.net.lost++
		return
	}
	s.net.delivered++
	if s.sc.Log != nil {
		s.logf("n%d <- n%d %s", env.to, env.from, s.describe(env.payload))
	}
	s.record('D', env.seq, uint64(env.from), uint64(env.to))
	next := n.app.height() + 1 // the height the message arrives at
	var began time.Time
	if s.meter != nil {
		began = time.Now()
	}
	s.step(n, func(d *driver.Driver) error {
		return d.HandlePeer(consensus.PeerMessage{From: s.nodes[env.from].id, Payload: env.payload})
	})
	if s.meter != nil {
		s.meter.delivered(env.to, env.payload, time.Since(began))
	}
	if p := s.pairs[env.pair]; env.pair > 0 && n.honest && next == p.height {
		p.got[n.index] |= env.half
		if p.got[n.index] == 3 && !s.res.EvidenceDue {
			s.res.EvidenceDue, s.dueAt = true, s.now
		}
	}
	if s.sc.Relay && env.gossip && n.honest && n.up() {
		s.relay(n, env.payload)
	}
}

func (s *simulation) isVote(payload []byte) bool {
	if s.f.DecodeVote == nil {
		return false
	}
	_, ok := s.f.DecodeVote(payload)
	return ok
}
