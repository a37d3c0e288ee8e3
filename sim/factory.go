package sim

import (
	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// NodeConfig is what a factory gets to make one node's engine.
type NodeConfig struct {
	Index      int    // the node's validator index
	ID         string // its peer ID, the From of the messages it sends
	Subnet     types.SubnetID
	Validators *consensus.ValidatorSet
	Key        *crypto.BLSSecretKey
	MaxDelay   uint64 // the network's worst delay in ticks, to size timeouts
	// Height and Head are the node's last committed block; a restarted node
	// gets its committed chain's head.
	Height uint64
	Head   common.Hash
	// HeadHeader is that block's header (pow checks its first block
	// against it).
	HeadHeader *types.Header
}

// Vote is what the simulator needs to know of an engine's signed vote.
type Vote struct {
	Type      uint8
	Height    uint64
	Round     uint32
	BlockHash common.Hash
	Validator int
}

// EngineFactory adapts an engine to the simulator. Only New is required; the
// other hooks enable checks and faults the engine supports.
type EngineFactory struct {
	Name string
	New  func(cfg NodeConfig) (consensus.Engine, error)

	// VerifyCommit checks a final block's certificate (Validity, block sync).
	VerifyCommit func(vs *consensus.ValidatorSet, subnet types.SubnetID, c *types.Commit) error
	// DecodeVote reports whether payload is a vote, and which (No double
	// signing). Only votes whose Validator is the sender are checked.
	DecodeVote func(payload []byte) (Vote, bool)
	// Corrupt rewrites one outbound broadcast of a byzantine node into two
	// conflicting payloads for the two halves of the network; ok=false sends
	// it unchanged.
	Corrupt func(b *Byzantine, payload []byte) (eq Equivocation, ok bool)
	// Accused lists the validators an engine holds evidence against.
	Accused func(e consensus.Engine) []int
	// Describe renders a payload for Scenario.Log.
	Describe func(payload []byte) string
	// BlockEvidence checks one evidence entry of a final block and returns
	// the validator it accuses.
	BlockEvidence func(vs *consensus.ValidatorSet, subnet types.SubnetID, ev []byte) (int, error)
	// OnBuilt, when set, may change a block node's application built before
	// it is recorded as built and proposed: a scenario's validator-set
	// change names the next set in a block's header this way.
	OnBuilt func(node int, b *types.Block)

	// pow, for a pow chain (Pow): blocks final at a depth without a
	// certificate, sealed by each node's virtual miner.
	pow *PowParams
}

// Equivocation is what a byzantine node sends instead of one broadcast: A to
// one half of the network, B to the other. The halves are fixed per height
// and round, so a node's conflicting proposal and votes reach the same half.
type Equivocation struct {
	Height uint64
	Round  uint32
	A, B   []byte
}

// Byzantine is what Corrupt may use of the byzantine node it corrupts.
type Byzantine struct {
	sim  *simulation
	node *node
}

// Index is the byzantine validator's index.
func (b *Byzantine) Index() int { return b.node.index }

// Key is its signing key.
func (b *Byzantine) Key() *crypto.BLSSecretKey { return b.node.key }

// Subnet is the simulated subnet.
func (b *Byzantine) Subnet() types.SubnetID { return b.sim.subnet }

// Fork returns a block that conflicts with blk yet is valid on the same
// parent: same height, parent and state, another timestamp. The simulator
// records it as built, so it may legitimately become final.
func (b *Byzantine) Fork(blk *types.Block) *types.Block {
	h := blk.Header.Copy()
	h.Seal = nil
	h.TimeMs++
	f := &types.Block{Header: h, Txs: blk.Txs, Evidence: blk.Evidence}
	b.sim.built[f.Hash()] = true
	b.sim.forks[forkKey{blk.Height(), b.node.index}] = append(b.sim.forks[forkKey{blk.Height(), b.node.index}], f.Hash())
	return f
}

// Forks returns the hashes of the conflicting blocks this byzantine node made at height.
func (b *Byzantine) Forks(height uint64) []common.Hash {
	return b.sim.forks[forkKey{height, b.node.index}]
}

// Rand returns a number from the run's seeded generator.
func (b *Byzantine) Rand() uint64 { return b.sim.rng.Uint64() }

type forkKey struct {
	height uint64
	node   int
}
