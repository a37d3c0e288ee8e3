package gateway

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

// The parent side of bottom-up (CROSSNET.md, "Bottom-up"): submitCheckpoint
// commits a child's checkpoint signed by a quorum of the config set it
// names, executes the messages it carries and pays collateral that waited
// for the child to apply a leave.
//
// The k-th message (from 1) of a checkpoint is entry upApplied[X]+k of the
// child's up queue: entries carry no nonce of their own, so the queue has no
// gap by construction and upApplied[X] grows by the number of messages.

// submitCheckpoint is IGateway.submitCheckpoint.
func (x *call) submitCheckpoint(enc, aggSig, bitmap []byte) error {
	cp, name, id, err := x.checkpointFor("submitCheckpoint", enc)
	if err != nil {
		return err
	}
	if Engine(getU64(x.st, name, fEngine)) == EnginePoW {
		return reverted("gateway: %s is a PoW subnet: its checkpoints are proven by work, not signed; use submitPowCheckpoint(checkpoint, headers, proof)", id)
	}
	// The hash of the checkpoint as re-encoded, not of the bytes submitted:
	// should the decoder ever accept a second encoding, a relayer could
	// otherwise record a hash the child's next checkpoint does not name.
	hash := cp.Hash()
	lastHeight, lastHash := getU64(x.st, name, fLastCkptHeight), x.st.GetState(fieldSlot(name, fLastCkptHash))
	if lastHeight > 0 && cp.Height == lastHeight && hash == lastHash {
		// Another submitter was first: nothing to do, and nothing to revert.
		return nil
	}
	if delivering(x.st) {
		return reverted("gateway: submitCheckpoint cannot run inside a cross-message call; submit it in a transaction of its own")
	}
	if err := x.checkPosition(name, cp, hash, lastHeight, lastHash); err != nil {
		return err
	}
	child := types.SubnetID(id)
	for i := range cp.Messages {
		if err := checkUpMessage(x.g.subnet, child, i, &cp.Messages[i]); err != nil {
			return reverted("gateway: checkpoint at height %d of %s: %v", cp.Height, id, err)
		}
	}
	if err := x.verifyQuorum(name, cp, aggSig, bitmap); err != nil {
		return err
	}
	committed, err := x.commitCheckpoint(name, cp, hash, aggSig)
	if committed {
		x.sealCheckpoint(name, cp, hash, bitmap)
	}
	return err
}

// commitCheckpoint applies cp, checked in every other way, unless the
// firewall stops it: then it emits CheckpointRejected, changes nothing else
// and reports false. A signed checkpoint (aggSig) of a child whose jury is
// in effect, or that has checkpoints held already, is held for its jury
// (juryhold.go): its position is committed, its payouts wait.
func (x *call) commitCheckpoint(name string, cp *types.Checkpoint, hash common.Hash, aggSig []byte) (bool, error) {
	id := x.id(name)
	total := new(big.Int)
	for _, m := range cp.Messages {
		total.Add(total, m.Value)
	}
	// What held checkpoints will pay is promised already.
	free := new(big.Int).Sub(getBig(x.st, name, fCirculating), getBig(x.st, name, fHeldTotal))
	if total.Cmp(free) > 0 {
		// Signed by a quorum, yet it would pay out more than was ever sent
		// into the child: the firewall holds, the checkpoint is evidence.
		reason := fmt.Sprintf("firewall: its %d messages carry %s wei, more than the %s wei circulating in %s", len(cp.Messages), total, free, id)
		x.emit("CheckpointRejected", nil, id, cp.Height, reason)
		return false, nil
	}
	hold := aggSig != nil && (getU64(x.st, name, fHeldFrom) != 0 || juryInEffect(x.st, name, x.st.BlockNumber()))
	if hold {
		if err := x.holdCheckpoint(name, cp, hash, aggSig, total); err != nil {
			return false, err
		}
	}
	setU64(x.st, name, fLastCkptHeight, cp.Height)
	x.st.SetState(fieldSlot(name, fLastCkptHash), hash)
	x.st.SetState(fieldSlot(name, fLastCkptRoot), cp.StateRoot)
	setU64(x.st, name, fLastCkptAt, x.st.BlockNumber())
	setU64(x.st, name, fLastCkptDown, cp.DownApplied)
	setU64(x.st, name, fLastCkptConfig, cp.Config)
	setU64(x.st, name, fLastAppliedConfig, cp.AppliedConfig)
	setU64(x.st, name, fUpApplied, getU64(x.st, name, fUpApplied)+uint64(len(cp.Messages)))
	if !hold {
		if err := x.payOut(name, cp.AppliedConfig, total, cp.Messages); err != nil {
			return false, err
		}
	}
	x.emit("CheckpointCommitted", nil, id, cp.Height, cp.BlockHash, big.NewInt(int64(len(cp.Messages))))
	if hold {
		x.emit("CheckpointHeld", nil, id, cp.Height, uint32(juryFor(x.st, name)), x.st.BlockNumber()+1)
	}
	return true, nil
}

