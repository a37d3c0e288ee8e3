package gateway

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/rlp"

	aspencrypto "github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Fraud proofs (CROSSNET.md, "Fraud proofs"): anyone may prove to a parent
// that a committed, quorum-signed checkpoint of a child vouches for a block
// that does not follow from its parent's state. The proof names the
// checkpoint (the parent keeps a seal of each of the last FraudWindow ones),
// links the block's header to the checkpoint's block hash through the
// headers between them, and carries the block and its execution witness.
// The FraudVerifier (execution/evm's stateless executor, injected: the
// gateway runs no EVM of its own) re-executes the block on the state the
// witness proves for its parent, reading the child's top-down queue from
// this gateway's own storage, never from the prover.
//
// Proven fraud freezes the child for good (the escape hatch then pays
// against the checkpoint before the fraudulent one), slashes every signer
// of the checkpoint as submitEvidence does, pays the prover
// FraudRewardPercent of what was slashed and burns the rest.

// FraudWindow is how many of a child's latest signed checkpoints a fraud
// proof can name: the parent keeps one word for each.
const FraudWindow = 1024

// FraudRewardPercent is the prover's share of the slashed collateral.
const FraudRewardPercent = 10

// Bounds of proveFraud's inputs, checked before anything is decoded.
const (
	MaxFraudRefBytes     = 2 * types.MaxCheckpointSize
	MaxFraudHeaders      = 256
	MaxFraudHeaderBytes  = 256 << 10
	MaxFraudBlockBytes   = 4 << 20
	MaxFraudWitnessBytes = 16 << 20
	// maxFraudTopDown is what one child block applies of its parent's
	// queue at most (execution/evm's maxTopDownPerBlock).
	maxFraudTopDown = 256
)

// ErrNoFraudVerifier: this chain was built without a FraudVerifier.
var ErrNoFraudVerifier = errors.New("gateway: this chain cannot re-execute child blocks")

// FraudVerifier re-executes a child's block for proveFraud. Like every input
// of the gateway it must answer alike on every node.
type FraudVerifier interface {
	// CheckTransition executes block, as the nodes of the child g describes
	// execute it, on the state witness (an execution/witness encoding)
	// proves for the block's parent, reading the parent chain's queue from
	// queue. err says the proof is not one (a malformed or incomplete
	// witness, one for another parent, a body that is not the header's);
	// otherwise fault is nil when the block executes to its header and
	// says where it departs from it when not.
	CheckTransition(g *ChildGenesis, block *types.Block, witness []byte, queue TopDownQueue) (fault, err error)
}

// TopDownQueue is this chain's queue to a child as the child read it.
type TopDownQueue interface {
	// TopDown returns the messages with nonces from fromNonce on that were
	// queued by this chain's block ref.Height, at most maxFraudTopDown.
	TopDown(ref types.ParentRef, fromNonce uint64) ([]TopDownMsg, error)
}

// FraudRef is proveFraud's checkpoint argument: the committed checkpoint
// and the signer bitmap it was submitted with (as RLP-encoded by
// types.EncodeCheckpoint), and the checkpoint before it (empty before the
// first), which its Prev authenticates and the escape hatch falls back to.
type FraudRef struct {
	Checkpoint []byte
	Bitmap     []byte
	Prev       []byte
}

// EncodeFraudRef returns r as proveFraud's checkpoint argument.
func EncodeFraudRef(r FraudRef) []byte { return mustRLP(&r) }

// checkpointSeal is what the parent keeps of a signed checkpoint it committed.
func checkpointSeal(cpHash common.Hash, bitmap []byte) common.Hash {
	return crypto.Keccak256Hash(cpHash[:], crypto.Keccak256(bitmap))
}

// sealCheckpoint records the seal of cp, committed with bitmap.
func (x *call) sealCheckpoint(name string, cp *types.Checkpoint, hash common.Hash, bitmap []byte) {
	x.st.SetState(ckptSealSlot(name, cp.Height/getU64(x.st, name, fCheckpointPeriod)), checkpointSeal(hash, bitmap))
}

