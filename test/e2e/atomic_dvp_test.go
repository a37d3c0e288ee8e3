package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
)

// atomicNet is the default devnet TestSharedTree/AtomicPlans shares with its subtests.
type atomicNet struct {
	d       *devnet
	rpc     string // node1: runs /devnet, validates alpha, alpha/one and beta
	clients map[string]*ethclient.Client
	dir     string
}

func (n *atomicNet) balance(t *testing.T, chain string, a common.Address) *big.Int {
	t.Helper()
	b, err := n.clients[chain].BalanceAt(context.Background(), a, nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func coinsOf(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e18)) }

// dvpSetup is what docs/examples/dvp prints after setup.
type dvpSetup struct {
	Token       common.Address `json:"token"`
	Participant common.Address `json:"participant"`
	Seller      common.Address `json:"seller"`
	OfferID     uint64         `json:"offerId"`
	Plan        string         `json:"plan"`
}

// dvpTool runs the example's program, built once into dir.
func dvpTool(t *testing.T, bin string, args ...string) string {
	t.Helper()
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("dvp %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return strings.TrimSpace(string(out))
}

// testAtomicDvP: the delivery-versus-payment example of docs/examples
// (README "Delivery versus payment"), run as its README says: a seller's
// DemoToken on /devnet/alpha/one against the buyer's native coin paid to
// the seller on /devnet/beta, mediated by /devnet. Committed, the buyer holds
// the tokens and the seller exactly the price on beta. Then a seller who
// offers more tokens than it holds: AtomicDvP's prepare votes no, nothing
// moves on either side, and the buyer's escrow comes back on /devnet.
func testAtomicDvP(t *testing.T, n *atomicNet) {
	bin := filepath.Join(n.dir, "dvp")
	if out, err := exec.Command("go", "build", "-o", bin, "../../docs/examples/dvp").CombinedOutput(); err != nil {
		t.Fatalf("build docs/examples/dvp: %v\n%s", err, out)
	}
	seller, buyer := n.d.m.Accounts[5], n.d.m.Accounts[6]
	const tokenNet, payNet = "/devnet/alpha/one", "/devnet/beta"
	setup := func(name, mint string) dvpSetup {
		t.Helper()
		var s dvpSetup
		out := dvpTool(t, bin, "setup", "--rpc", n.rpc, "--seller-key", seller.PrivateKey, "--buyer", buyer.Address.Hex(),
			"--amount", "100", "--mint", mint, "--price", "3", "--out", filepath.Join(n.dir, name))
		if err := json.Unmarshal([]byte(out), &s); err != nil {
			t.Fatalf("dvp setup printed %q: %v", out, err)
		}
		return s
	}
	tokens := func(s dvpSetup, of common.Address) int64 {
		t.Helper()
		v, ok := new(big.Int).SetString(dvpTool(t, bin, "balance", "--rpc", n.rpc, "--token", s.Token.Hex(), "--of", of.Hex()), 10)
		if !ok {
			t.Fatal("dvp balance printed no number")
		}
		return v.Int64()
	}
	buyerCLI := []string{"--rpc", n.rpc, "--key", buyer.PrivateKey, "--json", "--wait", "50s"}
	fees := new(big.Int).Div(coinsOf(1), big.NewInt(100)) // far above what two transactions cost here

	ok := setup("dvp.json", "100")
	if got := tokens(ok, seller.Address); got != 100 {
		t.Fatalf("the seller holds %d tokens after setup, want 100", got)
	}
	sellerBeta, buyerRoot := n.balance(t, payNet, seller.Address), n.balance(t, "/devnet", buyer.Address)
	done := atomicCLI(t, append([]string{"submit", ok.Plan}, buyerCLI...)...)
	if done.Status != "committed" || len(done.Legs) != 2 || done.Legs[0].State != "committed" || done.Legs[1].State != "committed" {
		t.Fatalf("delivery versus payment: %+v, want committed on both legs", done)
	}
	if b, s, p := tokens(ok, buyer.Address), tokens(ok, seller.Address), tokens(ok, ok.Participant); b != 100 || s != 0 || p != 0 {
		t.Fatalf("tokens after commit: buyer %d, seller %d, participant %d; want 100, 0, 0", b, s, p)
	}
	if got := new(big.Int).Sub(n.balance(t, payNet, seller.Address), sellerBeta); got.Cmp(coinsOf(3)) != 0 {
		t.Fatalf("the seller got %s wei on %s, want exactly 3 coins", got, payNet)
	}
	if spent := new(big.Int).Sub(buyerRoot, n.balance(t, "/devnet", buyer.Address)); spent.Cmp(coinsOf(3)) <= 0 || spent.Cmp(new(big.Int).Add(coinsOf(3), fees)) >= 0 {
		t.Fatalf("the buyer spent %s wei on /devnet, want 3 coins and fees", spent)
	}
	t.Logf("delivery versus payment committed %d ms after submit (submit gas %d, decide gas %d)", done.ElapsedMs, done.SubmitGas, done.DecideGas)

	// A seller who holds 40 of the 100 tokens offered: prepare votes no.
	short := setup("dvp-short.json", "40")
	sellerBeta, buyerRoot = n.balance(t, payNet, seller.Address), n.balance(t, "/devnet", buyer.Address)
	no := atomicCLI(t, append([]string{"submit", short.Plan}, buyerCLI...)...)
	if no.Status != "aborted" || no.Legs[0].Vote != "no" || no.Legs[0].State != "aborted" || no.Legs[1].State != "aborted" {
		t.Fatalf("delivery versus payment without the tokens: %+v, want a no on the token leg and both legs aborted", no)
	}
	if b, s := tokens(short, buyer.Address), tokens(short, seller.Address); b != 0 || s != 40 {
		t.Fatalf("tokens after the abort: buyer %d, seller %d; want 0 and 40", b, s)
	}
	if got := n.balance(t, payNet, seller.Address); got.Cmp(sellerBeta) != 0 {
		t.Fatalf("an aborted plan paid the seller on %s: %s -> %s", payNet, sellerBeta, got)
	}
	// The 3 coins escrowed on beta come back with beta's next checkpoints.
	waitFor(t, "the buyer's escrow back on /devnet", 30*time.Second, func() bool {
		spent := new(big.Int).Sub(buyerRoot, n.balance(t, "/devnet", buyer.Address))
		return spent.Sign() > 0 && spent.Cmp(fees) < 0
	})
	t.Logf("delivery versus payment refused by the token leg, aborted %d ms after submit", no.ElapsedMs)
}