// payOut makes a checkpoint's payouts: the validator releases its applied
// config makes due, and its messages, worth total.
func (x *call) payOut(name string, applied uint64, total *big.Int, msgs []CrossMsg) error {
	if err := x.payReleases(name, applied, false); err != nil {
		return err
	}
	// All the value leaves the child's supply before any message moves on
	// (so a refund routed back into the child adds to what is left).
	setBig(x.st, name, fCirculating, new(big.Int).Sub(getBig(x.st, name, fCirculating), total))
	for _, m := range msgs {
		if err := x.route(m); err != nil {
			return err
		}
	}
	return nil
}

// checkPosition checks cp is the next checkpoint of name: the next height,
// chained to the last one, signed by a config the parent still accepts and
// claiming only what the parent has queued.
func (x *call) checkPosition(name string, cp *types.Checkpoint, hash common.Hash, lastHeight uint64, lastHash common.Hash) error {
	id := x.id(name)
	if cp.Height <= lastHeight {
		if cp.Height == lastHeight {
			return reverted("gateway: checkpoint at height %d of %s conflicts with the committed one: hash %s, committed %s", cp.Height, id, hash, lastHash)
		}
		return reverted("gateway: checkpoint at height %d is older than the last committed %d of %s", cp.Height, lastHeight, id)
	}
	if period := getU64(x.st, name, fCheckpointPeriod); cp.Height != lastHeight+period {
		return reverted("gateway: checkpoint at height %d of %s is not the next one: the last committed is at height %d and checkpoints come every %d blocks, so the next is at %d",
			cp.Height, id, lastHeight, period, lastHeight+period)
	}
	if cp.Prev != lastHash {
		return reverted("gateway: checkpoint at height %d of %s names %s as its previous checkpoint, but the last committed one is %s (height %d): it is on another fork",
			cp.Height, id, cp.Prev, lastHash, lastHeight)
	}
	current := getU64(x.st, name, fConfigNumber)
	lastApplied := getU64(x.st, name, fLastAppliedConfig)
	// The oldest set that may still sign is the newer of the last
	// checkpoint's signer and the newest config it showed applied: once a
	// checkpoint showed config c applied, the leavers before c were paid
	// (payReleases follows AppliedConfig), so a set holding them must never
	// sign again — their collateral is no longer at stake.
	oldest := max(getU64(x.st, name, fLastCkptConfig), lastApplied, 1)
	switch {
	case cp.Config < oldest:
		return reverted("gateway: checkpoint at height %d of %s is signed by config %d, older than config %d that the last committed checkpoint signed with or showed applied", cp.Height, id, cp.Config, oldest)
	case cp.Config > current:
		return reverted("gateway: checkpoint at height %d of %s is signed by config %d, but the newest config of %s is %d", cp.Height, id, cp.Config, id, current)
	case cp.AppliedConfig < cp.Config:
		return reverted("gateway: checkpoint at height %d of %s has applied config %d, older than the config %d that signs it", cp.Height, id, cp.AppliedConfig, cp.Config)
	case cp.AppliedConfig > current:
		return reverted("gateway: checkpoint at height %d of %s has applied config %d, but the newest config of %s is %d", cp.Height, id, cp.AppliedConfig, id, current)
	case cp.AppliedConfig < lastApplied:
		return reverted("gateway: checkpoint at height %d of %s has applied config %d, older than the %d of the last committed checkpoint", cp.Height, id, cp.AppliedConfig, lastApplied)
	case cp.DownApplied > getU64(x.st, name, fDownNonce):
		return reverted("gateway: checkpoint at height %d of %s has applied top-down message %d, but only %d were queued", cp.Height, id, cp.DownApplied, getU64(x.st, name, fDownNonce))
	}
	return nil
}