// fraudClaim is proveFraud's input decoded and linked, before re-execution.
type fraudClaim struct {
	cp, prev *types.Checkpoint // prev nil before the first checkpoint
	bitmap   aspencrypto.Bitmap
	block    *types.Block
	// proven: the checkpoint's fraud was proven already; only cp, bitmap
	// and cursor are set, and the call slashes the signers still unslashed.
	proven bool
	cursor int // the position in cp's config set where slashing goes on
}

// applied is the top-down nonce the child had applied at the previous
// checkpoint (its genesis nonce before the first): no later block reads
// the queue from before it.
func (c *fraudClaim) applied(st StateReader, name string) uint64 {
	applied := getU64(st, name, fGenesisNonce)
	if c.prev != nil {
		applied = max(applied, c.prev.DownApplied)
	}
	return applied
}

// parseFraud checks the sizes of proveFraud's inputs, decodes them and
// checks everything but the block's execution: the checkpoint is a sealed
// one of name, the headers link its block hash down to block, and block
// comes after the previous checkpoint. When the checkpoint's fraud is
// proven already it stops there, with a claim marked proven.
func parseFraud(st StateReader, name, id string, ref, headers, block, witness []byte) (*fraudClaim, error) {
	switch {
	case len(ref) > MaxFraudRefBytes:
		return nil, reverted("gateway: proveFraud: the checkpoint reference is %d bytes, over %d", len(ref), MaxFraudRefBytes)
	case len(headers) > MaxFraudHeaderBytes:
		return nil, reverted("gateway: proveFraud: the headers are %d bytes, over %d", len(headers), MaxFraudHeaderBytes)
	case len(block) > MaxFraudBlockBytes:
		return nil, reverted("gateway: proveFraud: the block is %d bytes, over %d", len(block), MaxFraudBlockBytes)
	case len(witness) > MaxFraudWitnessBytes:
		return nil, reverted("gateway: proveFraud: the witness is %d bytes, over %d", len(witness), MaxFraudWitnessBytes)
	}
	var r FraudRef
	if err := rlp.DecodeBytes(ref, &r); err != nil {
		return nil, reverted("gateway: proveFraud: the checkpoint reference is not RLP [checkpoint, bitmap, previous checkpoint]: %v", err)
	}
	cp, err := types.DecodeCheckpoint(r.Checkpoint)
	if err != nil {
		return nil, reverted("gateway: proveFraud: checkpoint: %v", err)
	}
	if cp.Subnet != id {
		return nil, reverted("gateway: proveFraud: the checkpoint is of subnet %q, not of %s", cp.Subnet, id)
	}
	hash := cp.Hash()
	period := getU64(st, name, fCheckpointPeriod)
	if period == 0 || cp.Height%period != 0 || st.GetState(ckptSealSlot(name, cp.Height/period)) != checkpointSeal(hash, r.Bitmap) {
		return nil, reverted("gateway: proveFraud: no checkpoint %s at height %d with this signer bitmap is among the last %d signed checkpoints of %s committed here",
			hash, cp.Height, FraudWindow, id)
	}
	c := &fraudClaim{cp: cp, bitmap: r.Bitmap}
	if mark := wordU64(st.GetState(fraudSlot(name, cp.Height))); mark != 0 {
		c.proven, c.cursor = true, int(mark-1) // another prover was first
		return c, nil
	}
	after := uint64(0)
	if cp.Prev != (common.Hash{}) {
		if c.prev, err = types.DecodeCheckpoint(r.Prev); err != nil {
			return nil, reverted("gateway: proveFraud: previous checkpoint: %v", err)
		}
		if h := c.prev.Hash(); h != cp.Prev {
			return nil, reverted("gateway: proveFraud: the previous checkpoint given is %s, the checkpoint names %s", h, cp.Prev)
		}
		after = c.prev.Height
	} else if len(r.Prev) != 0 {
		return nil, reverted("gateway: proveFraud: the checkpoint at height %d is the first of %s: give no previous checkpoint", cp.Height, id)
	}
	var hs []*types.Header
	if len(headers) > 0 {
		if err := rlp.DecodeBytes(headers, &hs); err != nil {
			return nil, reverted("gateway: proveFraud: headers are not an RLP list of headers: %v", err)
		}
	}
	if len(hs) > MaxFraudHeaders {
		return nil, reverted("gateway: proveFraud: %d headers, over %d", len(hs), MaxFraudHeaders)
	}
	if c.block, err = types.DecodeBlock(block); err != nil {
		return nil, reverted("gateway: proveFraud: block: %v", err)
	}
	want := cp.BlockHash
	for i, h := range hs {
		if got := h.Hash(); got != want {
			return nil, reverted("gateway: proveFraud: header %d (height %d) hashes to %s, the block above it names %s", i, h.Height, got, want)
		}
		want = h.ParentHash
	}
	if got := c.block.Hash(); got != want {
		return nil, reverted("gateway: proveFraud: block %d hashes to %s, but the checkpoint's chain of headers names %s", c.block.Height(), got, want)
	}
	if c.block.Height() <= after {
		return nil, reverted("gateway: proveFraud: block %d was vouched for by the checkpoint at height %d already: prove it against that one", c.block.Height(), after)
	}
	return c, nil
}

