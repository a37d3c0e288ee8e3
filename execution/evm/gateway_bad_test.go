package evm

import (
	"bytes"
	"math/big"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/gateway"
)

// TestGatewayKillReturnsCollateral: the creator kills an unfunded subnet and
// every validator gets its whole collateral back.
func TestGatewayKillReturnsCollateral(t *testing.T) {
	c := newGWChain(t, 4)
	const id = "/devnet/short"
	c.run(1, c.gwTx(0, nil, "createSubnet", id, bft(3, eth(21))))
	c.run(1, c.joinTx(1, id, blsKey(t, 1), eth(7)), c.joinTx(2, id, blsKey(t, 2), eth(11)))
	c.run(1, c.gwTx(2, eth(3), "stake", id))
	if b := c.balance(gateway.Address); b.Cmp(eth(21)) != 0 {
		t.Fatalf("gateway holds %s, want 21 ether", b)
	}
	rs := c.run(1, c.gwTx(0, nil, "kill", id))
	if ev := c.event(rs[0].Logs[0], "SubnetKilled"); ev["id"] != id {
		t.Fatalf("SubnetKilled %v", ev)
	}
	for _, a := range c.addrs[:3] {
		if got, want := c.balance(a), c.balanceAfterFees(a); got.Cmp(want) != 0 {
			t.Fatalf("%s has %s after kill, want %s", a, got, want)
		}
	}
	if b := c.balance(gateway.Address); b.Sign() != 0 {
		t.Fatalf("gateway still holds %s", b)
	}
	if s := c.subnet(id); s.Status != uint8(gateway.StatusKilled) || len(s.Validators) != 0 {
		t.Fatalf("after kill: %+v", s)
	}
	// The freed BLS key may be used again, on another subnet.
	c.run(1, c.gwTx(0, nil, "createSubnet", "next", bft(1, eth(1))))
	c.run(1, c.joinTx(1, "/devnet/next", blsKey(t, 1), eth(1)))
}

