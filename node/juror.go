package node

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// The juror (CROSSNET.md, "Jury"): a node whose account bonded as a juror
// on a chain it runs judges the checkpoints of that chain's children that
// its gateway holds for a jury on which the account has seats. It fetches
// each period's blocks and witnesses from the child's nodes, re-executes
// them statelessly and attests its verdict; when a block does not follow
// from its parent's state it also submits the fraud proof itself, so one
// honest juror is enough to stop a forged checkpoint.

// juryDuty is one checkpoint a juror must judge: the child's checkpoint at
// Height with hash Hash, committed on the juror's chain and held there.
type juryDuty struct {
	Child       types.SubnetID
	Height      uint64
	Hash        common.Hash
	CommittedAt uint64 // the chain's block that committed it
}

func (d juryDuty) String() string { return fmt.Sprintf("%s@%d", d.Child, d.Height) }

// juryBook is what a juror reads of, and writes to, its chain's gateway.
type juryBook interface {
	// Duties lists the checkpoints held for a jury in which me holds a seat
	// it has not attested with, oldest first, read from st (the gateway's
	// state after the chain's final head).
	Duties(st gateway.StateReader, me common.Address) ([]juryDuty, error)
	// AttestationBytes is what a juror's BLS key signs for verdict valid.
	AttestationBytes(d juryDuty, valid bool) []byte
	// AttestCall and FraudCall are the gateway calls to send.
	AttestCall(d juryDuty, valid bool, sig []byte) ([]byte, error)
	FraudCall(d juryDuty, proof *fraudMaterial) ([]byte, error)
}

// periodJudge re-executes the period a checkpoint vouches for.
type periodJudge interface {
	Judge(ctx context.Context, d juryDuty) (judgement, error)
}

// judgement is a juror's verdict on a period. An invalid one carries what
// proveFraud needs when the fault is a block that does not follow from its
// parent (a period the child's nodes do not serve proves nothing).
type judgement struct {
	Valid  bool
	Reason string
	Fraud  *fraudMaterial
}

// fraudMaterial is proveFraud's arguments after the subnet's name.
type fraudMaterial struct {
	Ref, Headers, Block, Witness []byte
}

// jurorRetry is how long a juror waits before judging a duty again after a
// try that reached no verdict (no peer served the period, a submission
// failed): the child may be withholding its data, and the jury window
// redraws seats that stay silent.
const jurorRetry = 5 * time.Second

// jurorResend is how long a sent verdict may take to show on chain before
// the juror judges the duty again (its transaction may have been dropped).
const jurorResend = 30 * time.Second

// juryCaller sends the juror's calls to its chain's gateway.
type juryCaller interface {
	gatewayCaller
	// CallGatewayRoom sends with room gas above the estimate's margin.
	CallGatewayRoom(ctx context.Context, data []byte, room uint64) (common.Hash, uint64, error)
}

// attestRoom is the gas an attestation carries beyond its estimate: made on
// the pending state, the estimate misses the release an attestation pays
// when others' votes land first and its own completes the majority (the
// routing of up to MaxJuryBatch checkpoints' messages). Unused gas is not
// charged.
const attestRoom = 4_000_000

// jurorMetrics count verdicts by outcome and tries that reached none.
type jurorMetrics struct {
	verdicts *prometheus.CounterVec // label: valid, invalid, fraud_proven
	failures prometheus.Counter
}

// juror judges one chain's jury duties for this node's account. One
// goroutine runs it; judgements run one at a time.
type juror struct {
	chain   chainView
	book    juryBook
	judge   periodJudge
	submit  juryCaller
	me      common.Address
	key     *crypto.BLSSecretKey
	log     *slog.Logger
	metrics jurorMetrics
	now     func() time.Time
	// lies, set when ASPEN_FAULT_JUROR_LIES names this node (its name in
	// config.toml or its account; end-to-end tests only), attests every
	// checkpoint valid without judging it: the lying juror the others
	// outvote and a fraud proof slashes.
	lies  bool
	retry map[juryDuty]time.Time // duties that reached no verdict, and when to try again
	sent  map[juryDuty]time.Time // attested, waiting for the chain to show it: since when
}

