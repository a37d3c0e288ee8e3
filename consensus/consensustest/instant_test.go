package consensustest_test

import (
	"crypto/ecdsa"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/consensus/bft"
	"github.com/aspen-chain/aspen/consensus/driver"
	"github.com/aspen-chain/aspen/consensus/solo"
	"github.com/aspen-chain/aspen/execution"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

// TestInstantFinalityThroughTheDriver runs solo and a one-validator bft
// through the real driver, executor and store: every committed block is at
// once the head, the safe and the finalized block (RPC's latest, safe and
// finalized tags agree), and a transaction sent is included.
func TestInstantFinalityThroughTheDriver(t *testing.T) {
	seqKey, blsKey := testkeys.Account(9), testkeys.BLS(0)
	seq := testkeys.Address(9)
	engines := map[string]func(t *testing.T, gen *config.Genesis, head *types.Header, cfg *driver.Config) consensus.Engine{
		"solo": func(t *testing.T, gen *config.Genesis, head *types.Header, cfg *driver.Config) consensus.Engine {
			e, err := solo.New(solo.Config{BlockTime: 3, IdleInterval: 6}, soloSigner{seqKey}, head.Height, head.Hash())
			if err != nil {
				t.Fatal(err)
			}
			return e
		},
		"bft": func(t *testing.T, gen *config.Genesis, head *types.Header, cfg *driver.Config) consensus.Engine {
			pub := blsKey.PublicKey()
			vs, err := consensus.NewValidatorSet([]consensus.Validator{{Address: seq, BLSPublicKey: pub.Bytes(), Power: 1}})
			if err != nil {
				t.Fatal(err)
			}
			e, err := bft.New(bft.Config{Subnet: gen.ID(), Validators: vs, Key: blsKey, BlockTime: 3,
				Timeouts: bft.Timeouts{Propose: 10, Prevote: 5, Precommit: 5, Delta: 2}}, head.Height, head.Hash())
			if err != nil {
				t.Fatal(err)
			}
			cfg.WAL, cfg.Transport = &memWAL{}, sink{}
			return e
		},
	}
	for name, newEngine := range engines {
		t.Run(name, func(t *testing.T) {
			pub := blsKey.PublicKey()
			gen := testGenesis(name, []config.GenesisValidator{{Address: seq, BLSPublicKey: pub.Bytes()}})
			c := newChain(t, gen)
			clock := &fixedClock{ms: 1_700_000_100_000}
			cfg := c.driverConfig(clock)
			cfg.Proposer = seq
			var commits int
			onCommit := cfg.OnCommit
			cfg.OnCommit = func(e *execution.Executed) {
				onCommit(e)
				commits++
				hash := e.Block.Hash()
				for tag, h := range map[string]*types.Header{"latest": c.x.Head(), "safe": c.x.Safe(), "finalized": c.x.Finalized()} {
					if h.Hash() != hash {
						t.Errorf("after committing block %d, %s is block %d", e.Block.Height(), tag, h.Height)
					}
				}
			}
			eng := newEngine(t, gen, c.x.Head(), &cfg)
			d := driver.New(cfg, eng, c.x, poolView{c}, c.x.Head())
			if err := d.Start(); err != nil {
				t.Fatal(err)
			}
			tx := c.transfer(0, 0, 1)
			if err := c.pool.Add(tx); err != nil {
				t.Fatal(err)
			}
			if err := d.HandlePoolChanged(); err != nil {
				t.Fatal(err)
			}
			for i := 0; i < 200 && commits < 4; i++ {
				clock.ms += 100
				if err := d.Tick(); err != nil {
					t.Fatal(err)
				}
			}
			if commits < 4 {
				t.Fatalf("%d blocks committed in 200 ticks, want 4", commits)
			}
			if _, found, _ := c.st.TxLookup(tx.Hash()); !found {
				t.Fatal("the transaction sent was never included")
			}
			if head, safe, final := c.pointers(); head != safe || safe != final {
				t.Fatalf("store: head %d, safe %d, finalized %d; want one block", head, safe, final)
			}
		})
	}
}

// soloSigner seals solo blocks with an account key.
type soloSigner struct{ k *ecdsa.PrivateKey }

func (s soloSigner) Sign(h common.Hash) ([]byte, error) { return gethcrypto.Sign(h[:], s.k) }