// TestGatewayBadInput: each bad call reverts with its reason, as eth_call
// and as a transaction, and leaves the gateway's storage and balance and the
// sender's balance (but for the fee) as they were.
func TestGatewayBadInput(t *testing.T) {
	c := newGWChain(t, 5)
	const id = "/devnet/games"
	c.run(1, c.gwTx(0, nil, "createSubnet", "games", bft(2, eth(20))))
	c.run(1, c.joinTx(1, id, blsKey(t, 1), eth(10)), c.joinTx(2, id, blsKey(t, 2), eth(10)))
	c.run(1, c.gwTx(0, nil, "createSubnet", "dead", bft(1, eth(1))))
	c.run(1, c.gwTx(0, nil, "kill", "/devnet/dead"))
	if c.subnet(id).Status != uint8(gateway.StatusActive) {
		t.Fatal("games is not active")
	}

	k, other := blsKey(t, 3), blsKey(t, 4)
	key, pop := k.PublicKey().Bytes(), k.ProofOfPossession()
	notOnCurve := bytes.Repeat([]byte{0x11}, 48)
	notOnCurve[0] = 0x91 // compressed flag set, x not on the curve
	params := func(mut func(*paramsArg)) paramsArg { p := bft(3, eth(1)); mut(&p); return p }
	tests := []struct {
		name   string
		from   int
		value  *big.Int
		method string
		args   []any
		want   string
	}{
		{"join short key", 3, eth(1), "join", []any{id, key[:47], pop, p2p}, "BLS public key must be 48 bytes"},
		{"join key off curve", 3, eth(1), "join", []any{id, notOnCurve, pop, p2p}, "is not a valid G1 point"},
		{"join bad pop", 3, eth(1), "join", []any{id, key, other.ProofOfPossession(), p2p}, "proof of possession does not verify"},
		{"join reused key", 3, eth(1), "join", []any{id, blsKey(t, 1).PublicKey().Bytes(), blsKey(t, 1).ProofOfPossession(), p2p}, "already holds a seat in /devnet/games"},
		{"join twice", 1, eth(1), "join", []any{id, key, pop, p2p}, "is already a validator of /devnet/games; use stake"},
		{"join without collateral", 3, nil, "join", []any{id, key, pop, p2p}, "needs collateral"},
		{"join bad p2p", 3, eth(1), "join", []any{id, key, pop, "localhost:4001"}, "must be a libp2p multiaddr"},
		{"join killed", 3, eth(1), "join", []any{"/devnet/dead", key, pop, p2p}, "/devnet/dead was killed"},
		{"create under unknown parent", 3, nil, "createSubnet", []any{"/other/games", bft(1, eth(1))}, "its parent /other is not this chain (/devnet)"},
		{"create grandchild here", 3, nil, "createSubnet", []any{"/devnet/games/chess", bft(1, eth(1))}, "send createSubnet to the gateway of /devnet/games"},
		{"create taken name", 3, nil, "createSubnet", []any{"games", bft(1, eth(1))}, "/devnet/games already exists"},
		{"create killed name", 3, nil, "createSubnet", []any{"dead", bft(1, eth(1))}, "/devnet/dead already exists (status killed)"},
		{"create bad name", 3, nil, "createSubnet", []any{"Games", bft(1, eth(1))}, "may hold only a-z, 0-9 and -"},
		{"create unknown engine", 3, nil, "createSubnet", []any{"p", params(func(p *paramsArg) { p.Engine = 3 })}, "unknown engine 3"},
		{"create no validators", 3, nil, "createSubnet", []any{"p", params(func(p *paramsArg) { p.MinValidators = 0 })}, "minValidators 0 must be between 1"},
		{"create fast blocks", 3, nil, "createSubnet", []any{"p", params(func(p *paramsArg) { p.BlockTimeMs = 9 })}, "blockTimeMs 9 must be between 10"},
		{"create no checkpoints", 3, nil, "createSubnet", []any{"p", params(func(p *paramsArg) { p.CheckpointPeriod = 0 })}, "checkpointPeriod 0 must be between 1"},
		{"create tiny gas", 3, nil, "createSubnet", []any{"p", params(func(p *paramsArg) { p.GasLimit = 1000 })}, "gasLimit 1000 must be between"},
		{"create solo of 2", 3, nil, "createSubnet", []any{"p", params(func(p *paramsArg) { p.Engine = 0; p.MinValidators = 2 })}, "Solo subnet has exactly one sequencer"},
		{"create with value", 3, eth(1), "createSubnet", []any{"p", bft(1, eth(1))}, "createSubnet is not payable"},
		{"fund killed", 3, eth(1), "fund", []any{"/devnet/dead", common.Address{1}}, "/devnet/dead was killed"},
		{"fund unknown", 3, eth(1), "fund", []any{"/devnet/nope", common.Address{1}}, "/devnet/nope does not exist"},
		{"fund bare name", 3, eth(1), "fund", []any{"games", common.Address{1}}, `"games" is not a subnet ID`},
		{"fund nothing", 3, nil, "fund", []any{id, common.Address{1}}, "needs a value greater than 0"},
		{"fund zero address", 3, eth(1), "fund", []any{id, common.Address{}}, "zero address"},
		{"leave below min", 1, nil, "leave", []any{id}, "would drop /devnet/games to 1 validators, below its minValidators 2"},
		{"leave not a validator", 3, nil, "leave", []any{id}, "is not a validator of /devnet/games"},
		{"stake not a validator", 3, eth(1), "stake", []any{id}, "use join first"},
		{"kill by non-creator", 1, nil, "kill", []any{id}, "only the creator of /devnet/games can kill it"},
		{"kill twice", 0, nil, "kill", []any{"/devnet/dead"}, "/devnet/dead is already killed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c.t = t
			from := c.addrs[tt.from]
			data := mustPack(t, c.gw, tt.method, tt.args...)
			c.expectRevert("gateway: ", from, gateway.Address, tt.value, data)
			c.expectRevert(tt.want, from, gateway.Address, tt.value, data)
			root, gwBalance := c.gatewayFingerprint()
			before := c.balance(from)
			spent := new(big.Int).Set(nonNilBig(c.spent[from]))
			c.run(0, c.gwTx(tt.from, tt.value, tt.method, tt.args...))
			root2, gwBalance2 := c.gatewayFingerprint()
			if root2 != root || gwBalance2.Cmp(gwBalance) != 0 {
				t.Fatalf("gateway state changed: storage %s -> %s, balance %s -> %s", root, root2, gwBalance, gwBalance2)
			}
			fee := new(big.Int).Sub(c.spent[from], spent)
			if got, want := c.balance(from), new(big.Int).Sub(before, fee); got.Cmp(want) != 0 {
				t.Fatalf("sender balance %s, want %s (only the fee %s paid)", got, want, fee)
			}
		})
	}
}

