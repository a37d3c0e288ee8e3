package engines

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aspen-chain/aspen/consensus"
)

// TestBuiltinKinds: the built-in engines are registered with the
// properties the node and config rely on, and an unknown name is an error
// listing what this build has.
func TestBuiltinKinds(t *testing.T) {
	if names := consensus.KindNames(); !slices.Equal(names, []string{"bft", "pow", "solo"}) {
		t.Fatalf("registered kinds %v, want [bft pow solo]", names)
	}
	solo, err := consensus.LookupKind("solo")
	if err != nil || !solo.SingleSequencer || solo.ValidatorKeys || solo.CheckMessage != nil || solo.Evidence != nil || !solo.Finality.Instant() {
		t.Fatalf("solo: %+v, %v", solo, err)
	}
	bft, err := consensus.LookupKind("bft")
	if err != nil || bft.SingleSequencer || !bft.ValidatorKeys || bft.CheckMessage == nil || bft.VerifyCommit == nil || bft.Evidence == nil || !bft.Finality.Instant() {
		t.Fatalf("bft: %+v, %v", bft, err)
	}
	pow, err := consensus.LookupKind("pow")
	if err != nil || pow.SingleSequencer || pow.ValidatorKeys || pow.CheckMessage == nil || pow.DecodeGossip == nil || pow.NewSealer == nil ||
		pow.CheckHeader == nil || pow.VerifyCommit != nil || pow.Evidence != nil || pow.Finality.Depth != 6 {
		t.Fatalf("pow: %+v, %v", pow, err)
	}
	_, err = consensus.LookupKind("ethash")
	if !errors.Is(err, consensus.ErrUnknownKind) || !strings.Contains(err.Error(), "bft, pow, solo") {
		t.Fatalf("unknown kind: %v", err)
	}
}
