package gateway

import (
	"bytes"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/types"
)

// The escape hatch (CROSSNET.md, "Escape hatch"): a child that was killed,
// or that committed no checkpoint for its stall window of parent blocks, is
// frozen. It takes no checkpoint, fund or message again, and every account
// of it may claim here, once, its native balance in the state root of the
// last checkpoint committed, proven with the trie nodes of eth_getProof.
// What all claims pay is bounded by the child's circulating supply, as a
// checkpoint's messages are (the firewall).
//
// A frozen child is never unfrozen: once a claim paid an account what it
// held at the last checkpoint, a chain that came back would let it spend
// the same coins again below. Its validators can still leave (their
// collateral comes back at once: no checkpoint will ever show a new set
// applied) and its creator can still kill it.
//
// A stall is judged at the height of the block being executed, so a child
// is frozen from the first parent block past its window on, whether or not
// anybody noticed; the first claim records it (fFrozenAt) and emits
// SubnetFrozen. The window counts from the parent block that committed the
// last checkpoint, or from the activation before the first.

// Bounds of a stall window, in parent blocks.
const (
	DefaultStallWindow = 100_000
	MinStallWindow     = 10
	MaxStallWindow     = 1 << 40
)

// heightReader is a state that knows the height of the block being
// executed (State does); frozen can judge stalls only with it.
type heightReader interface{ BlockNumber() uint64 }

// stallWindowOf is name's stall window.
func stallWindowOf(st StateReader, name string) uint64 {
	if w := getU64(st, name, fStallWindow); w != 0 {
		return w
	}
	return DefaultStallWindow
}

// frozen says why the child name takes no more checkpoints, or "" if it is
// live. Without the block height only a kill freezes it.
func frozen(st StateReader, name string) string {
	switch statusOf(st, name) {
	case StatusKilled:
		return "it was killed"
	case StatusRegistered:
		return ""
	}
	if h := getU64(st, name, fFraudHeight); h != 0 {
		return fmt.Sprintf("a fraud proof showed its checkpoint at height %d vouches for an invalid block", h)
	}
	if at := getU64(st, name, fFrozenAt); at != 0 {
		return fmt.Sprintf("it stalled, frozen since parent block %d", at)
	}
	hr, ok := st.(heightReader)
	if !ok {
		return ""
	}
	height, _, _, at := claimPoint(st, name)
	since := max(at, getU64(st, name, fActivatedAt))
	window, now := stallWindowOf(st, name), hr.BlockNumber()
	if now <= since+window {
		return ""
	}
	what := "its last checkpoint was committed"
	if getU64(st, name, fHeldFrom) != 0 {
		what = "its last checkpoint released by its jury was released"
	}
	if height == 0 {
		what = "it was activated, and has committed no checkpoint since,"
	}
	return fmt.Sprintf("it stalled: %s at parent block %d, more than its stall window of %d blocks before this block %d", what, since, window, now)
}

// refuseFrozen reverts a call that would make the frozen child name take
// something new.
func (x *call) refuseFrozen(name, what string) error {
	if why := frozen(x.st, name); why != "" {
		return reverted("gateway: %s is frozen (%s); it %s. Its accounts claim their balances with claim(id, account, proof)", x.id(name), why, what)
	}
	return nil
}

// setStallWindow is IGateway.setStallWindow.
func (x *call) setStallWindow(id string, blocks uint64) error {
	if err := x.noValue("setStallWindow"); err != nil {
		return err
	}
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	creator := common.BytesToAddress(x.st.GetState(fieldSlot(name, fCreator)).Bytes())
	switch {
	case x.c.Caller != creator:
		return reverted("gateway: only the creator of %s can set its stall window (%s, not %s)", id, creator, x.c.Caller)
	case statusOf(x.st, name) != StatusRegistered:
		return reverted("gateway: %s is %s; its stall window is fixed once it is active, so its users can rely on it", id, statusOf(x.st, name))
	case blocks < MinStallWindow || blocks > MaxStallWindow:
		return reverted("gateway: stall window %d must be between %d and %d parent blocks", blocks, MinStallWindow, uint64(MaxStallWindow))
	}
	setU64(x.st, name, fStallWindow, blocks)
	return nil
}

