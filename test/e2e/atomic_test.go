package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

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

// TestAtomicPlans: on the default devnet, the plans of docs/examples
// commit: a plan paying on /devnet/alpha and /devnet/beta, mediated by
// /devnet, and one adding /devnet/alpha/one; every recipient is paid. A plan whose votes cannot arrive within its
// one-block deadline aborts: nobody is paid and the escrow comes back to
// the submitter on /devnet.
func TestAtomicPlans(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
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

	// A deadline of one block: the votes come later, the plan aborts.
	before := balance("/devnet", sub.Address)
	dave, erin := common.Address{0xda, 0x7e}, common.Address{0xe1}
	late := atomicCLI(t, append([]string{"submit", writePlan(t, dir, "late.json", 1, dave, erin, "4", "1")}, who...)...)
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
	t.Logf("plan aborted by its deadline: every leg aborted %d ms after submit", late.ElapsedMs)
}
