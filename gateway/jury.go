package gateway

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"

	"github.com/aspen-chain/aspen/crypto"
)

// The jury pool (CROSSNET.md, "Jury"): the accounts that bond here to
// judge this chain's children's checkpoints. The gateway does not hold its
// own chain's validator set (its parent does), and a juror must be
// slashable where fraud is proven, so jurors bond on this gateway with a BLS
// key. The nodes expected to bond are this chain's validators, each with
// its validator key; the gateway cannot check that they are, and does not
// try: whoever bonds is at stake for what it attests, and its weight in
// every draw is its bond.

// Bounds of the jury.
const (
	// MaxJurors bounds the pool's entries, unbonding and slashed ones
	// included until withdrawn, and so every loop over it.
	MaxJurors = 256
	// MaxJurySeats bounds a child's jury.
	MaxJurySeats = 21
	// DefaultJurySeats is the jury of a child whose creator set none.
	DefaultJurySeats = 5
	// JuryWindow is how many parent blocks a round of a jury has to reach
	// a majority; then a fresh jury is drawn. A round's seed is the hash of
	// the block it opens after, which BLOCKHASH serves for 256 blocks.
	JuryWindow = 50
	// JuryUnbonding is how many parent blocks a juror's bond stays after
	// its leave and its latest attestation. A fraud proof names any of a
	// child's last FraudWindow checkpoints, whose age in parent blocks no
	// constant bounds; the delay is the default stall window, so the bond
	// is still there for any proof made while the checkpoint it attested is
	// held (a child whose checkpoints stay held that long is frozen) and for
	// long after its release.
	JuryUnbonding = DefaultStallWindow
	// MaxHeldCheckpoints bounds a child's checkpoints held at once: a
	// child whose jury cannot keep up takes no more until it does.
	MaxHeldCheckpoints = 64
	// MaxJuryVotes bounds the attestations one checkpoint takes (over all
	// its rounds), and so the jurors a fraud proof slashes in one call.
	MaxJuryVotes = 32
)

// MinJuryBond is the least bond a juror brings: one coin.
var MinJuryBond = new(big.Int).Exp(big.NewInt(10), big.NewInt(18), nil)

// Juror is one entry of the pool.
type Juror struct {
	Account      common.Address
	BLSPublicKey []byte
	Weight       *big.Int // the bond at joining: its weight in every draw
	Bond         *big.Int // what it still has at stake
	Since        uint64   // parent height of joinJury: drawable from the next block
	Until        uint64   // parent height of leaveJury or of its slash (0: bonded)
	LastAttest   uint64   // parent height of its latest attestation
}

// WithdrawableAt is the first parent height at which j may withdraw its
// bond (0 while bonded).
func (j Juror) WithdrawableAt() uint64 {
	if j.Until == 0 {
		return 0
	}
	return max(j.Until, j.LastAttest) + JuryUnbonding + 1
}

// drawable reports whether j sits in draws of rounds seeded at block start:
// bonded before that block and not gone before it. A round's pool is fixed
// before its seed is known.
func (j Juror) drawable(start uint64) bool {
	return j.Since < start && (j.Until == 0 || j.Until >= start)
}

func getJ(st StateReader, a common.Address, f jurorField) common.Hash {
	return st.GetState(jurorSlot(a, f))
}

func readJuror(st StateReader, a common.Address) (Juror, bool) {
	if getJ(st, a, jSince) == (common.Hash{}) {
		return Juror{}, false
	}
	k1, k2 := getJ(st, a, jKey), getJ(st, a, jKey2)
	return Juror{
		Account: a, BLSPublicKey: append(k1.Bytes(), k2[:crypto.BLSPublicKeySize-32]...),
		Weight: wordBig(getJ(st, a, jWeight)), Bond: wordBig(getJ(st, a, jBond)),
		Since: wordU64(getJ(st, a, jSince)), Until: wordU64(getJ(st, a, jUntil)), LastAttest: wordU64(getJ(st, a, jLastAttest)),
	}, true
}

// jurorWeight reads only what a draw needs of account a.
func jurorWeight(st StateReader, a common.Address) Juror {
	return Juror{Account: a, Weight: wordBig(getJ(st, a, jWeight)), Since: wordU64(getJ(st, a, jSince)), Until: wordU64(getJ(st, a, jUntil))}
}

func poolCount(st StateReader) uint64 { return wordU64(st.GetState(juryPoolCountSlot())) }

func poolAt(st StateReader, i uint64) common.Address {
	return common.BytesToAddress(st.GetState(juryPoolSlot(i)).Bytes())
}