// proveFraud is IGateway.proveFraud.
func (x *call) proveFraud(id string, ref, headers, block, witness []byte) error {
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	id = x.id(name)
	switch {
	case statusOf(x.st, name) == StatusKilled:
		return reverted("gateway: %s was killed and its collateral returned; nothing is left to slash", id)
	case statusOf(x.st, name) == StatusRegistered:
		return reverted("gateway: %s is not active yet: it has no checkpoints", id)
	case Engine(getU64(x.st, name, fEngine)) == EnginePoW:
		return reverted("gateway: %s is a PoW subnet: its checkpoints are signed by nobody, so there is no quorum to slash", id)
	case delivering(x.st):
		return reverted("gateway: proveFraud cannot run inside a cross-message call; submit it in a transaction of its own")
	case x.g.fraud == nil:
		return reverted("gateway: proveFraud: %v", ErrNoFraudVerifier)
	}
	c, err := parseFraud(x.st, name, id, ref, headers, block, witness)
	if err != nil {
		return err
	}
	if c.proven {
		// Nothing to prove again; signers of a large set may be left.
		if c.cursor < len(configRecords(x.st, name, c.cp.Config)) {
			_, _, err = x.slashFraud(name, c)
		}
		return err
	}
	g, err := ReadChildGenesis(x.st, x.g.subnet, types.SubnetID(id))
	if err != nil {
		return err
	}
	q := &fraudQueue{st: x.st, name: name, id: id, now: x.st.BlockNumber(), applied: c.applied(x.st, name)}
	fault, err := x.g.fraud.CheckTransition(g, c.block, witness, q)
	if err != nil {
		return reverted("gateway: proveFraud: not a proof: %v", err)
	}
	if fault == nil {
		return reverted("gateway: proveFraud: no fraud: block %d re-executes to the signed header on the witness's state", c.block.Height())
	}
	return x.punishFraud(name, c, fault)
}

