package gateway

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// Slashing (CROSSNET.md, "Slashing"): anyone may prove to a parent that one
// BLS key of a child's validator signed two conflicting things for one child
// height — two bft votes of one step, or two checkpoints. All the key has at
// stake in the child is then destroyed: its seat's collateral and any
// collateral it left with that still waits for release. A seat goes at once,
// with an OpLeave config change queued for the child as leave queues it,
// even when that takes the child below minValidators: a validator proven to
// equivocate must not keep its vote, whatever that costs the child's
// liveness.
//
// Destroyed means burned through Burner (execution/evm's state has it: the
// parent's native supply shrinks by the amount). A State without Burner
// keeps the amount in the gateway's balance for good, counted by
// SlashedLocked, so no one can ever take it out.
//
// An offence is a key and a child height: evidence of one already punished
// succeeds and does nothing (before any signature is checked), so racing
// submitters lose little and never see a revert.

// EvidenceKind is the first field of submitEvidence's evidence.
type EvidenceKind uint8

const (
	// EvidenceDoubleVote: the payload is the child engine's own evidence,
	// checked by the EvidenceVerifier (for bft, bft.DoubleVote: two votes
	// of one step).
	EvidenceDoubleVote EvidenceKind = 1
	// EvidenceDoubleCheckpoint: the payload is a DoubleCheckpoint.
	EvidenceDoubleCheckpoint EvidenceKind = 2
)

// EvidenceVerifier checks a child engine's own evidence (EvidenceDoubleVote
// payloads). The gateway knows engines only by their name in the Engine
// enum and imports none: the chain's wiring passes one (the node: every
// consensus kind it runs), and every node must pass the same, or
// submitEvidence would end differently on different nodes.
type EvidenceVerifier interface {
	// DecodeEvidence decodes payload, evidence that a validator of child
	// (running engine) equivocated, and checks all but its signatures. It
	// returns the signer's BLS key, the child height and what was done.
	DecodeEvidence(engine string, child types.SubnetID, payload []byte) (key []byte, height uint64, what string, err error)
	// VerifyEvidence checks the signatures of evidence DecodeEvidence accepted.
	VerifyEvidence(engine string, child types.SubnetID, payload []byte) error
}

// DoubleCheckpoint is two different checkpoints of the child for the same
// height (each RLP-encoded as types.EncodeCheckpoint does) and Key's
// signatures of their SigningBytes, network being the root's name.
type DoubleCheckpoint struct {
	Key        []byte // 48-byte compressed BLS public key of the signer
	A, B       []byte
	SigA, SigB []byte
}

// evidenceRLP is submitEvidence's evidence: RLP [kind, payload].
type evidenceRLP struct {
	Kind    EvidenceKind
	Payload rlp.RawValue
}

// EncodeEngineEvidence returns payload, a child engine's own evidence (for
// bft: bft.EncodeDoubleVote's), as the evidence argument of submitEvidence.
func EncodeEngineEvidence(payload []byte) []byte {
	return mustRLP(evidenceRLP{EvidenceDoubleVote, rlp.RawValue(payload)})
}

// EncodeDoubleCheckpoint returns d as the evidence argument of submitEvidence.
func EncodeDoubleCheckpoint(d DoubleCheckpoint) []byte {
	return mustRLP(evidenceRLP{EvidenceDoubleCheckpoint, mustRLP(&d)})
}

// SlashedLocked is the collateral slashed on a chain whose state could not
// burn it: it stays in the gateway's balance and is never paid out.
func SlashedLocked(st StateReader) *big.Int { return wordBig(st.GetState(slashLockedSlot())) }

// offence is evidence decoded and checked in everything but its signatures.
type offence struct {
	key    []byte
	height uint64
	what   string       // for ValidatorSlashed's reason
	verify func() error // the signature checks, the expensive part
}

