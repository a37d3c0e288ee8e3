package bft

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/consensustest"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// testNode is one engine with the driver duties a test needs: a WAL, the
// chain it finalized, answers to Build and Verify.
type testNode struct {
	id      string
	key     *crypto.BLSSecretKey
	e       *Engine
	wal     [][]byte // entries since the last final block
	chain   []consensus.Final
	crashed bool
}

func (n *testNode) head() (uint64, common.Hash) {
	if len(n.chain) == 0 {
		return 0, testGenesis
	}
	f := n.chain[len(n.chain)-1]
	return f.Block.Height(), f.Block.Hash()
}

var testGenesis = common.HexToHash("0x67656e65736973")

type envelope struct {
	from, to int
	payload  []byte
}

// testNet delivers Send between engines in FIFO order, one goroutine, no clock.
type testNet struct {
	t     testing.TB
	vs    *consensus.ValidatorSet
	nodes []*testNode
	queue []envelope
	trace bytes.Buffer
	// drop, when set, loses a message (from, to, sequence number).
	drop func(from, to int, seq int) bool
	seq  int
	// noSync ignores SyncTo, as a node with no block sync peers would.
	noSync bool
	// syncs counts SyncTo requests, directed messages sent to one peer.
	syncs, directed int
	// lastHeight and lastType describe the message drop is asked about.
	lastHeight uint64
	lastType   VoteType
	lastTo     string
	// valid decides verdicts; nil: every block is valid.
	valid func(b *types.Block) bool
	// idle is the engines' IdleInterval (0: a block every BlockTime).
	idle uint64
	// nextVals names, by height, the validator set the block built at that
	// height carries for the next height (a child's config change).
	nextVals map[uint64][]types.Validator
}

// vsAt is the set deciding height h: net.vs changed by every block below h
// that named a next set.
func (net *testNet) vsAt(h uint64) *consensus.ValidatorSet {
	vs, at := net.vs, uint64(0)
	for height, next := range net.nextVals {
		if height < h && height > at {
			s, err := consensus.NewValidatorSet(next)
			if err != nil {
				net.t.Fatal(err)
			}
			vs, at = s, height
		}
	}
	return vs
}

func newTestNet(t testing.TB, n int) *testNet { return newTestNetWithFollowers(t, n, 0) }

// newTestNetWithFollowers adds followers (no key) after the n validators.
func newTestNetWithFollowers(t testing.TB, n, followers int) *testNet {
	keys := testKeys(t, n)
	net := &testNet{t: t, vs: testSet(t, keys)}
	for i := 0; i < n+followers; i++ {
		node := &testNode{id: fmt.Sprintf("n%d", i)}
		if i < n {
			node.key = keys[i]
		}
		net.nodes = append(net.nodes, node)
		net.start(i, nil)
	}
	return net
}

// start (re)creates node i's engine from its chain, replaying its WAL.
func (net *testNet) start(i int, replay [][]byte) {
	node := net.nodes[i]
	h, head := node.head()
	cfg := testConfig(net.vsAt(h+1), node.key)
	cfg.IdleInterval = net.idle
	e, err := New(cfg, h, head)
	if err != nil {
		net.t.Fatal(err)
	}
	node.e, node.crashed = e, false
	if replay != nil {
		if err := e.Step(consensus.Replay{Entries: replay}); err != nil {
			net.t.Fatalf("%s replay: %v", node.id, err)
		}
	}
}

// crash stops node i; restart brings it back from its WAL.
func (net *testNet) crash(i int)   { net.nodes[i].crashed = true }
func (net *testNet) restart(i int) { net.start(i, net.nodes[i].wal) }

func (net *testNet) index(id string) int {
	for i, n := range net.nodes {
		if n.id == id {
			return i
		}
	}
	return -1
}

// drain performs every Ready and delivers every message until quiet.
func (net *testNet) drain() {
	for guard := 0; ; guard++ {
		if guard > 100000 {
			net.t.Fatal("network never quiets")
		}
		busy := false
		for i, n := range net.nodes {
			if !n.crashed && n.e.HasReady() {
				busy = true
				net.perform(i)
			}
		}
		if len(net.queue) > 0 {
			busy = true
			env := net.queue[0]
			net.queue = net.queue[1:]
			to := net.nodes[env.to]
			if !to.crashed {
				err := to.e.Step(consensus.PeerMessage{From: net.nodes[env.from].id, Payload: env.payload})
				if err != nil && !errors.Is(err, ErrOldHeight) && !errors.Is(err, ErrFutureHeight) {
					net.t.Fatalf("%s from %s: %v", to.id, net.nodes[env.from].id, err)
				}
			}
		}
		if !busy {
			return
		}
	}
}