func poolU64(st StateReader, f poolField) uint64 { return wordU64(st.GetState(poolSlot(f))) }

// drawableNow is how many bonded jurors a round seeded at block now could
// draw: the bonded ones, less those that joined in this very block.
func drawableNow(st StateReader, now uint64) uint64 {
	n := poolU64(st, pActive)
	if poolU64(st, pLastJoinAt) == now {
		n -= min(n, poolU64(st, pJoinsAt))
	}
	return n
}

// joinJury is IGateway.joinJury.
func (x *call) joinJury(key, pop []byte) error {
	bond := x.c.value()
	switch {
	case bond.Cmp(MinJuryBond) < 0:
		return reverted("gateway: joinJury needs a bond of at least %s wei, got %s", MinJuryBond, bond)
	case len(key) != crypto.BLSPublicKeySize:
		return reverted("gateway: BLS public key must be %d bytes (compressed G1), got %d", crypto.BLSPublicKeySize, len(key))
	case delivering(x.st):
		return reverted("gateway: joinJury cannot run inside a cross-message call; bond in a transaction of its own")
	}
	if _, ok := readJuror(x.st, x.c.Caller); ok {
		return reverted("gateway: %s is already in the jury pool; to change its bond, leaveJury, withdrawJuryBond after the unbonding delay, and join again", x.c.Caller)
	}
	if n := poolCount(x.st); n >= MaxJurors {
		return reverted("gateway: the jury pool is full (%d entries, unbonding ones included); wait for one to withdraw", n)
	}
	if _, err := crypto.ParseBLSPublicKey(key); err != nil {
		return reverted("gateway: BLS public key %s is not a valid G1 point: %v", hexutil.Encode(key), err)
	}
	if !crypto.VerifyProofOfPossession(key, pop) {
		return reverted("gateway: the proof of possession does not verify for BLS key %s; sign the key with its own secret key", hexutil.Encode(key))
	}
	if used := x.st.GetState(jurorKeySlot(key)); used != (common.Hash{}) {
		return reverted("gateway: BLS key %s is the key of juror %s already; every juror needs its own key", hexutil.Encode(key), common.BytesToAddress(used.Bytes()))
	}
	now := x.st.BlockNumber()
	a := x.c.Caller
	var k [64]byte
	copy(k[:], key)
	x.st.SetState(jurorSlot(a, jWeight), bigWord(bond))
	x.st.SetState(jurorSlot(a, jBond), bigWord(bond))
	x.st.SetState(jurorSlot(a, jKey), common.BytesToHash(k[:32]))
	x.st.SetState(jurorSlot(a, jKey2), common.BytesToHash(k[32:]))
	x.st.SetState(jurorSlot(a, jSince), u64Word(now))
	x.st.SetState(jurorKeySlot(key), common.BytesToHash(a.Bytes()))
	n := poolCount(x.st)
	x.st.SetState(juryPoolSlot(n), common.BytesToHash(a.Bytes()))
	x.st.SetState(juryPoolCountSlot(), u64Word(n+1))
	x.st.SetState(poolSlot(pActive), u64Word(poolU64(x.st, pActive)+1))
	joins := uint64(1)
	if poolU64(x.st, pLastJoinAt) == now {
		joins += poolU64(x.st, pJoinsAt)
	}
	x.st.SetState(poolSlot(pLastJoinAt), u64Word(now))
	x.st.SetState(poolSlot(pJoinsAt), u64Word(joins))
	x.emit("JurorJoined", []common.Hash{addrTopic(a)}, key, bond)
	return nil
}

// leaveJury is IGateway.leaveJury: the juror is drawn for no round seeded
// after this block; its bond waits JuryUnbonding blocks.
func (x *call) leaveJury() error {
	j, ok := readJuror(x.st, x.c.Caller)
	switch {
	case !ok:
		return reverted("gateway: %s is not in the jury pool", x.c.Caller)
	case j.Until != 0:
		return reverted("gateway: %s left the jury at parent block %d (or was slashed); withdrawJuryBond from block %d", x.c.Caller, j.Until, j.WithdrawableAt())
	}
	x.endJuror(x.c.Caller)
	j.Until = x.st.BlockNumber()
	x.emit("JurorLeft", []common.Hash{addrTopic(x.c.Caller)}, j.WithdrawableAt())
	return nil
}

// endJuror takes bonded juror a out of future draws.
func (x *call) endJuror(a common.Address) {
	x.st.SetState(jurorSlot(a, jUntil), u64Word(x.st.BlockNumber()))
	x.st.SetState(poolSlot(pActive), u64Word(poolU64(x.st, pActive)-1))
}

