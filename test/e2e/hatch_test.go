package e2e

import (
	"context"
	"encoding/json"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethclient"

	"github.com/aspen-chain/aspen/gateway"
)

// TestHatch: the escape hatch with real processes. A fresh account is
// funded on /devnet/beta; once the root has committed a checkpoint of beta
// holding that balance, its creator (node1) kills beta with the value still
// inside, and beta's nodes stop and delete it. The account's proofs, kept
// by `aspen snapshot export` while beta ran, let anyone claim on the root:
// a dev account submits the claim, the account receives its balance there, the
// root's supply for beta shrinks by it, and a second claim is refused, as
// is a snapshot whose balance was tampered with. TestHatchStall is the
// other way in: a subnet whose validators all stopped.
func TestHatch(t *testing.T) {
	t.Parallel()
	d := startDevnet(t, t.TempDir(), "--block-time", "200ms", "--idle-interval", "1s", "--checkpoint-period", "4", "--port", strconv.Itoa(freePort(t)), "--p2p-port", strconv.Itoa(freePort(t)))
	home := func(i int) string { return filepath.Join(d.home, "node"+strconv.Itoa(i)) }
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	const beta = "/devnet/beta"
	rootURL := d.m.Nodes[1].RPC
	root, err := ethclient.DialContext(ctx, rootURL)
	if err != nil {
		t.Fatal(err)
	}
	child, err := ethclient.DialContext(ctx, d.m.Nodes[1].RPC+beta)
	if err != nil {
		t.Fatal(err)
	}

	who := common.HexToAddress("0x00000000000000000000000000000000000ca1a1")
	three := new(big.Int).Mul(big.NewInt(3), big.NewInt(1e18))
	aspen(t, "xfer", "fund", beta, "--to", who.Hex(), "--value", "3", "--home", home(0), "--json")
	var funded uint64
	waitFor(t, "the fund to reach "+beta, time.Minute, func() bool {
		b, err := child.BalanceAt(ctx, who, nil)
		if err != nil || b.Cmp(three) != 0 {
			return false
		}
		funded, err = child.BlockNumber(ctx)
		return err == nil
	})
	// An idle subnet makes a block every 30 s; transfers on beta bring the
	// blocks up to its next checkpoint. Then beta rests again, so the
	// checkpoint heights the snapshot must cover stay few.
	traffic := keepBusy(t, ctx, child, d.m.Accounts[0].PrivateKey)
	waitFor(t, "the root to commit a checkpoint of "+beta+" past the fund", 2*time.Minute, func() bool {
		return subnetInfo(t, rootURL, beta).LastCheckpointHeight >= funded
	})
	traffic()

	// Export the account's proofs until the kill has landed: the root may
	// commit one more checkpoint before it, and the snapshot must hold the
	// proof at whichever is last.
	snap := filepath.Join(t.TempDir(), "beta.json")
	exported := keepExporting(t, beta, home(1), who, snap)
	var kill struct {
		Block uint64 `json:"block"`
	}
	out := aspen(t, "subnet", "kill", beta, "--home", home(1), "--json")
	exported()
	if json.Unmarshal([]byte(out), &kill) != nil || kill.Block == 0 {
		t.Fatalf("kill output %q", out)
	}
	after := subnetInfo(t, rootURL, beta)
	if gateway.Status(after.Status) != gateway.StatusKilled {
		t.Fatalf("%s has status %d after the kill", beta, after.Status)
	}
	waitFor(t, "node1 to stop "+beta, time.Minute, func() bool {
		subs := servedSubnets(t, d.m.Nodes[1].RPC)
		_, served := subs[beta]
		return subs != nil && !served
	})

	// A tampered snapshot is refused before anything is sent.
	raw, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	var s struct {
		Proofs []map[string]any `json:"proofs"`
	}
	if err := json.Unmarshal(raw, &s); err != nil || len(s.Proofs) == 0 {
		t.Fatalf("snapshot %s: %v, %d proofs", snap, err, len(s.Proofs))
	}
	// A dev account submits (node accounts also relay checkpoints, whose
	// transactions would race ours for nonces).
	claimThree(t, nativeClaim{root: root, rootURL: rootURL, subnet: beta, before: after, dev: d.m.Accounts[0].PrivateKey, who: who, snap: snap,
		homes: [2]string{home(2), home(3)}})
}

// nativeClaim is a claim of exactly 3 coins that who held in a frozen
// subnet, from the snapshot snap, checked by claimThree.
type nativeClaim struct {
	root    *ethclient.Client
	rootURL string
	subnet  string
	before  *gateway.ABISubnetInfo // the subnet on the parent once frozen
	dev     string                 // the key that submits
	who     common.Address
	snap    string
	homes   [2]string // the nodes the claim and the second claim go through
}

