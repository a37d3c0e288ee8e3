package e2e

import (
	"context"
	"math/big"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum"
	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/client"
	"github.com/aspen-chain/aspen/gateway"
)

// juryMinterKey is the account the captured quorum of /devnet/games mints
// to (ASPEN_FAULT_MINT): a self-send of it gains 5 coins out of nothing.
const juryMinterKey = "b71c71a67e1177ad4e901695e1b4b9ee17ae16c6668d313eac2f96dbcda3f291"

// TestJuryStopsAForgedCheckpoint: issue 16's end-to-end case with real
// processes. /devnet/games is a bft subnet whose whole quorum (all four
// nodes) runs a forging executor (ASPEN_FAULT_MINT): a self-send of the
// minter account credits it 5 coins out of nothing, and the validators
// agree on, sign and checkpoint the forged blocks. Every root node bonds
// as a juror; node3's juror lies (ASPEN_FAULT_JUROR_LIES: it attests valid
// unjudged). Honest value still flows: a release made before the forgery
// reaches the root through a checkpoint the jury released. Then the minter
// forges and releases more than it ever honestly had; the jurors
// re-execute the period from witnesses, find the forged block, and prove
// the fraud: the root freezes games, the forged release is never paid, the
// signers lose their collateral, and the lying juror, if it attested the
// forged checkpoint, loses its bond while the honest jurors keep theirs.
func TestJuryStopsAForgedCheckpoint(t *testing.T) {
	t.Parallel()
	const games = "/devnet/games"
	key, err := gethcrypto.HexToECDSA(juryMinterKey)
	if err != nil {
		t.Fatal(err)
	}
	minter := gethcrypto.PubkeyToAddress(key.PublicKey)
	n := startBFTEnv(t, []string{"ASPEN_FAULT_MINT=" + games + "=" + minter.Hex() + ":5000000000000000000", "ASPEN_FAULT_JUROR_LIES=node3"})
	home := func(i int) string { return filepath.Join(n.home, "node"+strconv.Itoa(i)) }
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	rootURL, root := n.m.Nodes[0].RPC, n.clients[0]
	accounts := make([]common.Address, 4)
	for i := range accounts {
		accounts[i] = common.HexToAddress(strings.TrimSpace(jsonField(t, aspen(t, "keys", "show", "--home", home(i), "--json"), "account")))
		aspen(t, "jury", "join", "--chain", "/devnet", "--bond", "1", "--home", home(i), "--json")
	}
	aspen(t, "subnet", "create", games, "--engine", "bft", "--min-validators", "4", "--min-collateral", "4", "--block-time", "200ms",
		"--checkpoint-period", "5", "--jury", "21", "--home", home(0), "--json")
	for i := range 4 {
		aspen(t, "subnet", "join", games, "--collateral", "1", "--home", home(i), "--json")
	}
	for i := range 4 {
		waitFor(t, "node"+strconv.Itoa(i)+" to validate "+games, time.Minute, func() bool {
			return servedSubnets(t, n.m.Nodes[i].RPC)[games] == "validator"
		})
	}
	g, err := client.DialGateway(ctx, rootURL, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if out, err := g.Call(ctx, "juryFor", games); err != nil || out[0].(uint32) != 21 {
		t.Fatalf("juryFor(%s) = %v, %v; want 21 seats", games, out, err)
	}

	child, err := ethclient.DialContext(ctx, n.m.Nodes[1].RPC+games)
	if err != nil {
		t.Fatal(err)
	}
	coins := func(c int64) *big.Int { return new(big.Int).Mul(big.NewInt(c), big.NewInt(1e18)) }
	bystander := common.HexToAddress("0x00000000000000000000000000000000000b1557")
	aspen(t, "xfer", "fund", games, "--to", minter.Hex(), "--value", "10", "--home", home(1), "--json")
	aspen(t, "xfer", "fund", games, "--to", bystander.Hex(), "--value", "20", "--home", home(1), "--json")
	waitFor(t, "the funds to reach "+games, time.Minute, func() bool {
		a, err1 := child.BalanceAt(ctx, minter, nil)
		b, err2 := child.BalanceAt(ctx, bystander, nil)
		return err1 == nil && err2 == nil && a.Cmp(coins(10)) == 0 && b.Cmp(coins(20)) == 0
	})

	// Honest value goes through the jury.
	honest := common.HexToAddress("0x000000000000000000000000000000000000a0e5")
	aspen(t, "xfer", "release", games, "--to", honest.Hex(), "--value", "1", "--key", juryMinterKey, "--home", home(1), "--json")
	waitFor(t, "the honest release to be paid on the root", 2*time.Minute, func() bool {
		b, err := root.BalanceAt(ctx, honest, nil)
		return err == nil && b.Cmp(coins(1)) == 0
	})
	if len(gatewayLogs(t, ctx, root, "CheckpointReleased")) == 0 {
		t.Fatal("the honest release was paid without any CheckpointReleased: the jury was not in effect")
	}

	// The forgery: a self-send mints 5 coins; then 13 go up, more than the
	// 9 the minter honestly holds.
	before, err := child.BalanceAt(ctx, minter, nil)
	if err != nil {
		t.Fatal(err)
	}
	staked := new(big.Int)
	for _, v := range subnetInfo(t, rootURL, games).Validators {
		staked.Add(staked, v.Collateral)
	}
	forgedAt := sendTx(t, child, juryMinterKey, &minter, nil).BlockNumber.Uint64()
	after, err := child.BalanceAt(ctx, minter, nil)
	if err != nil {
		t.Fatal(err)
	}
	if gain := new(big.Int).Sub(after, before); gain.Cmp(coins(4)) < 0 {
		t.Fatalf("the forging quorum credited the minter %s wei on its self-send, want about 5 coins", gain)
	}
	forged := common.HexToAddress("0x00000000000000000000000000000000000f0a6e")
	aspen(t, "xfer", "release", games, "--to", forged.Hex(), "--value", "13", "--key", juryMinterKey, "--home", home(1), "--json")
	frozen := func() bool {
		out, err := g.Call(ctx, "claimRoot", games)
		if err != nil {
			t.Fatalf("claimRoot(%s): %v", games, err)
		}
		return out[0].(bool)
	}
	waitFor(t, "a juror to prove the fraud and the root to freeze "+games, 3*time.Minute, func() bool {
		if b, err := root.BalanceAt(ctx, forged, nil); err == nil && b.Sign() > 0 {
			t.Fatalf("the root paid %s wei of the forged release", b)
		}
		return frozen()
	})
	proofs := gatewayLogs(t, ctx, root, "FraudProven")
	if len(proofs) == 0 {
		t.Fatalf("%s is frozen without a FraudProven event", games)
	}
	p := proofs[0].fields
	t.Logf("fraud proven at block %v of checkpoint %v: %v; %v wei slashed of %s staked, %v wei to the prover", p["blockHeight"], p["checkpointHeight"], p["reason"], p["collateralSlashed"], staked, p["reward"])
	if got := p["blockHeight"].(uint64); got != forgedAt {
		t.Fatalf("the fraud proven is at block %d of %s; the forged self-send is in block %d", got, games, forgedAt)
	}
	// The signers (a quorum: 3 or 4 of the 4) lose their seats and all
	// their collateral; a validator that did not sign keeps its own.
	signers := map[common.Address]bool{}
	for _, l := range gatewayLogs(t, ctx, root, "ValidatorSlashed") {
		if l.fields["id"] == games {
			signers[l.indexed] = true
		}
	}
	if len(signers) < 3 {
		t.Fatalf("%d validators of %s slashed; a checkpoint needs 3 of 4 signers", len(signers), games)
	}
	slashed, kept := slashedOf(t, ctx, root, games), new(big.Int)
	for _, v := range subnetInfo(t, rootURL, games).Validators {
		if signers[v.Owner] {
			t.Fatalf("signer %s of the fraudulent checkpoint keeps its seat with %s wei", v.Owner, v.Collateral)
		}
		kept.Add(kept, v.Collateral)
	}
	if sum := new(big.Int).Add(slashed, kept); sum.Cmp(staked) != 0 {
		t.Fatalf("slashed %s plus kept %s wei of collateral; %s was staked", slashed, kept, staked)
	}
	bonds := new(big.Int)
	for _, l := range gatewayLogs(t, ctx, root, "JurorSlashed") {
		bonds.Add(bonds, l.fields["bond"].(*big.Int))
	}
	if want := new(big.Int).Add(slashed, bonds); p["collateralSlashed"].(*big.Int).Cmp(want) != 0 {
		t.Fatalf("FraudProven says %s wei slashed; the signers lost %s and the jurors %s", p["collateralSlashed"], slashed, bonds)
	}
	// Let the root go on a while: a held payout of the forged checkpoint
	// must never be made afterwards either.
	h, err := root.BlockNumber(ctx)
	if err != nil {
		t.Fatal(err)
	}
	n.waitHeight(t, h+2*gateway.JuryWindow, 2*time.Minute, 0)
	if b, err := root.BalanceAt(ctx, forged, nil); err != nil || b.Sign() != 0 {
		t.Fatalf("the forged release's recipient holds %v on the root (%v)", b, err)
	}

	// The jurors: the liar loses its bond if it attested the checkpoint
	// proven fraudulent; nobody honest loses anything.
	jurorSlashed := map[common.Address]bool{}
	for _, l := range gatewayLogs(t, ctx, root, "JurorSlashed") {
		jurorSlashed[l.indexed] = true
	}
	for i := range 3 {
		if jurorSlashed[accounts[i]] {
			t.Fatalf("honest juror node%d was slashed", i)
		}
	}
	proven := proofs[0].fields["checkpointHeight"].(uint64)
	liarAttested := false
	for _, l := range gatewayLogs(t, ctx, root, "Attested") {
		if l.indexed == accounts[3] && l.fields["height"].(uint64) == proven && l.fields["valid"].(bool) {
			liarAttested = true
		}
	}
	switch {
	case liarAttested && !jurorSlashed[accounts[3]]:
		t.Fatal("the lying juror attested the forged checkpoint valid and kept its bond")
	case !liarAttested:
		t.Logf("the lying juror was not drawn for checkpoint %d, or the proof came first: nothing to slash", proven)
	}
}

// slashedOf sums the collateral the root's ValidatorSlashed events took
// from subnet's validators.
func slashedOf(t *testing.T, ctx context.Context, c *ethclient.Client, subnet string) *big.Int {
	total := new(big.Int)
	for _, l := range gatewayLogs(t, ctx, c, "ValidatorSlashed") {
		if l.fields["id"] == subnet {
			total.Add(total, l.fields["collateralSlashed"].(*big.Int))
		}
	}
	return total
}

// gatewayLog is one decoded gateway event: its data fields and its first
// indexed address, if any.
type gatewayLog struct {
	fields  map[string]any
	indexed common.Address
}

// gatewayLogs returns every event called name the gateway of c's chain
// emitted, oldest first.
func gatewayLogs(t *testing.T, ctx context.Context, c *ethclient.Client, name string) []gatewayLog {
	t.Helper()
	a, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	ev, ok := a.Events[name]
	if !ok {
		t.Fatalf("the gateway ABI has no event %s", name)
	}
	logs, err := c.FilterLogs(ctx, ethereum.FilterQuery{FromBlock: big.NewInt(0), Addresses: []common.Address{gateway.Address}, Topics: [][]common.Hash{{ev.ID}}})
	if err != nil {
		t.Fatalf("logs of %s: %v", name, err)
	}
	out := make([]gatewayLog, 0, len(logs))
	for _, l := range logs {
		gl := gatewayLog{fields: map[string]any{}}
		if err := ev.Inputs.UnpackIntoMap(gl.fields, l.Data); err != nil {
			t.Fatalf("decoding %s: %v", name, err)
		}
		if len(l.Topics) > 1 {
			gl.indexed = common.BytesToAddress(l.Topics[1][12:])
		}
		out = append(out, gl)
	}
	return out
}
