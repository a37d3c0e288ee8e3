package solo

import (
	"errors"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/consensus"
)

// TestKindRunsOnlyForItsSequencer: Kind.New makes an engine for the set's
// sequencer and refuses any other account with ErrNotSequencer.
func TestKindRunsOnlyForItsSequencer(t *testing.T) {
	s := newSigner(t)
	me := gethcrypto.PubkeyToAddress(s.key.PublicKey)
	vs, err := consensus.NewValidatorSet([]consensus.Validator{{Address: me, Power: 1}})
	if err != nil {
		t.Fatal(err)
	}
	cfg := consensus.Config{Validators: vs, Signer: s, Account: me, Timing: consensus.Timing{BlockTime: 2, IdleInterval: 4}}
	if e, err := Kind.New(cfg); err != nil || e.(*Engine).Height() != 0 {
		t.Fatalf("sequencer: %v, %v", e, err)
	}
	cfg.Account = common.Address{9}
	if _, err := Kind.New(cfg); !errors.Is(err, consensus.ErrNotSequencer) {
		t.Fatalf("another account: %v, want ErrNotSequencer", err)
	}
}