// claimRoot is IGateway.claimRoot.
func (x *call) claimRoot(id string) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	height, root, _, _ := claimPoint(x.st, name)
	return []any{frozen(x.st, name) != "", height, [32]byte(root)}, nil
}

// claimedBy is IGateway.claimed.
func (x *call) claimedBy(id string, account common.Address) ([]any, error) {
	name, err := x.resolve(id)
	if err != nil {
		return nil, err
	}
	return []any{wordBig(x.st.GetState(claimedSlot(name, account)))}, nil
}

// claimable checks a claim on the child id may be made for account: the
// child is frozen, a checkpoint's state root is there to prove against, and
// the account can hold something of its own. It returns the child's name and
// that root and height.
func (x *call) claimable(id string, account common.Address) (name string, root common.Hash, height uint64, err error) {
	if name, err = x.resolve(id); err != nil {
		return "", common.Hash{}, 0, err
	}
	if why := frozen(x.st, name); why == "" {
		_, _, _, at := claimPoint(x.st, name)
		since := max(at, getU64(x.st, name, fActivatedAt))
		return "", common.Hash{}, 0, reverted("gateway: %s is live (%s, last progress at parent block %d, stall window %d blocks): claims open once it is killed or stalls",
			id, statusOf(x.st, name), since, stallWindowOf(x.st, name))
	}
	if delivering(x.st) {
		return "", common.Hash{}, 0, reverted("gateway: a claim cannot run inside a cross-message call; claim in a transaction of its own")
	}
	height, root, _, _ = claimPoint(x.st, name)
	switch {
	case height == 0:
		return "", common.Hash{}, 0, reverted("gateway: %s committed no checkpoint, so there is no state root to prove balances against", id)
	case root == (common.Hash{}):
		return "", common.Hash{}, 0, reverted("gateway: the last checkpoint of %s (height %d) was committed before state roots were recorded; there is no root to prove balances against", id, height)
	case account == (common.Address{}) || account == Address:
		return "", common.Hash{}, 0, reverted("gateway: %s cannot claim: the zero address and the gateway hold nothing of their own", account)
	}
	return name, root, height, nil
}

// freezeOnFirstClaim records, on the first claim from a stalled child,
// that it is frozen.
func (x *call) freezeOnFirstClaim(name, id string, height uint64, root common.Hash) {
	if statusOf(x.st, name) == StatusActive && getU64(x.st, name, fFrozenAt) == 0 {
		setU64(x.st, name, fFrozenAt, x.st.BlockNumber())
		x.emit("SubnetFrozen", nil, id, height, [32]byte(root))
	}
}

// claim is IGateway.claim.
func (x *call) claim(id string, account common.Address, proof []byte) ([]any, error) {
	if err := x.noValue("claim"); err != nil {
		return nil, err
	}
	name, root, height, err := x.claimable(id, account)
	if err != nil {
		return nil, err
	}
	if paid := wordBig(x.st.GetState(claimedSlot(name, account))); paid.Sign() > 0 {
		return nil, reverted("gateway: %s already claimed %s wei from %s; an account claims once", account, paid, id)
	}
	p, err := decodePowProof(proof)
	if err != nil {
		return nil, reverted("gateway: claim of %s from %s: %v", account, id, err)
	}
	acc, err := proveAccount(p, root, account)
	if err != nil {
		return nil, reverted("gateway: claim of %s from %s: %v; the proof must be eth_getProof's accountProof at height %d, whose state root is %s", account, id, err, height, root)
	}
	if acc == nil {
		return nil, reverted("gateway: %s has no account in the state of %s at its last checkpoint (height %d, state root %s); nothing to claim", account, id, height, root)
	}
	if !bytes.Equal(acc.CodeHash, gethtypes.EmptyCodeHash[:]) {
		return nil, reverted("gateway: %s is a contract in %s; its address on %s need not be its own, so its balance cannot be claimed", account, id, x.g.subnet)
	}
	amount := acc.Balance.ToBig()
	if amount.Sign() == 0 {
		return nil, reverted("gateway: %s held nothing in %s at its last checkpoint (height %d); nothing to claim", account, id, height)
	}
	circ := getBig(x.st, name, fCirculating)
	if amount.Cmp(circ) > 0 {
		return nil, reverted("gateway: firewall: %s claims %s wei, more than the %s wei still circulating in %s", account, amount, circ, id)
	}
	x.freezeOnFirstClaim(name, id, height, root)
	x.st.SetState(claimedSlot(name, account), bigWord(amount))
	setBig(x.st, name, fCirculating, new(big.Int).Sub(circ, amount))
	if err := x.st.Transfer(Address, account, amount); err != nil {
		return nil, fmt.Errorf("gateway: paying the claim of %s from %s: %w", account, id, err)
	}
	x.emit("Claimed", []common.Hash{addrTopic(account)}, id, amount)
	return []any{amount}, nil
}