// punishFraud marks c's checkpoint fraudulent and freezes the child with
// the escape hatch's root moved back to the checkpoint before, then slashes
// the first batch of the checkpoint's signers.
func (x *call) punishFraud(name string, c *fraudClaim, fault error) error {
	id := x.id(name)
	if old := getU64(x.st, name, fFraudHeight); old == 0 || c.cp.Height < old {
		setU64(x.st, name, fFraudHeight, c.cp.Height)
	}
	// Held checkpoints never pay now: claims go back to the last released
	// one, and its jurors who called the checkpoint valid lose their bond.
	x.discardHeld(name)
	jurorsSlashed, err := x.slashJurors(name, c.cp)
	if err != nil {
		return err
	}
	// Claims prove against the last checkpoint not shown invalid; a proof
	// of a later checkpoint than one proven already moves nothing back.
	var prevHeight, prevDown uint64
	var prevHash, prevRoot common.Hash
	if c.prev != nil {
		prevHeight, prevDown, prevHash, prevRoot = c.prev.Height, c.prev.DownApplied, c.cp.Prev, c.prev.StateRoot
	}
	if prevHeight < getU64(x.st, name, fLastCkptHeight) {
		setU64(x.st, name, fLastCkptHeight, prevHeight)
		x.st.SetState(fieldSlot(name, fLastCkptHash), prevHash)
		x.st.SetState(fieldSlot(name, fLastCkptRoot), prevRoot)
		setU64(x.st, name, fLastCkptDown, prevDown)
	}
	if getU64(x.st, name, fFrozenAt) == 0 {
		setU64(x.st, name, fFrozenAt, x.st.BlockNumber())
		x.emit("SubnetFrozen", nil, id, getU64(x.st, name, fLastCkptHeight), x.st.GetState(fieldSlot(name, fLastCkptRoot)))
	}
	setU64(x.st, name, fFraudUnslashed, getU64(x.st, name, fFraudUnslashed)+uint64(fraudSigners(c.bitmap, len(configRecords(x.st, name, c.cp.Config)))))
	total, reward, err := x.slashFraud(name, c)
	if err != nil {
		return err
	}
	jurorsReward, err := x.rewardAndBurn(jurorsSlashed)
	if err != nil {
		return err
	}
	total.Add(total, jurorsSlashed)
	reward.Add(reward, jurorsReward)
	reason := fault.Error()
	if len(reason) > maxReasonBytes {
		reason = reason[:maxReasonBytes]
	}
	x.emit("FraudProven", []common.Hash{addrTopic(x.c.Caller)}, id, c.cp.Height, c.block.Height(), total, reward, reason)
	return nil
}

// MaxFraudSlashes is how many signers one proveFraud call slashes: a
// checkpoint of a large set is slashed over several calls (each a proof of
// the same checkpoint, which is not re-executed again), each paying its
// caller the reward of what it slashed.
const MaxFraudSlashes = 32

// fraudSigners counts the signers in bitmap among seats seats.
func fraudSigners(bm aspencrypto.Bitmap, seats int) int {
	n := 0
	for i := range seats {
		if bm.Has(i) {
			n++
		}
	}
	return n
}

// refuseUnslashed reverts what would let a signer of a proven fraudulent
// checkpoint of name take its collateral back (leave) or have it paid
// (kill) before the slashing is finished.
func (x *call) refuseUnslashed(name, what string) error {
	if n := getU64(x.st, name, fFraudUnslashed); n > 0 {
		return reverted("gateway: %s has %d signers of a fraudulent checkpoint still to slash; %s once they are (call proveFraud with that checkpoint again)", x.id(name), n, what)
	}
	return nil
}

// fraudSlashes is the next batch of stakes of c's signers to slash: the
// seats and pending releases of the signers from c.cursor on, at most
// MaxFraudSlashes of them. It returns the cursor after the batch and the
// slots it read.
func fraudSlashes(st StateReader, name string, c *fraudClaim) (stakes []stakeRef, next, signers int, slots uint64, err error) {
	recs := configRecords(st, name, c.cp.Config)
	slots = blobSlots(configSetBytes(uint64(len(recs))))
	keys := map[string]bool{}
	next = c.cursor
	for ; next < len(recs) && signers < MaxFraudSlashes; next++ {
		if !c.bitmap.Has(next) {
			continue
		}
		signers++
		blob := readBlob(st, recordSlot(name, recs[next]))
		slots += 2 + blobSlots(len(blob)) // the record, the key's seat mark, the owner's seat
		v, err := decodeValidator(blob)
		if err != nil {
			return nil, next, signers, slots, err
		}
		keys[string(v.BLSPublicKey)] = true
		if st.GetState(blsKeySlot(name, v.BLSPublicKey)) != nameWord(name) {
			continue // left or slashed: only a pending release may be left
		}
		// A stake writes a new record with the same key and owner: the
		// seat is the owner's, whatever record it holds now.
		seat := wordU64(st.GetState(ownerSlot(name, v.Owner)))
		if seat == 0 {
			return nil, next, signers, slots, fmt.Errorf("gateway: BLS key of %s is marked seated in %s, but its owner holds no seat", v.Owner, name)
		}
		cur, err := readValidator(st, name, seat-1)
		slots += recordSlots
		if err != nil {
			return nil, next, signers, slots, err
		}
		if !bytes.Equal(cur.BLSPublicKey, v.BLSPublicKey) {
			return nil, next, signers, slots, fmt.Errorf("gateway: seat %d of %s holds another key than its owner's record", seat-1, name)
		}
		stakes = append(stakes, stakeRef{seat: true, index: seat - 1, owner: cur.Owner, key: cur.BLSPublicKey, amount: cur.Collateral})
	}
	if len(keys) > 0 {
		pending, more, err := pendingStakes(st, name, func(k []byte) bool { return keys[string(k)] })
		slots += more
		if err != nil {
			return nil, next, signers, slots, err
		}
		stakes = append(stakes, pending...)
	}
	return stakes, next, signers, slots, nil
}

