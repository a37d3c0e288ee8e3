package consensus

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// ErrUnknownKind is returned by LookupKind for an engine this build lacks.
var ErrUnknownKind = errors.New("consensus: unknown engine")

// ErrNoEvidence is returned for evidence of an engine that has none of its
// own (solo: its sequencer casts no votes; it can only double-sign
// checkpoints, which the gateway checks itself).
var ErrNoEvidence = errors.New("consensus: engine has no evidence of its own")

// ErrOldHeight and ErrFutureHeight are what an engine's Step returns (or
// wraps) for a peer message of a height already decided or too far ahead:
// normal gossip races, which a node counts apart from bad input without
// knowing the engine.
var (
	ErrOldHeight    = errors.New("consensus: message for a height already decided")
	ErrFutureHeight = errors.New("consensus: message for a height too far ahead")
)

// ErrNotSequencer is returned by a single sequencer's Kind.New when the
// node's account is not the chain's one validator.
var ErrNotSequencer = errors.New("consensus: this node's account is not the sequencer of the chain")

// Kind is an engine as a value: everything the node, config, the CLI, the
// gateway's wiring and the simulator need to know of an engine without
// importing it or comparing its name. Each engine package exports one
// (solo.Kind, bft.Kind) and consensus/engines registers them; a new engine
// is one new package and one line there.
type Kind struct {
	// Name is the engine's name in genesis files, on the command line and
	// in the gateway's Engine enum (its lower-case spelling).
	Name string
	// New makes the engine at the chain's head.
	New func(cfg Config) (Engine, error)
	// SingleSequencer: the chain has exactly one validator, who makes every
	// block alone with its account key; it needs no peers, no WAL and no
	// BLS key, and a node runs it only with that validator's account.
	SingleSequencer bool
	// ValidatorKeys: every validator needs a BLS key (it signs votes), so
	// a node running the engine loads its BLS key.
	ValidatorKeys bool
	// Finality says when a block the engine emits in Ready.Final can no
	// longer change.
	Finality Finality
	// CheckMessage validates an encoded peer message cheaply enough to run
	// before gossip relays it (decoding, sender and signature against vs)
	// and returns the height it is for. Nil for an engine without peers.
	CheckMessage func(vs *ValidatorSet, subnet types.SubnetID, payload []byte) (height uint64, err error)
	// DecodeGossip decodes an encoded peer message for a gossip validator
	// that judges it without knowing the engine (see Gossip). Its errors
	// wrap ErrMalformed. Nil for an engine without peers.
	DecodeGossip func(subnet types.SubnetID, payload []byte) (Gossip, error)
	// CheckBody checks that a block's body is the one its header commits
	// to, within the engine's own limits (bft: how much evidence a block
	// may carry), and with app's part; errors wrap ErrBadBody. Nil:
	// types.CheckBody does. Callers use Kind.CheckBlockBody.
	CheckBody func(b *types.Block, app func(*types.Block) error) error
	// VerifyCommit checks a final block's certificate against the set that
	// decided it (block sync, proofs). Nil for an engine whose blocks carry
	// no certificate (solo: the sequencer's seal is in the header).
	VerifyCommit func(vs *ValidatorSet, subnet types.SubnetID, c *types.Commit) error
	// Evidence decodes evidence submitted to a parent's gateway that a
	// validator of subnet equivocated, and checks everything but its
	// signatures, which Offence.Verify checks. Nil: no evidence of its own.
	Evidence func(subnet types.SubnetID, payload []byte) (Offence, error)
	// NewSealer makes what seals this engine's blocks (pow: a miner with
	// threads workers); nil for engines that do not ask to seal.
	NewSealer func(threads int) Sealer
	// CheckHeader checks h against its parent by the engine's rules alone
	// (pow: linkage, height, timestamp, difficulty and work), for block
	// sync and light verification. Errors wrap ErrMalformed. Nil: the
	// engine has no rule a header can be checked by without a certificate.
	CheckHeader func(parent, h *types.Header, cfg Config) error
	// ReportEvidence turns one piece of evidence a final block of the
	// engine carries into the payload Evidence decodes, for the parent;
	// vs is the set whose seats the evidence names.
	ReportEvidence func(vs []Validator, blockEvidence []byte) ([]byte, error)
}

// Finality is an engine's finality model.
type Finality struct {
	// Depth is 0 for instant finality: a block is final when the engine
	// emits it. Above 0 finality is probabilistic: a block may still be
	// replaced until Depth blocks are built on it. It is the kind's
	// default; a chain may choose another (Config.Confirmations).
	Depth uint64
}

// Instant reports whether blocks are final as soon as they are emitted.
func (f Finality) Instant() bool { return f.Depth == 0 }