// parseEvidence decodes evidence against the child id of the chain self,
// whose engine is engine, and checks all but the signatures; ev checks the
// engine's own evidence. Every failure is a revert saying what was wrong.
func parseEvidence(ev EvidenceVerifier, self, id types.SubnetID, engine Engine, evidence []byte) (*offence, error) {
	var env evidenceRLP
	if err := rlp.DecodeBytes(evidence, &env); err != nil {
		return nil, reverted("gateway: submitEvidence: evidence is not RLP [kind, payload]: %v", err)
	}
	switch env.Kind {
	case EvidenceDoubleVote:
		if ev == nil {
			return nil, reverted("gateway: submitEvidence: this chain checks no engine evidence; submit a double-signed checkpoint instead")
		}
		payload := []byte(env.Payload)
		key, height, what, err := ev.DecodeEvidence(engine.String(), id, payload)
		if err != nil {
			return nil, reverted("gateway: submitEvidence: %s runs engine %s: %v", id, engine, err)
		}
		if err := checkEvidenceKey(key); err != nil {
			return nil, err
		}
		return &offence{
			key: key, height: height, what: what,
			verify: func() error { return ev.VerifyEvidence(engine.String(), id, payload) },
		}, nil
	case EvidenceDoubleCheckpoint:
		var d DoubleCheckpoint
		if err := rlp.DecodeBytes(env.Payload, &d); err != nil {
			return nil, reverted("gateway: submitEvidence: malformed double checkpoint (want RLP [key, checkpointA, checkpointB, signatureA, signatureB]): %v", err)
		}
		if err := checkEvidenceKey(d.Key); err != nil {
			return nil, err
		}
		a, err := types.DecodeCheckpoint(d.A)
		if err != nil {
			return nil, reverted("gateway: submitEvidence: checkpoint A: %v", err)
		}
		b, err := types.DecodeCheckpoint(d.B)
		if err != nil {
			return nil, reverted("gateway: submitEvidence: checkpoint B: %v", err)
		}
		for _, c := range []struct {
			name string
			cp   *types.Checkpoint
		}{{"A", a}, {"B", b}} {
			if c.cp.Subnet != string(id) {
				return nil, reverted("gateway: submitEvidence: checkpoint %s is of subnet %q, not of %s", c.name, c.cp.Subnet, id)
			}
		}
		if a.Height != b.Height {
			return nil, reverted("gateway: submitEvidence: not a double checkpoint: checkpoints for different heights (%d and %d)", a.Height, b.Height)
		}
		if ha := a.Hash(); ha == b.Hash() {
			return nil, reverted("gateway: submitEvidence: not a double checkpoint: both are the same checkpoint %s", ha)
		}
		network := self.Network()
		return &offence{
			key: d.Key, height: a.Height,
			what: fmt.Sprintf("double-signed checkpoint at height %d", a.Height),
			verify: func() error {
				if !crypto.VerifyBLS(d.Key, a.SigningBytes(network), d.SigA) {
					return fmt.Errorf("signature A is not BLS key %s's signature of checkpoint A for network %s", hexutil.Encode(d.Key), network)
				}
				if !crypto.VerifyBLS(d.Key, b.SigningBytes(network), d.SigB) {
					return fmt.Errorf("signature B is not BLS key %s's signature of checkpoint B for network %s", hexutil.Encode(d.Key), network)
				}
				return nil
			},
		}, nil
	}
	return nil, reverted("gateway: submitEvidence: unknown evidence kind %d; use %d (double vote) or %d (double-signed checkpoint)", env.Kind, EvidenceDoubleVote, EvidenceDoubleCheckpoint)
}

func checkEvidenceKey(key []byte) error {
	if len(key) != crypto.BLSPublicKeySize {
		return reverted("gateway: submitEvidence: the signer's BLS public key must be %d bytes (compressed G1), got %d", crypto.BLSPublicKeySize, len(key))
	}
	return nil
}

// submitEvidence is IGateway.submitEvidence.
func (x *call) submitEvidence(childID string, evidence []byte) error {
	name, err := x.resolve(childID)
	if err != nil {
		return err
	}
	id := x.id(name)
	switch statusOf(x.st, name) {
	case StatusKilled:
		return reverted("gateway: %s was killed and its collateral returned; nothing is left to slash", id)
	case StatusRegistered:
		return reverted("gateway: %s is not active yet: it has no chain whose votes or checkpoints could conflict", id)
	}
	off, err := parseEvidence(x.g.evidence, x.g.subnet, types.SubnetID(id), Engine(getU64(x.st, name, fEngine)), evidence)
	if err != nil {
		return err
	}
	punished := offenceSlot(name, off.key, off.height)
	if x.st.GetState(punished) != (common.Hash{}) {
		return nil // another submitter was first
	}
	stakes, _, err := findStakes(x.st, name, off.key)
	if err != nil {
		return err
	}
	if len(stakes) == 0 {
		return reverted("gateway: BLS key %s has nothing at stake in %s: it holds no seat and no collateral waiting for release (it never joined, was paid out, or was slashed already)", hexutil.Encode(off.key), id)
	}
	if err := off.verify(); err != nil {
		return reverted("gateway: submitEvidence: %v", err)
	}
	x.st.SetState(punished, u64Word(1))
	for _, s := range stakes {
		if err := x.slash(name, s, off.what); err != nil {
			return err
		}
	}
	return nil
}

