package client

import (
	"errors"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
)

// unpacked packs outs as the gateway answers method and unpacks them as
// the client does.
func unpacked(t *testing.T, method string, outs ...any) []any {
	t.Helper()
	parsed, err := gateway.ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	packed, err := parsed.Methods[method].Outputs.Pack(outs...)
	if err != nil {
		t.Fatal(err)
	}
	out, err := parsed.Unpack(method, packed)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestDecodeJurors(t *testing.T) {
	a, b := common.HexToAddress("0xa1"), common.HexToAddress("0xb2")
	out := unpacked(t, "jurors", []common.Address{a, b}, []*big.Int{big.NewInt(7), big.NewInt(0)}, []uint64{0, 99})
	js, err := DecodeJurors(out)
	if err != nil {
		t.Fatal(err)
	}
	if len(js) != 2 || js[0].Account != a || js[0].Bond.Int64() != 7 || js[0].LeftAt != 0 || js[1].Account != b || js[1].Bond.Sign() != 0 || js[1].LeftAt != 99 {
		t.Fatalf("jurors = %+v", js)
	}
	if _, err := DecodeJurors([]any{[]common.Address{a}, []*big.Int{}, []uint64{0}}); !errors.Is(err, ErrUnexpectedResult) {
		t.Fatalf("columns of different lengths: %v", err)
	}
}

func TestDecodeHeldCheckpoint(t *testing.T) {
	h := common.HexToHash("0xfeed")
	got, err := DecodeHeldCheckpoint(unpacked(t, "heldCheckpoint", uint64(20), [32]byte(h), uint64(130), uint8(gateway.JuryAgreed)))
	if err != nil {
		t.Fatal(err)
	}
	if (got != HeldCheckpoint{Height: 20, Hash: h, CommittedAt: 130, State: gateway.JuryAgreed}) {
		t.Fatalf("held = %+v", got)
	}
	if _, err := DecodeHeldCheckpoint([]any{uint64(1)}); !errors.Is(err, ErrUnexpectedResult) {
		t.Fatalf("one result: %v", err)
	}
}

// TestJuryRoundSeats: a juror drawn twice counts twice; an attester that
// holds no seat of this round counts for none.
func TestJuryRoundSeats(t *testing.T) {
	a, b, c, d := common.HexToAddress("0xa"), common.HexToAddress("0xb"), common.HexToAddress("0xc"), common.HexToAddress("0xd")
	out := unpacked(t, "jury", uint64(2), []common.Address{a, b, a, c}, []common.Address{a, c, d}, []bool{true, false, true}, uint8(gateway.JuryPending))
	r, err := DecodeJuryRound(out)
	if err != nil {
		t.Fatal(err)
	}
	if r.Round != 2 || len(r.Seats) != 4 || len(r.Votes) != 3 || r.Votes[1] != (gateway.JuryVote{Account: c, Valid: false}) || r.State != gateway.JuryPending {
		t.Fatalf("round = %+v", r)
	}
	if valid, invalid := r.SeatsAttested(); valid != 2 || invalid != 1 {
		t.Fatalf("seats attested = %d valid, %d invalid; want 2, 1", valid, invalid)
	}
	if _, err := DecodeJuryRound([]any{uint64(0), []common.Address{}, []common.Address{a}, []bool{}, uint8(0)}); !errors.Is(err, ErrUnexpectedResult) {
		t.Fatalf("an attester without a verdict: %v", err)
	}
}

func TestJuryStateName(t *testing.T) {
	for s, want := range map[gateway.JuryState]string{gateway.JuryPending: "pending", gateway.JuryAgreed: "agreed", gateway.JuryRejected: "rejected", gateway.JuryReleased: "released", 9: "state 9"} {
		if got := JuryStateName(s); got != want {
			t.Errorf("JuryStateName(%d) = %q, want %q", s, got, want)
		}
	}
}