// Config is what every engine is made from. An engine reads what it needs
// and ignores the rest.
type Config struct {
	Subnet     types.SubnetID
	Validators *ValidatorSet // the set deciding Height+1
	// BLSKey signs votes; nil on a node without one. A key outside
	// Validators follows until a set change seats it.
	BLSKey *crypto.BLSSecretKey
	// Signer is the node's account key and Account its address: a single
	// sequencer seals blocks with it.
	Signer  Signer
	Account common.Address
	// Height and Head are the chain's last final block.
	Height uint64
	Head   common.Hash
	Timing Timing
	// CheckBody, when set, checks the part of a proposed block's body the
	// engine does not know against the header (for an EVM chain, the
	// transactions against TxRoot); cheap and deterministic.
	CheckBody func(*types.Block) error
	// Sigs checks the BLS signatures of peer messages; nil: crypto.VerifyBLS.
	// A node passes the cache its gossip gate fills (see SigVerifier).
	Sigs SigVerifier

	// HeadHeader is the header of Head, for engines that check a block
	// against its parent (pow); nil: unknown, and the first block above
	// Head is checked less (its work, not its difficulty's derivation).
	HeadHeader *types.Header
	// Tentative are the blocks committed above Head that are not final yet,
	// lowest first, for an engine with probabilistic finality to resume
	// on. Nil: the engine rewinds the chain to Head at start.
	Tentative []*types.Block
	// Mine: an engine where any node may make blocks (pow) makes them
	// only when it is set.
	Mine bool
	// Confirmations is, for an engine with probabilistic finality, how
	// deep a block must be to be final; 0: the kind's Finality.Depth.
	Confirmations uint64
	// BlockTimeMs is the time between blocks an engine that retargets its
	// difficulty aims for; 0: the engine's default.
	BlockTimeMs uint64
	// Difficulty is a proof-of-work chain's genesis and minimum
	// difficulty; 0: the engine's default.
	Difficulty uint64
}

// Signer seals a block hash with the node's account key. Signing must be
// deterministic (secp256k1 with RFC 6979 nonces is) so engines stay pure.
type Signer interface {
	Sign(hash common.Hash) ([]byte, error)
}

// Timing is an engine's timing, in ticks.
type Timing struct {
	BlockTime uint64 // between blocks while there is work
	// IdleInterval is the longest an idle chain goes without a block; 0:
	// never idle (a block every BlockTime). An engine may keep its root at
	// a steady pace whatever this says.
	IdleInterval uint64
	// Round timeouts of engines that vote.
	Propose, Prevote, Precommit, Delta uint64
}

// Offence is what one piece of evidence proves: the holder of Key signed
// two conflicting messages for Height of the subnet.
type Offence struct {
	Key    []byte // the accused's BLS public key
	Height uint64
	What   string // e.g. "double prevote at height 5, round 0"
	// Verify checks the signatures, the expensive part: a caller runs it
	// only once the key turned out to have something at stake.
	Verify func() error
}

var registry = struct {
	sync.RWMutex
	kinds map[string]Kind
}{kinds: map[string]Kind{}}

// Register makes k available to LookupKind. It panics on a kind without a
// name or constructor, or a name taken: both are programming errors caught
// at start-up.
func Register(k Kind) {
	if k.Name == "" || k.New == nil {
		panic("consensus: Register of a kind without a name or constructor")
	}
	if k.Name != strings.ToLower(k.Name) {
		panic("consensus: kind names are lower case: " + k.Name)
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.kinds[k.Name]; dup {
		panic("consensus: engine " + k.Name + " registered twice")
	}
	registry.kinds[k.Name] = k
}

// LookupKind returns the registered kind called name; the error lists the
// kinds this build has.
func LookupKind(name string) (Kind, error) {
	registry.RLock()
	k, ok := registry.kinds[name]
	registry.RUnlock()
	if !ok {
		have := KindNames()
		if len(have) == 0 {
			return Kind{}, fmt.Errorf("%w %q: no engine is registered (import consensus/engines)", ErrUnknownKind, name)
		}
		return Kind{}, fmt.Errorf("%w %q: this build has %s", ErrUnknownKind, name, strings.Join(have, ", "))
	}
	return k, nil
}

// Kinds returns the registered kinds, sorted by name.
func Kinds() []Kind {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]Kind, 0, len(registry.kinds))
	for _, k := range registry.kinds {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b Kind) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// KindNames returns the registered kinds' names, sorted.
func KindNames() []string {
	var names []string
	for _, k := range Kinds() {
		names = append(names, k.Name)
	}
	return names
}

// KindEvidence checks engine evidence with a fixed list of kinds. It is
// what a chain's wiring gives the gateway (gateway.EvidenceVerifier), which
// knows engines only by name. Every node must give the same kinds, or
// submitEvidence would end differently on different nodes.
type KindEvidence []Kind

// DecodeEvidence decodes payload, evidence of engine for subnet, and checks
// all but its signatures.
func (ks KindEvidence) DecodeEvidence(engine string, subnet types.SubnetID, payload []byte) (key []byte, height uint64, what string, err error) {
	off, err := ks.offence(engine, subnet, payload)
	return off.Key, off.Height, off.What, err
}

// VerifyEvidence checks the signatures of evidence DecodeEvidence accepted.
func (ks KindEvidence) VerifyEvidence(engine string, subnet types.SubnetID, payload []byte) error {
	off, err := ks.offence(engine, subnet, payload)
	if err != nil {
		return err
	}
	return off.Verify()
}

func (ks KindEvidence) offence(engine string, subnet types.SubnetID, payload []byte) (Offence, error) {
	for _, k := range ks {
		if k.Name != engine {
			continue
		}
		if k.Evidence == nil {
			return Offence{}, fmt.Errorf("%w (%s casts no votes); submit a double-signed checkpoint instead", ErrNoEvidence, engine)
		}
		return k.Evidence(subnet, payload)
	}
	return Offence{}, fmt.Errorf("%w %q", ErrUnknownKind, engine)
}