// claimGas prices claim: the reads of the frozen check and the claim, the
// proof hashed when decoded and walked once, the writes (claim record,
// supply, freeze), the payout and both events.
func claimGas(proof []byte) uint64 {
	words := uint64((len(proof) + 31) / 32)
	return gasRead*10 + 2*(gasHash+gasHashWord*words) + gasProofSlot + gasWrite*3 + gasPayout + 2*gasEvent
}

// ClaimRoot is what claims on the child id of the chain self are proven
// against: whether it is frozen in the state st of self's block at, and
// the height and state root of its last committed checkpoint. A node can
// stop a frozen child as it stops a killed one: nothing it makes will be
// taken again.
func ClaimRoot(st StateReader, at uint64, self, id types.SubnetID) (isFrozen bool, height uint64, root common.Hash) {
	name, err := childName(self, id)
	if err != nil || !exists(st, name) {
		return false, 0, common.Hash{}
	}
	height, root, _, _ = claimPoint(st, name)
	return frozen(stateAt{st, at}, name) != "", height, root
}

// claimPoint is the checkpoint claims on name are proven against and its
// stall window counts from: the last one released (CROSSNET.md, "Data
// withheld"). With no checkpoint held for a jury that is the last one
// committed; while some are held, the one released before them, at the
// parent block of its release: a child whose jury cannot check its blocks
// makes no progress, however many checkpoints its quorum signs.
func claimPoint(st StateReader, name string) (height uint64, root common.Hash, down, at uint64) {
	if getU64(st, name, fHeldFrom) != 0 {
		return getU64(st, name, fRelHeight), st.GetState(fieldSlot(name, fRelRoot)), getU64(st, name, fRelDown), getU64(st, name, fRelAt)
	}
	return getU64(st, name, fLastCkptHeight), st.GetState(fieldSlot(name, fLastCkptRoot)), getU64(st, name, fLastCkptDown), getU64(st, name, fLastCkptAt)
}

// stateAt is a StateReader of the block at, for frozen.
type stateAt struct {
	StateReader
	at uint64
}

func (s stateAt) BlockNumber() uint64 { return s.at }

// VerifyClaimProof checks a claim's proof (EncodePowProof of eth_getProof's
// accountProof) of account against root, as claim will, and returns the
// balance it proves (0 for an account the proof shows absent): a client
// checks its proof before it pays for a transaction.
func VerifyClaimProof(root common.Hash, account common.Address, proof []byte) (*big.Int, error) {
	p, err := decodePowProof(proof)
	if err != nil {
		return nil, err
	}
	acc, err := proveAccount(p, root, account)
	if err != nil || acc == nil {
		return new(big.Int), err
	}
	if !bytes.Equal(acc.CodeHash, gethtypes.EmptyCodeHash[:]) {
		return nil, fmt.Errorf("gateway: %s is a contract; contracts cannot claim", account)
	}
	return acc.Balance.ToBig(), nil
}

// unappliedFrom is the first top-down message of the frozen child name that
// the state claims are proven against does not hold: the one after its last
// checkpoint's DownApplied, or after its genesis's before any checkpoint.
// ok is false when the parent does not know it (a checkpoint committed
// before checkpoints' applied nonces were recorded).
func unappliedFrom(st StateReader, name string) (uint64, bool) {
	height, root, down, _ := claimPoint(st, name)
	if height == 0 {
		return getU64(st, name, fGenesisNonce) + 1, true
	}
	if root == (common.Hash{}) {
		return 0, false
	}
	return down + 1, true
}