// verifyQuorum checks the aggregate signature of cp against config set
// cp.Config: the signers in the bitmap hold more than two thirds of the
// set's total power and their keys aggregate to the signature.
//
// The set's total power and the aggregate of all its keys were stored with
// it, so only the keys of the smaller side of the bitmap are read: the
// signers' (summed), or when fewer did not sign, the non-signers' (taken
// from the set's aggregate and its power). Either way the same signers are
// checked. A seat that does not sign costs the 4 bytes of its record number
// when few sign, so seats joined with dust cannot price checkpoints out of
// a block (issue 19): the signers a quorum needs are the ones with power.
func (x *call) verifyQuorum(name string, cp *types.Checkpoint, aggSig, bitmap []byte) error {
	id := x.id(name)
	recs := configRecords(x.st, name, cp.Config)
	if len(recs) == 0 {
		return fmt.Errorf("gateway: %s: %w: config %d", id, ErrUnknownConfig, cp.Config) // checkPosition admitted the config: a broken invariant
	}
	fail := func(err error) error {
		return reverted("gateway: checkpoint at height %d of %s is not signed by a quorum of config %d (%d validators): %v", cp.Height, id, cp.Config, len(recs), err)
	}
	bm := crypto.Bitmap(bitmap)
	if err := bm.Validate(len(recs)); err != nil {
		return fail(err)
	}
	signers := bm.Count()
	setKey := readAggKey(x.st, name, cp.Config)
	fromSet := quorumFromSet(setKey != nil, signers, len(recs))
	keys := make([][]byte, 0, min(signers, len(recs)-signers))
	total := configPower(x.st, name, cp.Config)
	signed, unsigned := new(big.Int), new(big.Int)
	for i, r := range recs {
		if bm.Has(i) != fromSet {
			key, power := readSeatKey(x.st, name, r)
			keys = append(keys, key)
			signed.Add(signed, new(big.Int).SetUint64(power))
		}
	}
	if fromSet {
		signed, unsigned = unsigned.Sub(total, signed), signed
	}
	// More than two thirds: floor(2·total/3) + 1, as crypto.KeySet.Quorum,
	// in big integers (a total of many large powers passes 2^64).
	need := new(big.Int).Div(new(big.Int).Mul(total, big.NewInt(2)), big.NewInt(3))
	if need.Add(need, big.NewInt(1)); signed.Cmp(need) < 0 {
		return fail(fmt.Errorf("%w: %d validators with power %s of %s, need %s", crypto.ErrNoQuorum, signers, signed, total, need))
	}
	msg := cp.SigningBytes(x.g.subnet.Network())
	ok := false
	if fromSet {
		ok = x.g.keys.VerifyAggregateExcept(setKey, keys, msg, aggSig)
	} else {
		ok = x.g.keys.VerifyAggregate(keys, msg, aggSig)
	}
	if !ok {
		return fail(fmt.Errorf("%w: not the signatures of the %d validators in the bitmap on this message", crypto.ErrBadAggregate, signers))
	}
	return nil
}

// quorumFromSet reports whether a quorum check of signers among seats
// starts from the set's aggregate key and takes the non-signers' keys away
// (fewer keys to read than the signers'), rather than summing the signers'.
// Gas and verification both follow it, so it depends on the bitmap and the
// stored set only.
func quorumFromSet(haveSetKey bool, signers, seats int) bool {
	return haveSetKey && seats-signers < signers
}