// stakeRef is collateral a key has at stake in a child: a seat or a pending
// release.
type stakeRef struct {
	seat   bool
	index  uint64 // seat index, or pending release number
	owner  common.Address
	key    []byte
	amount *big.Int
	config uint64 // a pending release's leave config
}

// findStakes returns what key has at stake in the child name: its seat, if
// it holds one, then each pending release of collateral it left with. It
// also returns how many storage slots the search read, for its price.
//
// A pending release does not record the leaver's key, but its config does:
// set Config-1 is set Config plus the leaver's record, so the one record
// number the older set has and the newer lacks is the leaver's.
func findStakes(st StateReader, name string, key []byte) ([]stakeRef, uint64, error) {
	var out []stakeRef
	slots := uint64(3) // the key's seat mark, the release counters
	if st.GetState(blsKeySlot(name, key)) == nameWord(name) {
		n := validatorCount(st, name)
		slots++
		found := false
		for i := uint64(0); i < n && !found; i++ {
			blob := readBlob(st, recordSlot(name, seatRecord(st, name, i)))
			slots += 1 + blobSlots(len(blob))
			v, err := decodeValidator(blob)
			if err != nil {
				return nil, slots, err
			}
			if bytes.Equal(v.BLSPublicKey, key) {
				out = append(out, stakeRef{seat: true, index: i, owner: v.Owner, key: key, amount: v.Collateral})
				found = true
			}
		}
		if !found {
			return nil, slots, fmt.Errorf("gateway: BLS key %s is marked seated in %s, but no seat holds it", hexutil.Encode(key), name)
		}
	}
	pending, more, err := pendingStakes(st, name, func(k []byte) bool { return bytes.Equal(k, key) })
	return append(out, pending...), slots + more, err
}

// pendingStakes returns the pending releases of the child name, not slashed
// yet, of the leavers whose keys match picks, and how many slots it read.
func pendingStakes(st StateReader, name string, picks func(key []byte) bool) ([]stakeRef, uint64, error) {
	var out []stakeRef
	var slots uint64
	for i := getU64(st, name, fReleasePaid) + 1; i <= getU64(st, name, fReleaseCount); i++ {
		slots += blobSlots(len(readBlob(st, releaseSlot(name, i))))
		r, err := readRelease(st, name, i)
		if err != nil {
			return nil, slots, err
		}
		if r.Amount.Sign() == 0 {
			continue // slashed already
		}
		older, newer := readBlob(st, configSetSlot(name, r.Config-1)), readBlob(st, configSetSlot(name, r.Config))
		slots += blobSlots(len(older)) + blobSlots(len(newer))
		rec := leaverRecord(older, newer)
		if rec == 0 {
			return nil, slots, fmt.Errorf("gateway: pending release %d of %s: config %d does not remove a validator from config %d", i, name, r.Config, r.Config-1)
		}
		blob := readBlob(st, recordSlot(name, rec))
		slots += blobSlots(len(blob))
		v, err := decodeValidator(blob)
		if err != nil {
			return nil, slots, err
		}
		if picks(v.BLSPublicKey) && v.Owner == r.Owner {
			out = append(out, stakeRef{index: i, owner: r.Owner, key: v.BLSPublicKey, amount: r.Amount, config: r.Config})
		}
	}
	return out, slots, nil
}

// leaverRecord is the record number in the config set older that newer (the
// set after a leave) lacks; 0 if none.
func leaverRecord(older, newer []byte) uint64 {
	kept := make(map[uint32]bool, len(newer)/4)
	for i := 0; i+4 <= len(newer); i += 4 {
		kept[binary.BigEndian.Uint32(newer[i:])] = true
	}
	for i := 0; i+4 <= len(older); i += 4 {
		if r := binary.BigEndian.Uint32(older[i:]); !kept[r] {
			return uint64(r)
		}
	}
	return 0
}

