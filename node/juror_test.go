package node

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"slices"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
)

// fakeBook lists fixed duties and packs calls as readable strings.
type fakeBook struct{ duties []juryDuty }

func (b *fakeBook) Duties(gateway.StateReader, common.Address) ([]juryDuty, error) {
	return b.duties, nil
}
func (b *fakeBook) AttestationBytes(d juryDuty, valid bool) []byte {
	return []byte(d.String() + map[bool]string{true: " valid", false: " invalid"}[valid])
}
func (b *fakeBook) AttestCall(d juryDuty, valid bool, sig []byte) ([]byte, error) {
	return append([]byte("attest "), b.AttestationBytes(d, valid)...), nil
}
func (b *fakeBook) FraudCall(d juryDuty, p *fraudMaterial) ([]byte, error) {
	return append([]byte("fraud "+d.String()+" "), p.Block...), nil
}

// fakeJudge answers verdicts by height and counts what it judged.
type fakeJudge struct {
	verdicts map[uint64]judgement
	fail     error
	judged   int
}

func (f *fakeJudge) Judge(_ context.Context, d juryDuty) (judgement, error) {
	f.judged++
	if f.fail != nil {
		return judgement{}, f.fail
	}
	return f.verdicts[d.Height], nil
}

// callLog records the gateway calls a juror sends.
type callLog struct{ calls []string }

func (c *callLog) CallGateway(_ context.Context, data []byte) (common.Hash, uint64, error) {
	c.calls = append(c.calls, string(data))
	return common.Hash{}, 0, nil
}

func (c *callLog) CallGatewayRoom(ctx context.Context, data []byte, room uint64) (common.Hash, uint64, error) {
	if room < attestRoom {
		return common.Hash{}, 0, errors.New("test: an attestation without room for the release")
	}
	return c.CallGateway(ctx, data)
}

func testJuror(t *testing.T, book *fakeBook, judge *fakeJudge, lies bool) (*juror, *callLog, *fakeClock) {
	t.Helper()
	key, err := crypto.GenerateBLSKey()
	if err != nil {
		t.Fatal(err)
	}
	calls, clock := &callLog{}, newFakeClock()
	m := jurorMetrics{verdicts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "v"}, []string{"verdict"}), failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "f"})}
	j := newJuror(newFakeChain(t, "/devnet"), book, judge, calls, common.Address{1}, key, slog.New(slog.NewTextHandler(io.Discard, nil)), m)
	j.now, j.lies = clock.now, lies
	return j, calls, clock
}

// TestJurorAttestsItsVerdictsOnce: a valid and an invalid period get one
// attestation each, and a verdict waiting to show on chain is not sent
// again until the resend delay passes.
func TestJurorAttestsItsVerdictsOnce(t *testing.T) {
	book := &fakeBook{duties: []juryDuty{{Child: "/devnet/a", Height: 10}, {Child: "/devnet/a", Height: 20}}}
	judge := &fakeJudge{verdicts: map[uint64]judgement{10: {Valid: true}, 20: {Valid: false, Reason: "no peer served it"}}}
	j, calls, clock := testJuror(t, book, judge, false)
	j.round(context.Background())
	want := []string{"attest /devnet/a@10 valid", "attest /devnet/a@20 invalid"}
	if !equalStrings(calls.calls, want) {
		t.Fatalf("sent %q, want %q", calls.calls, want)
	}
	j.round(context.Background())
	if len(calls.calls) != 2 || judge.judged != 2 {
		t.Fatalf("a second head re-sent verdicts still waiting to show: %q", calls.calls)
	}
	clock.advance(jurorResend)
	j.round(context.Background())
	if len(calls.calls) != 4 {
		t.Fatalf("after %s without the chain showing them, the verdicts were not sent again: %q", jurorResend, calls.calls)
	}
	book.duties = nil // shown on chain
	j.round(context.Background())
	if len(j.sent) != 0 || len(j.retry) != 0 {
		t.Fatalf("the juror still tracks duties the chain no longer lists: %v %v", j.sent, j.retry)
	}
}

// TestJurorProvesFraud: a verdict with fraud material sends the proof and
// no attestation (the proof discards the checkpoint).
func TestJurorProvesFraud(t *testing.T) {
	book := &fakeBook{duties: []juryDuty{{Child: "/devnet/a", Height: 10}}}
	judge := &fakeJudge{verdicts: map[uint64]judgement{10: {Reason: "state root", Fraud: &fraudMaterial{Block: []byte("B")}}}}
	j, calls, _ := testJuror(t, book, judge, false)
	j.round(context.Background())
	if !equalStrings(calls.calls, []string{"fraud /devnet/a@10 B"}) {
		t.Fatalf("sent %q, want only the fraud proof", calls.calls)
	}
}

// TestJurorRetriesWithoutAVerdict: a period nobody served is judged again
// after jurorRetry, not on every head, and nothing is attested meanwhile.
func TestJurorRetriesWithoutAVerdict(t *testing.T) {
	book := &fakeBook{duties: []juryDuty{{Child: "/devnet/a", Height: 10}}}
	judge := &fakeJudge{fail: errors.New("no peer serves /devnet/a")}
	j, calls, clock := testJuror(t, book, judge, false)
	j.round(context.Background())
	j.round(context.Background())
	if judge.judged != 1 || len(calls.calls) != 0 {
		t.Fatalf("judged %d times and sent %q before the retry delay", judge.judged, calls.calls)
	}
	clock.advance(jurorRetry)
	judge.fail, judge.verdicts = nil, map[uint64]judgement{10: {Valid: true}}
	j.round(context.Background())
	if judge.judged != 2 || !equalStrings(calls.calls, []string{"attest /devnet/a@10 valid"}) {
		t.Fatalf("after the retry delay: judged %d, sent %q", judge.judged, calls.calls)
	}
}

// TestLyingJurorNeverJudges: the fault injection attests valid unjudged.
func TestLyingJurorNeverJudges(t *testing.T) {
	book := &fakeBook{duties: []juryDuty{{Child: "/devnet/a", Height: 10}}}
	judge := &fakeJudge{verdicts: map[uint64]judgement{10: {Reason: "forged", Fraud: &fraudMaterial{}}}}
	j, calls, _ := testJuror(t, book, judge, true)
	j.round(context.Background())
	if judge.judged != 0 || !equalStrings(calls.calls, []string{"attest /devnet/a@10 valid"}) {
		t.Fatalf("lying juror judged %d and sent %q", judge.judged, calls.calls)
	}
}

func equalStrings(a, b []string) bool { return slices.Equal(a, b) }