// checkUpMessage checks message i of a checkpoint of child, a child of
// self: it is well formed, starts at child or below it, and goes somewhere
// outside child in the same network (what is inside child never leaves it).
// Its ID needs no check: a checkpoint's encoding leaves IDs out and the
// decoder computes each one from the message's source and nonce.
func checkUpMessage(self, child types.SubnetID, i int, m *CrossMsg) error {
	src, err := types.ParseSubnetID(m.SrcSubnet)
	if err != nil {
		return fmt.Errorf("message %d: source: %v", i, err)
	}
	dst, err := types.ParseSubnetID(m.DstSubnet)
	if err != nil {
		return fmt.Errorf("message %d: destination: %v", i, err)
	}
	switch {
	case !src.IsAtOrBelow(child):
		return fmt.Errorf("message %d comes from %s, which is not %s or below it", i, src, child)
	case dst.IsAtOrBelow(child):
		return fmt.Errorf("message %d goes to %s, inside %s: it should not have left it", i, dst, child)
	case dst.Network() != self.Network():
		return fmt.Errorf("message %d goes to %s, outside network /%s", i, dst, self.Network())
	case m.Value == nil || m.Value.Sign() < 0:
		return fmt.Errorf("message %d has no value", i)
	case m.To == Address:
		return fmt.Errorf("message %d is addressed to the gateway, which accepts no cross-messages", i)
	case len(m.Data) > MaxCrossMsgData:
		return fmt.Errorf("message %d has %d bytes of call data, over the limit of %d", i, len(m.Data), MaxCrossMsgData)
	}
	switch m.Kind {
	case KindTransfer:
		if len(m.Data) != 0 {
			return fmt.Errorf("message %d is a transfer with call data", i)
		}
	case KindCall:
		if len(m.Data) == 0 {
			return fmt.Errorf("message %d is a call without call data", i)
		}
	case KindRefund:
		if len(m.Data) != 0 || m.Ref == (common.Hash{}) {
			return fmt.Errorf("message %d is a refund with call data or without the ID of the message it refunds", i)
		}
	default:
		return fmt.Errorf("message %d has kind %s, which does not travel bottom-up", i, m.Kind)
	}
	return nil
}

// LastCheckpoint is the height, hash and signing config of the newest
// checkpoint of the child id committed on the chain self; zeros if none (or
// no such child).
func LastCheckpoint(st StateReader, self, id types.SubnetID) (height uint64, hash common.Hash, config uint64) {
	name, err := childName(self, id)
	if err != nil || !exists(st, name) {
		return 0, common.Hash{}, 0
	}
	return getU64(st, name, fLastCkptHeight), st.GetState(fieldSlot(name, fLastCkptHash)), getU64(st, name, fLastCkptConfig)
}

// LastCheckpointAt is the parent height at which the newest checkpoint of
// the child id was committed on the chain self (0: none): read in the state
// before a checkpoint's commit, it is where the one before it was.
func LastCheckpointAt(st StateReader, self, id types.SubnetID) uint64 {
	name, err := childName(self, id)
	if err != nil || !exists(st, name) {
		return 0
	}
	return getU64(st, name, fLastCkptAt)
}

// UpApplied is how many messages of the child id's up queue the chain self
// has executed: the next checkpoint of id starts with its entry UpApplied+1.
func UpApplied(st StateReader, self, id types.SubnetID) uint64 {
	name, err := childName(self, id)
	if err != nil || !exists(st, name) {
		return 0
	}
	return getU64(st, name, fUpApplied)
}

// TopDownNonce is the nonce of the newest message the chain self queued for
// its child id (0: none, or no such child): a child whose applied nonce is
// below it has top-down work waiting. It reads one word, not the record.
func TopDownNonce(st StateReader, self, id types.SubnetID) uint64 {
	name, err := childName(self, id)
	if err != nil || !exists(st, name) {
		return 0
	}
	return getU64(st, name, fDownNonce)
}

// checkpointFor decodes a submitted checkpoint and resolves the child it
// is for, which must be active and not frozen: what both submit paths
// (signed and work-proven) check first.
func (x *call) checkpointFor(fn string, enc []byte) (cp *types.Checkpoint, name, id string, err error) {
	if cp, err = types.DecodeCheckpoint(enc); err != nil {
		return nil, "", "", reverted("gateway: %s: %v", fn, err)
	}
	if name, err = x.resolve(cp.Subnet); err != nil {
		return nil, "", "", err
	}
	id = x.id(name)
	switch statusOf(x.st, name) {
	case StatusKilled:
		return nil, "", "", reverted("gateway: %s was killed; it takes no more checkpoints", id)
	case StatusRegistered:
		return nil, "", "", reverted("gateway: %s is not active yet; it takes checkpoints once enough validators joined", id)
	}
	if err := x.refuseFrozen(name, "takes no more checkpoints"); err != nil {
		return nil, "", "", err
	}
	return cp, name, id, nil
}
