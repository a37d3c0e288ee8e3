package gateway

import (
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
)

// Issue 19, defect 4: seats joined with dust must not freeze a subnet's
// bottom-up channel. A seat brings at least its share of minCollateral, a
// subnet has at most MaxValidators seats, and a checkpoint's price grows
// with its signers, not with the seats that do not sign.

// parentBlockRoom is the parent gas a checkpoint's quorum check may take:
// a 30M-gas parent block less the 20M its messages may take
// (xnet.MaxCheckpointGas, which xnet cuts checkpoints to).
const parentBlockRoom = 30_000_000 - 20_000_000

// seat joins a validator with BLS key and owner numbered i (beyond the
// 256 that child.join's byte seeds reach) and collateral wei.
func (c *child) seat(i int, collateral int64) common.Address {
	c.t.Helper()
	b := make([]byte, 32)
	b[29], b[30], b[31] = 0x5e, byte(i>>8), byte(i)
	k, err := crypto.BLSSecretKeyFromBytes(b)
	if err != nil {
		c.t.Fatal(err)
	}
	owner := common.Address{0x5e, byte(i >> 8), byte(i)}
	c.keys[owner] = k
	c.ok(owner, collateral, "join", string(c.id), k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	return owner
}

// TestJoinNeedsSeatMinimum: a join below minCollateral / minValidators
// (rounded up) reverts, on a Registered and on an Active subnet; a stake
// may add any amount to a seat.
func TestJoinNeedsSeatMinimum(t *testing.T) {
	h := newXH(t, "/devnet")
	c := &child{xh: h, id: "/devnet/games", keys: map[common.Address]*crypto.BLSSecretKey{}}
	h.ok(common.Address{0xc0}, 0, "createSubnet", "games", bftParams(3, 10*gwei)) // 3 333 333 334 wei a seat
	k := blsKey(t, 200)
	dust := func(value int64) {
		t.Helper()
		h.fails("needs at least 3333333334 wei of collateral (minCollateral 10000000000 over minValidators 3)", common.Address{0xd0}, value, "join", string(c.id), k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	}
	dust(1)
	a := c.seat(1, 3_333_333_334)
	h.ok(a, 1, "stake", string(c.id))
	c.seat(2, 4*gwei)
	dust(3_333_333_333)
	c.seat(3, 4*gwei)
	if sn := c.sn(); sn.Status != StatusActive {
		t.Fatalf("status %s after three seats of their share", sn.Status)
	}
	dust(1) // Active: the dust that froze checkpoints
	if n := len(c.sn().Validators); n != 3 {
		t.Fatalf("%d seats after dust joins, want 3", n)
	}
	c.seat(4, 3_333_333_334)
}

// TestCheckpointGasBoundedWithDustSeats: with MaxValidators seats, most of
// them worth one wei, a checkpoint signed by the few seats that hold the
// power costs about what it costs in a subnet of those seats alone, and
// commits; one signed by every seat still fits next to a full load of
// messages in a 30M-gas parent block. The subnet takes no more seats; one
// that leaves makes room for one join.
func TestCheckpointGasBoundedWithDustSeats(t *testing.T) {
	h := newXH(t, "/devnet")
	small := h.newChild("small", 1000, 1000, 1000)
	c := h.newChild("games", 1000, 1000, 1000)
	heavy := []common.Address{{0xa0, 4}, {0xa0, 5}, {0xa0, 6}}
	for i := 1; i <= MaxValidators-3; i++ {
		c.seat(i, 1)
	}
	price := func(c *child, signers ...common.Address) uint64 {
		return h.g.RequiredGas(h.st, Call{Input: c.input(c.next(), signers...)})
	}
	base := price(small)
	few := price(c, heavy...)
	all := price(c)
	t.Logf("checkpoint gas: 3 seats %d; %d seats, 3 signing %d, all signing %d", base, MaxValidators, few, all)
	// The config set's record numbers are all the non-signers cost: 4 bytes
	// a seat. The 3 seats of small all sign, so their check reads no key
	// (the set's aggregate is all it needs); the 3 signers among 500 read
	// theirs.
	if few > base+gasRead*uint64(MaxValidators/8+1)+3*(gasRead*seatKeySlots+gasBLSKey+gasG1Add) {
		t.Fatalf("3 signers of %d seats cost %d gas, of 3 seats %d: the seats that do not sign are priced", MaxValidators, few, base)
	}
	if all > parentBlockRoom {
		t.Fatalf("a checkpoint signed by all %d seats costs %d gas, over the %d a parent block leaves it", MaxValidators, all, parentBlockRoom)
	}
	c.commit(c.next(), heavy...)
	c.commit(c.next())
	// Power, not seats: the 497 dust seats hold 497 of 3497 units.
	c.refuses("497 validators with power 497 of 3497, need 2332", c.next(), dustOwners(MaxValidators-3)...)

	k := blsKey(t, 201)
	h.fails("has 500 validators, the most a subnet takes", common.Address{0xd1}, gwei, "join", string(c.id), k.PublicKey().Bytes(), k.ProofOfPossession(), "/ip4/127.0.0.1/tcp/1/p2p/x")
	h.ok(common.Address{0x5e, 0, 7}, 0, "leave", string(c.id))
	c.seat(MaxValidators, gwei)
	h.conserved()
}

func dustOwners(n int) []common.Address {
	out := make([]common.Address, 0, n)
	for i := 1; i <= n; i++ {
		out = append(out, common.Address{0x5e, byte(i >> 8), byte(i)})
	}
	return out
}

// TestSeatPowerFollowsSeats: the stored total power of each config is the
// sum of its seats' powers after joins, stakes, leaves and a kill.
func TestSeatPowerFollowsSeats(t *testing.T) {
	h := newXH(t, "/devnet")
	c := h.newChild("games", 10, 20, 30)
	c.join(40)                                                   // config 2
	h.ok(common.Address{0xa0, 2}, 5*gwei, "stake", string(c.id)) // config 3
	h.ok(common.Address{0xa0, 1}, 0, "leave", string(c.id))      // config 4
	name := c.id.Name()
	for n := uint64(1); n <= 4; n++ {
		set, err := ReadConfigSet(h.st, "/devnet", c.id, n)
		if err != nil {
			t.Fatal(err)
		}
		want := new(big.Int)
		for _, v := range set {
			want.Add(want, new(big.Int).SetUint64(PowerOf(v.Collateral)))
		}
		if got := configPower(h.st, name, n); got.Cmp(want) != 0 {
			t.Fatalf("config %d: stored power %s, seats sum to %s", n, got, want)
		}
	}
	h.ok(common.Address{0xc0}, 0, "kill", string(c.id))
	if p := getBig(h.st, name, fSeatPower); p.Sign() != 0 {
		t.Fatalf("seat power %s after kill", p)
	}
}
