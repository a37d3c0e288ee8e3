package private

import (
	"errors"
	"math/big"
	"reflect"
	"testing"

	"github.com/ethereum/go-ethereum/common"
)

var envA = common.HexToHash("0xa1")

// confirm is participant i's signed verdict on env.
func confirm(t *testing.T, i int, env common.Hash, v Verdict, state common.Hash) Confirmation {
	t.Helper()
	c, err := SignConfirmation(Confirmation{Envelope: env, Verdict: v, StateHash: state}, account(t, i))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// mediate tracks envA for participants 1..3 with deadline 10.
func mediate(t *testing.T) *Mediator {
	t.Helper()
	m := NewMediator()
	if err := m.Track(envA, []common.Address{addr(t, 1), addr(t, 2), addr(t, 3)}, 10); err != nil {
		t.Fatal(err)
	}
	return m
}

func step(t *testing.T, m *Mediator, h uint64, c Confirmation) {
	t.Helper()
	if err := m.Step(h, c); err != nil {
		t.Fatalf("height %d, %s from %s: %v", h, c.Verdict, c.Recipient, err)
	}
}

func onlyDecision(t *testing.T, m *Mediator, want Outcome) Decision {
	t.Helper()
	d := m.Ready()
	if len(d) != 1 || d[0].Envelope != envA || d[0].Outcome != want {
		t.Fatalf("decisions %+v, want one %s of %s", d, want, envA)
	}
	return d[0]
}

func TestMediatorCommitsWhenAllConfirmSameState(t *testing.T) {
	m := mediate(t)
	s := common.HexToHash("0x5")
	step(t, m, 4, confirm(t, 1, envA, Confirm, s))
	step(t, m, 5, confirm(t, 2, envA, Confirm, s))
	if d := m.Ready(); len(d) != 0 {
		t.Fatalf("decided before the last recipient: %+v", d)
	}
	step(t, m, 10, confirm(t, 3, envA, Confirm, s)) // at the deadline still counts
	d := onlyDecision(t, m, Committed)
	if d.StateHash != s || d.Height != 10 {
		t.Fatalf("decision %+v, want state %s at 10", d, s)
	}
}

func TestMediatorRejects(t *testing.T) {
	s, other := common.HexToHash("0x5"), common.HexToHash("0x6")
	t.Run("disagreement", func(t *testing.T) {
		m := mediate(t)
		step(t, m, 4, confirm(t, 1, envA, Confirm, s))
		step(t, m, 4, confirm(t, 2, envA, Confirm, other))
		onlyDecision(t, m, Rejected)
	})
	t.Run("one rejection", func(t *testing.T) {
		m := mediate(t)
		step(t, m, 4, confirm(t, 1, envA, Confirm, s))
		step(t, m, 5, confirm(t, 3, envA, Reject, common.Hash{}))
		onlyDecision(t, m, Rejected)
	})
	t.Run("recipient offline past the deadline", func(t *testing.T) {
		m := mediate(t)
		step(t, m, 4, confirm(t, 1, envA, Confirm, s))
		step(t, m, 5, confirm(t, 2, envA, Confirm, s))
		if err := m.Tick(9); err != nil || len(m.Ready()) != 0 {
			t.Fatalf("decided before the deadline: %v", err)
		}
		if err := m.Tick(10); err != nil {
			t.Fatal(err)
		}
		if d := onlyDecision(t, m, Rejected); d.Height != 10 {
			t.Fatalf("timed out at %d, want 10", d.Height)
		}
	})
	t.Run("confirmation after the deadline", func(t *testing.T) {
		m := mediate(t)
		step(t, m, 4, confirm(t, 1, envA, Confirm, s))
		step(t, m, 5, confirm(t, 2, envA, Confirm, s))
		if err := m.Step(11, confirm(t, 3, envA, Confirm, s)); !errors.Is(err, ErrLate) {
			t.Fatalf("late confirmation: %v, want ErrLate", err)
		}
		onlyDecision(t, m, Rejected)
	})
}

func TestMediatorDecidesExactlyOnce(t *testing.T) {
	m := mediate(t)
	step(t, m, 4, confirm(t, 1, envA, Reject, common.Hash{}))
	onlyDecision(t, m, Rejected)
	if err := m.Step(5, confirm(t, 2, envA, Confirm, common.HexToHash("0x5"))); !errors.Is(err, ErrDecided) {
		t.Fatalf("confirmation after the decision: %v, want ErrDecided", err)
	}
	if err := m.Tick(20); err != nil {
		t.Fatal(err)
	}
	if d := m.Ready(); len(d) != 0 {
		t.Fatalf("decided again: %+v", d)
	}
	if err := m.Track(envA, []common.Address{addr(t, 1)}, 30); !errors.Is(err, ErrDecided) {
		t.Fatalf("tracking a decided envelope again: %v, want ErrDecided", err)
	}
	if o, ok := m.Outcome(envA); !ok || o != Rejected || m.Open() != 0 {
		t.Fatalf("outcome %v %v, %d open", o, ok, m.Open())
	}
}

func TestMediatorRefusesBadConfirmations(t *testing.T) {
	m := mediate(t)
	s := common.HexToHash("0x5")
	forged := confirm(t, 7, envA, Reject, common.Hash{})
	forged.Recipient = addr(t, 1) // signed by 7 in 1's name
	badVerdict := confirm(t, 2, envA, Verdict(9), s)
	cases := []struct {
		name string
		c    Confirmation
		want error
	}{
		{"non-recipient", confirm(t, 7, envA, Confirm, s), ErrNotAddressed},
		{"forged signature", forged, ErrBadConfirmation},
		{"unknown verdict", badVerdict, ErrBadVerdict},
		{"unknown envelope", confirm(t, 1, common.HexToHash("0xb2"), Confirm, s), ErrUnknownEnvelope},
	}
	for _, c := range cases {
		if err := m.Step(3, c.c); !errors.Is(err, c.want) {
			t.Fatalf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	step(t, m, 4, confirm(t, 1, envA, Confirm, s))
	if err := m.Step(4, confirm(t, 1, envA, Confirm, s)); !errors.Is(err, ErrDuplicate) {
		t.Fatalf("duplicate: %v, want ErrDuplicate", err)
	}
	if err := m.Step(3, confirm(t, 2, envA, Confirm, s)); !errors.Is(err, ErrHeightBackwards) {
		t.Fatalf("older height: %v, want ErrHeightBackwards", err)
	}
	// None of the refused ones counted: the real answers still commit.
	step(t, m, 5, confirm(t, 2, envA, Confirm, s))
	step(t, m, 6, confirm(t, 3, envA, Confirm, s))
	onlyDecision(t, m, Committed)
}

func TestMediatorTrackRefusesBadRounds(t *testing.T) {
	m := mediate(t)
	if err := m.Track(envA, []common.Address{addr(t, 1)}, 10); !errors.Is(err, ErrAlreadyTracked) {
		t.Fatalf("tracked twice: %v", err)
	}
	env := common.HexToHash("0xb2")
	if err := m.Track(env, nil, 10); !errors.Is(err, ErrBadRound) {
		t.Fatalf("no recipients: %v", err)
	}
	if err := m.Track(env, []common.Address{addr(t, 1), addr(t, 1)}, 10); !errors.Is(err, ErrBadRound) {
		t.Fatalf("recipient twice: %v", err)
	}
	_ = m.Tick(5)
	if err := m.Track(env, []common.Address{addr(t, 1)}, 4); !errors.Is(err, ErrBadRound) {
		t.Fatalf("deadline in the past: %v", err)
	}
}

// Two mediators fed the same blocks decide the same, in the same order, even
// when many rounds expire in one block (map order must not leak out).
func TestMediatorIsDeterministic(t *testing.T) {
	run := func() []Decision {
		m := NewMediator()
		var out []Decision
		for i := range 20 {
			env := common.BigToHash(big.NewInt(int64((i*7919)%1000 + 1)))
			if err := m.Track(env, []common.Address{addr(t, 1), addr(t, 2)}, 10); err != nil {
				t.Fatal(err)
			}
		}
		_ = m.Tick(10)
		return append(out, m.Ready()...)
	}
	a, b := run(), run()
	if len(a) != 20 || !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs differ or miss rounds: %d vs %d decisions", len(a), len(b))
	}
}
