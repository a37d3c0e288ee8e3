package node

import (
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// openTestChain opens a solo chain's runtime in-process (not running: no
// blocks are made) whose sequencer, the node's account, holds coins.
func openTestChain(t *testing.T) (*runtime, sequencerKey) {
	t.Helper()
	home := t.TempDir()
	cfg := config.DefaultNode(home)
	cfg.Consensus.BlockTime = config.Duration{Duration: time.Second}
	key, err := crypto.NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	acct := sequencerKey{key: key, address: gethcrypto.PubkeyToAddress(key.PublicKey)}
	g := &config.Genesis{
		SubnetID: "/testnet", ChainID: 31337, GasLimit: 30_000_000, Engine: "solo",
		TimestampMs: 1_700_000_000_000,
		Validators:  []config.GenesisValidator{{Address: acct.address}},
		Alloc:       map[common.Address]config.GenesisAccount{acct.address: {Balance: coins(1000)}},
	}
	g.SetDefaults()
	if err := g.Validate(); err != nil {
		t.Fatal(err)
	}
	rt, err := openRuntime(cfg, g, engineKeys{account: acct}, nil, slog.New(slog.NewTextHandler(io.Discard, nil)), newMetrics(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rt.close() })
	return rt, acct
}

// TestSystemTxNoncesUnique: system transactions sent at the same time from
// the node's account (a relay's checkpoint and evidence reports, say) each
// get their own nonce, all of them enter the pool, and the nonces have no
// gap. Reading the pool's nonce and adding the transaction as two steps
// gave two senders the same nonce: one of them was lost.
func TestSystemTxNoncesUnique(t *testing.T) {
	rt, acct := openTestChain(t)
	const senders = 32
	to := common.Address{0xbe, 0xef}
	var wg sync.WaitGroup
	start := make(chan struct{})
	nonces := make(chan uint64, senders)
	errs := make(chan error, senders)
	for i := 0; i < senders; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			tx, err := rt.sys.send(to, nil, 30_000)
			if err != nil {
				errs <- err
				return
			}
			nonces <- tx.Nonce()
		}()
	}
	close(start)
	wg.Wait()
	close(nonces)
	close(errs)
	for err := range errs {
		t.Errorf("system tx refused: %v", err)
	}
	seen := map[uint64]bool{}
	for n := range nonces {
		if seen[n] {
			t.Errorf("nonce %d handed out twice", n)
		}
		seen[n] = true
	}
	for n := uint64(0); n < senders; n++ {
		if !seen[n] {
			t.Errorf("nonce %d never used: %d system txs got %d distinct nonces", n, senders, len(seen))
		}
	}
	if got := rt.pool.Nonce(acct.address); got != senders {
		t.Errorf("pool's next nonce %d, want %d", got, senders)
	}
}

// TestChildUsesParentsNonceOwner: a child runtime sends its system
// transactions to the parent (evidence; the relay takes the same) through
// the parent chain's one nonce owner, not an owner of its own.
func TestChildUsesParentsNonceOwner(t *testing.T) {
	root, acct := openTestChain(t)
	id := types.SubnetID("/testnet/child")
	g := &config.Genesis{
		SubnetID: string(id), ChainID: gateway.ChainIDFor(id), GasLimit: 30_000_000, Engine: "solo",
		TimestampMs: 1_700_000_000_000, Validators: []config.GenesisValidator{{Address: acct.address}},
		Alloc: map[common.Address]config.GenesisAccount{},
	}
	g.SetDefaults()
	cfg := config.DefaultNode(t.TempDir())
	child, err := openRuntime(cfg, g, engineKeys{account: acct}, nil, root.log, root.metrics, root)
	if err != nil {
		t.Fatal(err)
	}
	defer child.close()
	if child.parentTxs != gatewayCaller(root.sys) {
		t.Fatal("the child sends to its parent through another nonce owner than the parent's")
	}
	if child.parent.ID() != root.id || child.parent.Final().Hash() != root.head.Load().Hash() {
		t.Fatal("the child's parent view is not the parent chain")
	}
	if root.parent != nil || root.parentTxs != nil {
		t.Fatal("the root has a parent")
	}
}