func newJuror(c chainView, book juryBook, judge periodJudge, submit juryCaller, me common.Address, key *crypto.BLSSecretKey, log *slog.Logger, m jurorMetrics) *juror {
	return &juror{chain: c, book: book, judge: judge, submit: submit, me: me, key: key, log: log, metrics: m, now: time.Now,
		retry: make(map[juryDuty]time.Time), sent: make(map[juryDuty]time.Time)}
}

// jurorLies reports whether ASPEN_FAULT_JUROR_LIES names the node called
// name with account me.
func jurorLies(name string, me common.Address) bool {
	liar := os.Getenv("ASPEN_FAULT_JUROR_LIES")
	return liar != "" && (liar == name || common.IsHexAddress(liar) && common.HexToAddress(liar) == me)
}

// run judges duties after each final head of the chain until ctx ends.
func (j *juror) run(ctx context.Context, heads headSubscriber) {
	ch := make(chan *types.Header, 1)
	cancel := heads.Subscribe(ch)
	defer cancel()
	for {
		select {
		case <-ctx.Done():
			return
		case <-ch:
			j.round(ctx)
		}
	}
}

// round judges every duty the chain's final state shows, oldest first.
func (j *juror) round(ctx context.Context) {
	gs, _, err := headGateway(j.chain)
	if err != nil {
		return
	}
	duties, err := j.book.Duties(gs, j.me)
	if err != nil {
		j.log.Warn("jury: reading duties", "err", err)
		return
	}
	open := make(map[juryDuty]bool, len(duties))
	for _, d := range duties {
		open[d] = true
	}
	for d := range j.sent { // shown on chain (or no longer held): forget
		if !open[d] {
			delete(j.sent, d)
		}
	}
	for d := range j.retry {
		if !open[d] {
			delete(j.retry, d)
		}
	}
	for _, d := range duties {
		key := d
		if at, ok := j.sent[key]; ok && j.now().Before(at.Add(jurorResend)) || j.now().Before(j.retry[key]) || ctx.Err() != nil {
			continue
		}
		if err := j.serve(ctx, d); err != nil {
			j.metrics.failures.Inc()
			j.retry[key] = j.now().Add(jurorRetry)
			j.log.Warn("jury: no verdict yet", "checkpoint", d, "err", err)
			continue
		}
		j.sent[key] = j.now()
	}
}

// serve judges d and sends the verdict (and the fraud proof, if any).
func (j *juror) serve(ctx context.Context, d juryDuty) error {
	verdict := judgement{Valid: true, Reason: "not judged (fault injection)"}
	if !j.lies {
		var err error
		if verdict, err = j.judge.Judge(ctx, d); err != nil {
			return err
		}
	}
	if verdict.Fraud != nil {
		call, err := j.book.FraudCall(d, verdict.Fraud)
		if err != nil {
			return err
		}
		// The proof discards the checkpoint: nothing is left to attest. One
		// another juror landed first reverts in estimation; then the
		// attestation below records this juror's verdict while it can.
		tx, _, err := j.submit.CallGateway(ctx, call)
		if err == nil {
			j.metrics.verdicts.WithLabelValues("fraud_proven").Inc()
			j.log.Warn("jury: proved fraud", "checkpoint", d, "reason", verdict.Reason, "tx", tx)
			return nil
		}
		j.log.Info("jury: fraud proof not sent", "checkpoint", d, "err", err)
	}
	sig := j.key.Sign(j.book.AttestationBytes(d, verdict.Valid))
	call, err := j.book.AttestCall(d, verdict.Valid, sig)
	if err != nil {
		return err
	}
	tx, _, err := j.submit.CallGatewayRoom(ctx, call, attestRoom)
	if err != nil {
		return fmt.Errorf("attesting %s: %w", d, err)
	}
	label := "valid"
	if !verdict.Valid {
		label = "invalid"
	}
	j.metrics.verdicts.WithLabelValues(label).Inc()
	j.log.Info("jury: attested", "checkpoint", d, "valid", verdict.Valid, "reason", verdict.Reason, "tx", tx)
	return nil
}