// slash destroys s and, for a seat, removes it with a config change queued
// for the child, as leave does, whatever minValidators says.
func (x *call) slash(name string, s stakeRef, what string) error {
	if err := x.forfeit(name, s, what, true); err != nil {
		return err
	}
	return x.destroy(s.amount)
}

// forfeit takes s from its owner as slash does, but leaves its amount in the
// gateway's balance for the caller to destroy or pay out. A seat's removal
// is queued for the child as a config change unless requeue is false (a
// child frozen for good applies no config again).
func (x *call) forfeit(name string, s stakeRef, what string, requeue bool) error {
	reason := what
	if s.seat {
		if err := removeValidator(x.st, name, s.index); err != nil {
			return err
		}
		setBig(x.st, name, fTotalCollateral, new(big.Int).Sub(getBig(x.st, name, fTotalCollateral), s.amount))
		if requeue {
			queueConfig(x.st, name, OpLeave, Validator{Owner: s.owner, BLSPublicKey: s.key, Collateral: new(big.Int)})
		}
	} else {
		// The release stays in the queue, worth nothing: the queue is paid in
		// order, and its owner learns from ValidatorLeft that nothing came back.
		writeBlob(x.st, releaseSlot(name, s.index), mustRLP(PendingRelease{s.owner, new(big.Int), s.config}))
		reason += fmt.Sprintf(" (collateral waiting for release since leaving at config %d)", s.config)
	}
	x.emit("ValidatorSlashed", []common.Hash{addrTopic(s.owner)}, x.id(name), s.amount, reason)
	return nil
}

// destroy takes amount out of circulation: burned if the state can burn,
// otherwise locked in the gateway for good.
func (x *call) destroy(amount *big.Int) error {
	if amount.Sign() == 0 {
		return nil
	}
	if b, ok := x.st.(Burner); ok {
		if err := b.Burn(amount); err != nil {
			return fmt.Errorf("gateway: burning %s wei of slashed collateral: %w", amount, err)
		}
		return nil
	}
	x.st.SetState(slashLockedSlot(), bigWord(new(big.Int).Add(SlashedLocked(x.st), amount)))
	return nil
}

// evidenceGas prices submitEvidence(childID, evidence) on the chain self,
// decision by decision as submitEvidence takes them.
func evidenceGas(ev EvidenceVerifier, st StateReader, self types.SubnetID, childID string, evidence []byte) uint64 {
	// Decoding hashes each checkpoint twice (its hash, its signing bytes);
	// a vote's sign bytes are a few words.
	gas := 2 * (gasHash + gasHashWord*uint64((len(evidence)+31)/32))
	id := types.SubnetID(childID)
	name, err := childName(self, id)
	if err != nil || !exists(st, name) || statusOf(st, name) != StatusActive {
		return gas
	}
	gas += gasRead * 3 // status, engine, offence mark
	off, err := parseEvidence(ev, self, id, Engine(getU64(st, name, fEngine)), evidence)
	if err != nil || st.GetState(offenceSlot(name, off.key, off.height)) != (common.Hash{}) {
		return gas
	}
	stakes, slots, err := findStakes(st, name, off.key)
	gas += gasRead * slots
	if err != nil || len(stakes) == 0 {
		return gas
	}
	gas += gasDoubleSignCheck + gasWrite // the offence mark
	return gas + stakesGas(st, name, stakes)
}

// stakesGas prices slashing stakes of the child name: for each, a payout
// (the burn), its event and its removal.
func stakesGas(st StateReader, name string, stakes []stakeRef) uint64 {
	var gas uint64
	for _, s := range stakes {
		gas += gasPayout + gasEvent + gasLogByte*maxReasonBytes
		if s.seat {
			// removeValidator (7 slots), total collateral, config number,
			// the new config set, the queued change and the queue's nonce.
			gas += gasSeatKeys + gasWrite*(7+1+1+configSetSlots(validatorCount(st, name))+messageSlots+1)
		} else {
			gas += gasWrite * releaseSlots
		}
	}
	return gas
}