// reclaim is IGateway.reclaim: top-down message nonce of the frozen child
// id, which the state of its last checkpoint does not show applied, bounces
// as if the child had refused it: its value goes back to its sender, the
// way of every refund. No claim can pay it (no state root holds it), so it
// is never paid twice.
func (x *call) reclaim(id string, nonce uint64) error {
	if err := x.noValue("reclaim"); err != nil {
		return err
	}
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	why := frozen(x.st, name)
	if why == "" {
		return reverted("gateway: %s is live: its top-down messages are applied there; reclaim is for a killed or stalled subnet", id)
	}
	if delivering(x.st) {
		return reverted("gateway: reclaim cannot run inside a cross-message call; reclaim in a transaction of its own")
	}
	first, ok := unappliedFrom(x.st, name)
	if !ok {
		return reverted("gateway: the last checkpoint of %s was committed before the parent recorded which top-down messages it applied; none can be reclaimed", id)
	}
	last := getU64(x.st, name, fDownNonce)
	switch {
	case nonce < first:
		return reverted("gateway: top-down message %d of %s is applied in the state of its last checkpoint (it applied up to %d); claim the balance instead", nonce, id, first-1)
	case nonce > last:
		return reverted("gateway: %s has no top-down message %d; the newest is %d", id, nonce, last)
	case x.st.GetState(reclaimedSlot(name, nonce)) != (common.Hash{}):
		return reverted("gateway: top-down message %d of %s was already reclaimed", nonce, id)
	}
	var r topDownRLP
	if err := rlp.DecodeBytes(readBlob(x.st, downSlot(name, nonce)), &r); err != nil {
		return fmt.Errorf("gateway: stored top-down message %d of %s: %w", nonce, id, err)
	}
	m := r.Msg
	if r.Kind == KindConfig || m.Value == nil || m.Value.Sign() == 0 {
		return reverted("gateway: top-down message %d of %s carries no value to reclaim", nonce, id)
	}
	circ := getBig(x.st, name, fCirculating)
	if m.Value.Cmp(circ) > 0 {
		return reverted("gateway: firewall: top-down message %d carries %s wei, more than the %s wei still circulating in %s", nonce, m.Value, circ, id)
	}
	x.st.SetState(reclaimedSlot(name, nonce), u64Word(1))
	setBig(x.st, name, fCirculating, new(big.Int).Sub(circ, m.Value))
	reason := fmt.Sprintf("gateway: %s is frozen (%s) and never applied it", id, why)
	if m.Kind == KindRefund {
		// A refund is not refunded again (refund): it is paid here to the
		// account it was for, as a claim would pay it.
		x.emitApplied(m.ID, false, []byte(reason))
		if err := x.st.Transfer(Address, m.To, m.Value); err != nil {
			return fmt.Errorf("gateway: paying reclaimed refund %s to %s: %w", m.ID, m.To, err)
		}
		return nil
	}
	return x.bounce(m, reason)
}

// reclaimGas prices reclaim: the reads, the message, two writes, the bounce
// (its event with reason and the refund's route).
func reclaimGas(g *Gateway, st StateReader, args []any) uint64 {
	gas := gasRead*(10+messageSlots) + gasWrite*2 + 2*gasEvent + gasLogByte*maxReasonBytes
	name := g.childName(args)
	nonce := args[1].(uint64)
	if name == "" || !exists(st, name) || nonce == 0 || nonce > getU64(st, name, fDownNonce) {
		return gas
	}
	var r topDownRLP
	if rlp.DecodeBytes(readBlob(st, downSlot(name, nonce)), &r) != nil || r.Kind == KindConfig || r.Msg.Value == nil {
		return gas
	}
	if r.Msg.Kind == KindRefund {
		return gas + gasPayout
	}
	refund := CrossMsg{SrcSubnet: string(g.subnet), From: Address, DstSubnet: r.Msg.SrcSubnet, To: r.Msg.From, Value: r.Msg.Value, Kind: KindRefund, Ref: r.Msg.ID}
	return gas + gasWrite + routeGas(st, g.subnet, refund)
}