func nonNilBig(x *big.Int) *big.Int {
	if x == nil {
		return new(big.Int)
	}
	return x
}

// TestGatewayFromContract: a Solidity contract creates and funds a subnet
// from its own code (the gateway sees the contract as msg.sender), gets the
// gateway's revert reasons, and cannot change state through STATICCALL.
func TestGatewayFromContract(t *testing.T) {
	c := newGWChain(t, 2)
	deploy := c.tx(0, nil, new(big.Int), 3_000_000, hexutil.MustDecode(gatewayUserBytecode), big.NewInt(1e9), big.NewInt(10e9))
	c.run(1, deploy)
	user := crypto.CreateAddress(c.addrs[0], deploy.Nonce())
	ua := parseABI(t, gatewayUserABI)

	rs := c.run(1, c.send(1, user, nil, mustPack(t, ua, "create", "app", bft(1, eth(1)))))
	if ev := c.event(rs[0].Logs[0], "SubnetCreated"); ev["creator"] != user || ev["id"] != "/devnet/app" {
		t.Fatalf("SubnetCreated %v, want creator %s", ev, user)
	}
	if s := c.subnet("/devnet/app"); s.Creator != user {
		t.Fatalf("creator %s, want the contract %s", s.Creator, user)
	}
	rs = c.run(1, c.send(1, user, eth(2), mustPack(t, ua, "fund", "/devnet/app", c.addrs[1])))
	if ev := c.event(rs[0].Logs[0], "CrossMsgSent"); ev["from"] != user || ev["value"].(*big.Int).Cmp(eth(2)) != 0 {
		t.Fatalf("CrossMsgSent %v, want from %s", ev, user)
	}
	if s := c.subnet("/devnet/app"); s.CirculatingSupply.Cmp(eth(2)) != 0 || c.balance(gateway.Address).Cmp(eth(2)) != 0 {
		t.Fatalf("supply %s, gateway balance %s", s.CirculatingSupply, c.balance(gateway.Address))
	}
	// The gateway's reason reaches the contract's caller.
	c.expectRevert("gateway: /devnet/nope does not exist", c.addrs[1], user, nil, mustPack(t, ua, "kill", "/devnet/nope"))
	// The creator is the contract, not the account that called it.
	c.expectRevert("gateway: only the creator of /devnet/app can kill it", c.addrs[1], gateway.Address, nil, mustPack(t, c.gw, "kill", "/devnet/app"))

	// STATICCALL to createSubnet reverts, in eth_call and in a block.
	static := mustPack(t, ua, "staticCreate", "frozen", bft(1, eth(1)))
	c.expectRevert("gateway: createSubnet changes state and cannot run in a static call", c.addrs[1], user, nil, static)
	root, _ := c.gatewayFingerprint()
	c.run(0, c.send(1, user, nil, static))
	if root2, _ := c.gatewayFingerprint(); root2 != root {
		t.Fatal("a static createSubnet changed the gateway's storage")
	}
	if ids := c.view("children")[0].([]string); strings.Join(ids, ",") != "/devnet/app" {
		t.Fatalf("children() = %v", ids)
	}
}