func (net *testNet) perform(i int) {
	n := net.nodes[i]
	rd := n.e.Ready()
	n.e.Advance()
	traceReady(&net.trace, rd)
	n.wal = append(n.wal, rd.Persist...)
	for _, s := range rd.Send {
		if s.To != "" {
			net.directed++
		}
		net.lastHeight, net.lastType, net.lastTo = 0, 0, s.To
		if m, err := DecodeMessage(s.Payload); err == nil {
			if v, ok := m.(*Vote); ok {
				net.lastHeight, net.lastType = v.Height, v.Type
			}
		}
		for j := range net.nodes {
			if j == i || (s.To != "" && s.To != net.nodes[j].id) {
				continue
			}
			net.seq++
			if net.drop != nil && net.drop(i, j, net.seq) {
				continue
			}
			net.queue = append(net.queue, envelope{i, j, s.Payload})
		}
	}
	for _, f := range rd.Final {
		if f.Block.Header.ParentHash != func() common.Hash { _, h := n.head(); return h }() {
			net.t.Fatalf("%s finalized block %d that does not extend its chain", n.id, f.Block.Height())
		}
		if err := VerifyCommit(net.vsAt(f.Block.Height()), testSubnet, f.Commit); err != nil {
			net.t.Fatalf("%s: certificate of block %d: %v", n.id, f.Block.Height(), err)
		}
		n.chain = append(n.chain, f)
		n.wal = nil // the driver truncates its WAL at a final block
	}
	if rd.SyncTo > 0 {
		net.syncs++
		if !net.noSync {
			net.blockSync(i, rd.SyncTo)
		}
	}
	if rd.Build != nil {
		b := testBlock(rd.Build.Height, rd.Build.Parent, byte(i))
		b.Evidence = rd.Build.Evidence
		b.Header.EvidenceHash = types.EvidenceHash(b.Evidence)
		b.Header.NextValidators = net.nextVals[rd.Build.Height]
		if err := n.e.Step(consensus.Built{Block: b}); err != nil {
			net.t.Fatalf("%s built: %v", n.id, err)
		}
	}
	for _, b := range rd.Verify {
		ok := net.valid == nil || net.valid(b)
		if err := n.e.Step(consensus.Verdict{Hash: b.Hash(), Valid: ok}); err != nil {
			net.t.Fatalf("%s verdict: %v", n.id, err)
		}
	}
}

func (net *testNet) tick(n int) {
	for k := 0; k < n; k++ {
		for _, node := range net.nodes {
			if !node.crashed {
				consensustest.CheckedTick(net.t, node.e)
			}
		}
		net.drain()
	}
}

// checkAgreement fails if two nodes finalized different blocks at a height.
func (net *testNet) checkAgreement() {
	for _, a := range net.nodes {
		for _, b := range net.nodes {
			for h := 0; h < len(a.chain) && h < len(b.chain); h++ {
				if a.chain[h].Block.Hash() != b.chain[h].Block.Hash() {
					net.t.Fatalf("%s and %s disagree at height %d", a.id, b.id, h+1)
				}
			}
		}
	}
}

func (net *testNet) minHeight(skipCrashed bool) int {
	m := -1
	for _, n := range net.nodes {
		if skipCrashed && n.crashed {
			continue
		}
		if m < 0 || len(n.chain) < m {
			m = len(n.chain)
		}
	}
	return m
}

// blockSync copies finalized blocks up to height from the node that has the
// most, checking each certificate as a syncing node would, then reports Synced.
func (net *testNet) blockSync(i int, height uint64) {
	n := net.nodes[i]
	var src *testNode
	for _, o := range net.nodes {
		if src == nil || len(o.chain) > len(src.chain) {
			src = o
		}
	}
	have, _ := n.head()
	for h := have + 1; h <= height && h <= uint64(len(src.chain)); h++ {
		f := src.chain[h-1]
		if err := VerifyCommit(net.vsAt(h), testSubnet, f.Commit); err != nil {
			net.t.Fatalf("block sync: %v", err)
		}
		n.chain = append(n.chain, f)
		n.wal = nil
	}
	if h, hash := n.head(); h > have {
		var next []types.Validator
		for k := have + 1; k <= h; k++ {
			if nv := net.nextVals[k]; nv != nil {
				next = nv
			}
		}
		if err := n.e.Step(consensus.Synced{Height: h, Hash: hash, NextValidators: next}); err != nil {
			net.t.Fatal(err)
		}
	}
}
