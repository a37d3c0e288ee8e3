package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"
)

// Participants in EVM code (docs/IAtomicParticipant.sol) that answer every
// call with one word, accepting any value: 1 (prepare votes yes; commit and
// abort succeed) or 0 (prepare votes no).
const (
	yesParticipant = "600160005260206000f3" // mstore(0, 1); return(0, 32)
	noParticipant  = "600060005260206000f3" // mstore(0, 0); return(0, 32)
)

// deploy creates a contract with runtime code runtime (hex) on chain,
// signed by key, and returns its address.
func deploy(t *testing.T, c *ethclient.Client, keyHex, runtime string) common.Address {
	t.Helper()
	ctx := context.Background()
	key, err := crypto.HexToECDSA(strings.TrimPrefix(keyHex, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	code := common.FromHex(runtime)
	// PUSH10 code, PUSH1 0, MSTORE, PUSH1 10, PUSH1 22, RETURN: the 10 bytes end the stored word.
	initCode := append(append([]byte{0x69}, code...), 0x60, 0x00, 0x52, 0x60, 0x0a, 0x60, 0x16, 0xf3)
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	from := crypto.PubkeyToAddress(key.PublicKey)
	nonce, err := c.PendingNonceAt(ctx, from)
	if err != nil {
		t.Fatal(err)
	}
	tx, err := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
		ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1_000_000_000), GasFeeCap: big.NewInt(100_000_000_000),
		Gas: 100_000, Data: initCode,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SendTransaction(ctx, tx); err != nil {
		t.Fatal(err)
	}
	var rec *gethtypes.Receipt
	waitFor(t, "the participant's deployment", 30*time.Second, func() bool {
		rec, err = c.TransactionReceipt(ctx, tx.Hash())
		return err == nil && rec != nil
	})
	if rec.Status != 1 {
		t.Fatalf("deploying a participant failed: %+v", rec)
	}
	return rec.ContractAddress
}

// atomicRun is what aspen atomic prints with --json.
type atomicRun struct {
	ID        common.Hash `json:"id"`
	Mediator  string      `json:"mediator"`
	Status    string      `json:"status"`
	SubmitGas uint64      `json:"submitGas"`
	DecideGas uint64      `json:"decideGas"`
	ElapsedMs int64       `json:"elapsedMs"`
	Legs      []struct {
		Subnet string `json:"subnet"`
		Vote   string `json:"vote"`
		State  string `json:"state"`
	} `json:"legs"`
}

func atomicCLI(t *testing.T, args ...string) atomicRun {
	t.Helper()
	out := strings.TrimSpace(aspen(t, append([]string{"atomic"}, args...)...))
	lines := strings.Split(out, "\n")
	var r atomicRun
	if err := json.Unmarshal([]byte(lines[len(lines)-1]), &r); err != nil {
		t.Fatalf("aspen atomic %s: %q: %v", strings.Join(args, " "), out, err)
	}
	return r
}

// writePlan writes a plan of two value legs, one on each sibling.
func writePlan(t *testing.T, dir, name string, deadline int, alphaTo, betaTo common.Address, alphaCoins, betaCoins string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	plan := fmt.Sprintf(`{"deadline": %d, "legs": [
  {"subnet": "/devnet/alpha", "to": "%s", "value": "%s"},
  {"subnet": "/devnet/beta", "to": "%s", "value": "%s"}]}`, deadline, alphaTo.Hex(), alphaCoins, betaTo.Hex(), betaCoins)
	if err := os.WriteFile(p, []byte(plan), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// testAtomicPlans (TestSharedTree/AtomicPlans): on the default devnet, the
// plans of docs/examples commit: a plan paying on /devnet/alpha and
// /devnet/beta, mediated by /devnet, and one adding /devnet/alpha/one; every
// recipient is paid. With
// participant contracts on the EVM, a yes commits (the contract gets the
// value) and a no aborts every leg. A plan whose votes cannot arrive within its
// one-block deadline aborts: nobody is paid and the escrow comes back to
// the submitter on /devnet. Then the subtests: delivery versus payment
// (docs/examples/dvp), and a leg whose validators are down past the deadline.
func testAtomicPlans(t *testing.T, d *devnet) {
	rpc := d.m.Nodes[1].RPC // node1 runs /devnet and validates alpha and beta
	sub := d.m.Accounts[7]
	who := []string{"--rpc", rpc, "--key", sub.PrivateKey, "--json", "--wait", "50s"}
	ctx := context.Background()
	clients := map[string]*ethclient.Client{}
	for _, c := range []string{"/devnet", "/devnet/alpha", "/devnet/beta", "/devnet/alpha/one"} {
		ec, err := ethclient.Dial(rpc + c)
		if err != nil {
			t.Fatal(err)
		}
		defer ec.Close()
		clients[c] = ec
	}
	balance := func(chain string, a common.Address) *big.Int {
		b, err := clients[chain].BalanceAt(ctx, a, nil)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	coins := func(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }
	dir := t.TempDir()

	// The examples of docs/examples: two siblings, then three subnets with a cousin.
	alice, bob, one := common.HexToAddress("0xa11ce"), common.HexToAddress("0xb0b"), common.HexToAddress("0xc01")
	ok := atomicCLI(t, append([]string{"submit", "../../docs/examples/atomic-siblings.json"}, who...)...)
	if ok.Status != "committed" || ok.Mediator != "/devnet" || len(ok.Legs) != 2 || ok.Legs[0].State != "committed" || ok.Legs[1].State != "committed" {
		t.Fatalf("plan %+v, want committed on every leg", ok)
	}
	if a, b := balance("/devnet/alpha", alice), balance("/devnet/beta", bob); a.Cmp(coins(2)) != 0 || b.Cmp(coins(3)) != 0 {
		t.Fatalf("alice holds %s on alpha, bob %s on beta; want 2 and 3 coins", a, b)
	}
	st := atomicCLI(t, "status", ok.ID.Hex(), "--rpc", rpc, "--json")
	if st.Status != "committed" || st.Legs[0].Vote != "yes" || st.Legs[1].State != "committed" {
		t.Fatalf("status %+v", st)
	}
	t.Logf("sibling plan, submit to every leg final: %d ms; gas on /devnet: submit %d, decide %d", ok.ElapsedMs, ok.SubmitGas, ok.DecideGas)

	three := atomicCLI(t, append([]string{"submit", "../../docs/examples/atomic-three-subnets.json"}, who...)...)
	if three.Status != "committed" || len(three.Legs) != 3 {
		t.Fatalf("three-subnet plan %+v", three)
	}
	half := new(big.Int).Div(coins(1), big.NewInt(2))
	if a, b, c := balance("/devnet/alpha", alice), balance("/devnet/beta", bob), balance("/devnet/alpha/one", one); a.Cmp(coins(3)) != 0 ||
		b.Cmp(new(big.Int).Add(coins(4), half)) != 0 || c.Cmp(half) != 0 {
		t.Fatalf("after the three-subnet plan: alice %s, bob %s, %s %s", a, b, one, c)
	}
	t.Logf("three-subnet plan (alpha, alpha/one, beta): %d ms; gas: submit %d, decide %d", three.ElapsedMs, three.SubmitGas, three.DecideGas)

	// Participant legs on the EVM: a yes commits and the contract gets its
	// value with commit(id); one no aborts every leg.
	yes := deploy(t, clients["/devnet/beta"], sub.PrivateKey, yesParticipant)
	no := deploy(t, clients["/devnet/alpha"], sub.PrivateKey, noParticipant)
	participantPlan := func(name string, alphaTo, betaTo common.Address, alphaData, betaData string) string {
		p := filepath.Join(dir, name)
		plan := fmt.Sprintf(`{"deadline": 300, "legs": [
  {"subnet": "/devnet/alpha", "to": "%s", "value": "1", "data": "%s"},
  {"subnet": "/devnet/beta", "to": "%s", "value": "1", "data": "%s"}]}`, alphaTo.Hex(), alphaData, betaTo.Hex(), betaData)
		if err := os.WriteFile(p, []byte(plan), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	dvp := atomicCLI(t, append([]string{"submit", participantPlan("dvp.json", alice, yes, "", hexutil.Encode([]byte("deliver")))}, who...)...)
	if dvp.Status != "committed" || balance("/devnet/beta", yes).Cmp(coins(1)) != 0 {
		t.Fatalf("plan with a yes participant: %+v; the participant holds %s", dvp, balance("/devnet/beta", yes))
	}
	aliceBefore := balance("/devnet/alpha", alice)
	refused := atomicCLI(t, append([]string{"submit", participantPlan("no.json", no, bob, "0x01", "")}, who...)...)
	if refused.Status != "aborted" || refused.Legs[0].Vote != "no" || refused.Legs[1].State != "aborted" {
		t.Fatalf("plan with a no participant: %+v", refused)
	}
	if balance("/devnet/alpha", no).Sign() != 0 || balance("/devnet/alpha", alice).Cmp(aliceBefore) != 0 {
		t.Fatal("a plan a participant refused paid a leg")
	}
	t.Logf("participant plans: committed in %d ms, refused (aborted on a no) in %d ms", dvp.ElapsedMs, refused.ElapsedMs)

	// A deadline of one block: the votes come later, the plan aborts.
	before := balance("/devnet", sub.Address)
	dave, erin := common.Address{0xda, 0x7e}, common.Address{0xe1}
	// Submitted without waiting; anyone decides it later (here: the submitter).
	sent := atomicCLI(t, append([]string{"submit", writePlan(t, dir, "late.json", 1, dave, erin, "4", "1"), "--no-wait"}, who...)...)
	if sent.Status != "preparing" {
		t.Fatalf("submit --no-wait: %+v", sent)
	}
	late := atomicCLI(t, append([]string{"decide", sent.ID.Hex(), "--mediator", "/devnet"}, who...)...)
	if late.Status != "aborted" || late.Legs[0].State != "aborted" || late.Legs[1].State != "aborted" {
		t.Fatalf("plan %+v, want aborted on every leg", late)
	}
	if balance("/devnet/alpha", dave).Sign() != 0 || balance("/devnet/beta", erin).Sign() != 0 {
		t.Fatal("an aborted plan paid a leg")
	}
	// The 5 coins escrowed return with the legs' next checkpoints; only fees are spent.
	fees := new(big.Int).Div(coins(1), big.NewInt(100))
	waitFor(t, "the aborted plan's escrow back on /devnet", 30*time.Second, func() bool {
		return new(big.Int).Sub(before, balance("/devnet", sub.Address)).Cmp(fees) < 0
	})
	t.Logf("plan aborted by its deadline: every leg aborted %d ms after decide started", late.ElapsedMs)

	n := &atomicNet{d: d, rpc: rpc, clients: clients, dir: dir}
	t.Run("DeliveryVersusPayment", func(t *testing.T) { testAtomicDvP(t, n) })
	// Last: it stops node0, and with it /devnet/alpha and /devnet/alpha/one for a while.
	t.Run("LegCrashedPastDeadline", func(t *testing.T) { testAtomicCrashedLeg(t, n) })
}