// slashFraud slashes the next batch of c's signers, moves the cursor past
// them, pays the caller FraudRewardPercent of what was slashed and burns
// the rest. It returns both amounts.
func (x *call) slashFraud(name string, c *fraudClaim) (total, reward *big.Int, err error) {
	stakes, next, signers, _, err := fraudSlashes(x.st, name, c)
	if err != nil {
		return nil, nil, err
	}
	setU64(x.st, name, fFraudUnslashed, getU64(x.st, name, fFraudUnslashed)-uint64(signers))
	what := fmt.Sprintf("signed checkpoint at height %d over an invalid block", c.cp.Height)
	// Seats go from the highest index down: removing one moves the last
	// seat into its place, which must not be one still to remove.
	slices.SortStableFunc(stakes, func(a, b stakeRef) int {
		if a.seat != b.seat {
			if a.seat {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.index, a.index)
	})
	total = new(big.Int)
	for _, s := range stakes {
		if err := x.forfeit(name, s, what, false); err != nil {
			return nil, nil, err
		}
		total.Add(total, s.amount)
	}
	x.st.SetState(fraudSlot(name, c.cp.Height), u64Word(uint64(next)+1))
	reward, err = x.rewardAndBurn(total)
	if err != nil {
		return nil, nil, err
	}
	return total, reward, nil
}

// rewardAndBurn pays the caller, a fraud prover, FraudRewardPercent of
// slashed and burns the rest. It returns the reward.
func (x *call) rewardAndBurn(slashed *big.Int) (*big.Int, error) {
	reward := new(big.Int).Div(new(big.Int).Mul(slashed, big.NewInt(FraudRewardPercent)), big.NewInt(100))
	if reward.Sign() > 0 {
		if err := x.st.Transfer(Address, x.c.Caller, reward); err != nil {
			return nil, fmt.Errorf("gateway: paying the fraud prover %s wei: %w", reward, err)
		}
	}
	if err := x.destroy(new(big.Int).Sub(slashed, reward)); err != nil {
		return nil, err
	}
	return reward, nil
}

// fraudQueue serves a re-executed child block its parent's queue from this
// gateway's storage: every message carries the parent height it was queued
// at, so the queue as of any past block is known.
type fraudQueue struct {
	st       StateReader
	name, id string
	now      uint64
	applied  uint64 // c.applied: what fraudGas priced the reads from
}

var _ TopDownQueue = (*fraudQueue)(nil)

func (q *fraudQueue) TopDown(ref types.ParentRef, fromNonce uint64) ([]TopDownMsg, error) {
	switch {
	case ref.Height >= q.now:
		return nil, fmt.Errorf("the block refers to parent block %d, not before this block %d", ref.Height, q.now)
	case fromNonce <= q.applied:
		// Its state went back on what the previous checkpoint showed
		// applied: an earlier block is the one to prove.
		return nil, fmt.Errorf("the block's state reads the parent's queue from nonce %d, but the previous checkpoint showed %d applied", fromNonce, q.applied)
	}
	last := getU64(q.st, q.name, fDownNonce)
	var out []TopDownMsg
	for n := max(fromNonce, 1); n <= last && len(out) < maxFraudTopDown; n++ {
		var r topDownRLP
		if err := rlp.DecodeBytes(readBlob(q.st, downSlot(q.name, n)), &r); err != nil {
			return nil, fmt.Errorf("gateway: stored top-down message %d of %s: %w", n, q.id, err)
		}
		if r.Height > ref.Height {
			break
		}
		out = append(out, TopDownMsg(r))
	}
	return out, nil
}