// claimThree claims c: a snapshot whose balance was tampered with is
// refused before anything is sent; the claim pays who its 3 coins at the
// last checkpoint and lowers the parent's supply for the subnet by them; a
// second claim is refused.
func claimThree(t *testing.T, c nativeClaim) {
	t.Helper()
	ctx := context.Background()
	three := new(big.Int).Mul(big.NewInt(3), big.NewInt(1e18))
	raw, err := os.ReadFile(c.snap)
	if err != nil {
		t.Fatal(err)
	}
	forged := filepath.Join(t.TempDir(), "forged.json")
	if err := os.WriteFile(forged, []byte(strings.ReplaceAll(string(raw), `"balance": "0x29a2241af62c0000"`, `"balance": "0x53444835ec580000"`)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(aspenBin, "xfer", "claim", c.subnet, "--home", c.homes[0], "--key", c.dev, "--account", c.who.Hex(), "--snapshot", forged).CombinedOutput(); err == nil || !strings.Contains(string(out), "not the 6000000000000000000 given") {
		t.Fatalf("claim with a tampered snapshot: %v\n%s\nwant a refusal", err, out)
	}
	var res struct {
		Amount     string      `json:"amount"`
		Height     uint64      `json:"height"`
		StateRoot  common.Hash `json:"stateRoot"`
		ProofBytes int         `json:"proofBytes"`
		Tx         common.Hash `json:"tx"`
	}
	out := aspen(t, "xfer", "claim", c.subnet, "--home", c.homes[0], "--key", c.dev, "--account", c.who.Hex(), "--snapshot", c.snap, "--json")
	if err := json.Unmarshal([]byte(out), &res); err != nil {
		t.Fatalf("claim output %q: %v", out, err)
	}
	if res.Height != c.before.LastCheckpointHeight || res.Amount != "3" {
		t.Fatalf("claim %+v; want 3 coins at the last checkpoint %d", res, c.before.LastCheckpointHeight)
	}
	// The claim went through another node: wait until this client's node
	// has its block, then the balance must be exactly the claim.
	var r *gethtypes.Receipt
	waitFor(t, "the claim's block on the root client's node", 30*time.Second, func() bool {
		r, err = c.root.TransactionReceipt(ctx, res.Tx)
		return err == nil
	})
	if b, err := c.root.BalanceAt(ctx, c.who, r.BlockNumber); err != nil || b.Cmp(three) != 0 {
		t.Fatalf("%s has %v on the parent after its claim, want 3 coins (%v)", c.who, b, err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("claim of %s from %s: proof %d bytes, %d gas used (checkpoint %d, root %s)", res.Amount, c.subnet, res.ProofBytes, r.GasUsed, res.Height, res.StateRoot)
	if got := subnetInfo(t, c.rootURL, c.subnet).CirculatingSupply; new(big.Int).Sub(c.before.CirculatingSupply, got).Cmp(three) != 0 {
		t.Fatalf("the parent's supply for %s went from %v to %v; the claim took 3 coins", c.subnet, c.before.CirculatingSupply, got)
	}
	if out, err := exec.Command(aspenBin, "xfer", "claim", c.subnet, "--home", c.homes[1], "--key", c.dev, "--account", c.who.Hex(), "--snapshot", c.snap).CombinedOutput(); err == nil || !strings.Contains(string(out), "already claimed") {
		t.Fatalf("second claim: %v\n%s\nwant a refusal saying it was claimed", err, out)
	}
}

// keepExporting runs `aspen snapshot export` of who's proofs in subnet
// (with extra flags, such as --token) into snap, once before it returns and then over and over until the
// returned function is called: a proof at whichever checkpoint lands last
// before the subnet dies is in the file.
func keepExporting(t *testing.T, subnet, home string, who common.Address, snap string, extra ...string) (stop func()) {
	t.Helper()
	args := append([]string{"snapshot", "export", subnet, "--home", home, "--account", who.Hex(), "--out", snap, "--json"}, extra...)
	aspen(t, args...)
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-done:
				return
			default:
			}
			// Fails once the subnet is gone; the proofs saved before stay.
			_ = exec.Command(aspenBin, args...).Run()
		}
	}()
	return func() { close(done); wg.Wait() }
}

// keepBusy sends 1-wei transfers on a chain, one after the other, from the
// account of key until the returned function is called.
func keepBusy(t *testing.T, ctx context.Context, c *ethclient.Client, keyHex string) (stop func()) {
	key, err := gethcrypto.HexToECDSA(strings.TrimPrefix(keyHex, "0x"))
	if err != nil {
		t.Fatal(err)
	}
	from := gethcrypto.PubkeyToAddress(key.PublicKey)
	chainID, err := c.ChainID(ctx)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		to := common.HexToAddress("0x00000000000000000000000000000000000b05e1")
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			default:
			}
			nonce, err := c.PendingNonceAt(ctx, from)
			if err != nil {
				continue
			}
			tx, _ := gethtypes.SignNewTx(key, gethtypes.LatestSignerForChainID(chainID), &gethtypes.DynamicFeeTx{
				ChainID: chainID, Nonce: nonce, GasTipCap: big.NewInt(1e9), GasFeeCap: big.NewInt(50e9), Gas: 21000, To: &to, Value: big.NewInt(1),
			})
			if c.SendTransaction(ctx, tx) != nil {
				continue
			}
			for range 100 { // its receipt, within 10 s
				if _, err := c.TransactionReceipt(ctx, tx.Hash()); err == nil {
					break
				}
				select {
				case <-done:
					return
				case <-time.After(100 * time.Millisecond):
				}
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