// withdrawJuryBond is IGateway.withdrawJuryBond.
func (x *call) withdrawJuryBond() ([]any, error) {
	a := x.c.Caller
	j, ok := readJuror(x.st, a)
	switch {
	case !ok:
		return nil, reverted("gateway: %s is not in the jury pool", a)
	case j.Until == 0:
		return nil, reverted("gateway: %s is a bonded juror; leaveJury first", a)
	case x.st.BlockNumber() < j.WithdrawableAt():
		return nil, reverted("gateway: the bond of %s is at stake until parent block %d (%d blocks after its leave and its latest attestation), so a fraud proof can still reach it", a, j.WithdrawableAt(), uint64(JuryUnbonding))
	case delivering(x.st):
		return nil, reverted("gateway: withdrawJuryBond cannot run inside a cross-message call; withdraw in a transaction of its own")
	}
	n := poolCount(x.st)
	i := uint64(0)
	for i < n && poolAt(x.st, i) != a {
		i++
	}
	if i == n {
		return nil, fmt.Errorf("gateway: juror %s has a record but no pool entry", a)
	}
	// The last entry moves into the hole: draws walk the pool in account
	// order, not entry order, so no draw changes with it.
	x.st.SetState(juryPoolSlot(i), x.st.GetState(juryPoolSlot(n-1)))
	x.st.SetState(juryPoolSlot(n-1), common.Hash{})
	x.st.SetState(juryPoolCountSlot(), u64Word(n-1))
	x.st.SetState(jurorKeySlot(j.BLSPublicKey), common.Hash{})
	for f := range jurorFields {
		x.st.SetState(jurorSlot(a, f), common.Hash{})
	}
	if err := x.st.Transfer(Address, a, j.Bond); err != nil {
		return nil, fmt.Errorf("gateway: returning the jury bond of %s: %w", a, err)
	}
	x.emit("JurorWithdrawn", []common.Hash{addrTopic(a)}, j.Bond)
	return []any{j.Bond}, nil
}

// JurorOf returns the juror record of account a on the chain whose state
// st is; false if a never bonded (or withdrew). One read when it did not.
func JurorOf(st StateReader, a common.Address) (Juror, bool) { return readJuror(st, a) }

// ReadJurors returns the jury pool of the chain whose state st is, in entry
// order: at most MaxJurors.
func ReadJurors(st StateReader) []Juror {
	n := min(poolCount(st), MaxJurors)
	out := make([]Juror, 0, n)
	for i := range n {
		if j, ok := readJuror(st, poolAt(st, i)); ok {
			out = append(out, j)
		}
	}
	return out
}

// JuryBonds is what the pool has at stake: the gateway's balance owes it.
func JuryBonds(st StateReader) *big.Int {
	total := new(big.Int)
	for _, j := range ReadJurors(st) {
		total.Add(total, j.Bond)
	}
	return total
}

// juryFor is the jury size of name: its creator's setting or the
// default; none for a PoW child (no quorum signs its checkpoints).
func juryFor(st StateReader, name string) uint64 {
	if Engine(getU64(st, name, fEngine)) == EnginePoW {
		return 0
	}
	if v := getU64(st, name, fJurySeats); v != 0 {
		return v - 1
	}
	return DefaultJurySeats
}

// setJury is IGateway.setJury: the creator sets the jury size of its
// child. Before activation anything goes; once Active, only up: users
// relied on the jury when they sent value in, and a creator must not take
// it away from under them.
func (x *call) setJury(id string, seats uint32) error {
	name, err := x.resolve(id)
	if err != nil {
		return err
	}
	creator := common.BytesToAddress(x.st.GetState(fieldSlot(name, fCreator)).Bytes())
	cur := juryFor(x.st, name)
	switch {
	case x.c.Caller != creator:
		return reverted("gateway: only the creator of %s can set its jury (%s, not %s)", id, creator, x.c.Caller)
	case seats > MaxJurySeats:
		return reverted("gateway: a jury has at most %d seats, got %d", MaxJurySeats, seats)
	case Engine(getU64(x.st, name, fEngine)) == EnginePoW && seats != 0:
		return reverted("gateway: %s is a PoW subnet: its checkpoints are proven by work and no quorum signs them; it has no jury", id)
	case statusOf(x.st, name) != StatusRegistered && uint64(seats) < cur:
		return reverted("gateway: %s is %s; its jury can grow but not shrink below %d seats, so its users can rely on it", id, statusOf(x.st, name), cur)
	}
	setU64(x.st, name, fJurySeats, uint64(seats)+1)
	return nil
}
