package sim

import (
	"errors"
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
)

// Errors naming the atomic-plan invariants an EVM tree run violated
// (CROSSNET.md, "Atomic plans").
var (
	ErrAtomicity      = errors.New("sim: atomicity violated: a plan ended undecided, or with legs committed and aborted, or committed without a yes from every leg")
	ErrAtomicVote     = errors.New("sim: the mediator counted a yes for an honest leg that its subnet had not voted by the last checkpoint the mediator held when it decided")
	ErrAtomicEscrow   = errors.New("sim: atomic escrow violated: a leg paid out other than its value once on commit and nothing on abort, a submitter did not get back exactly the escrow of its aborted legs, or a leg subnet's gateway kept escrow")
	ErrAtomicDeadline = errors.New("sim: a plan whose leg subnet was stalled past the deadline committed")
)

// AtomicStats is what became of an EVM tree run's atomic plans.
type AtomicStats struct {
	Plans, Legs, Committed, Aborted int
	// LateOrMissing counts legs the mediator held no vote or a late one
	// for when it decided (aborts by deadline).
	LateOrMissing int
	// Forged counts, by kind, the forgeries a compromised leg subnet's
	// quorum signed into checkpoints, Landed those the root committed
	// (a checkpoint over the firewall is rejected whole).
	Forged, Landed map[string]int
}

// simPlan is one atomic plan of the workload, submitted on the root by an
// account of its own (so its balance tells whether its escrow came back).
type simPlan struct {
	key      int    // the submitter's account
	at       uint64 // tick of submission
	chains   []int  // chain of each leg
	legs     []gateway.AtomicLeg
	deadline uint64
	stalled  bool // its first leg's subnet is stalled past the deadline
	tx       common.Hash
	id       common.Hash // known once the root's state shows it
	decideAt uint64      // tick the last decide was submitted
}

// atomicKnobs break one part of an atomic run, for the tests that prove
// each atomic check can fail. The zero value is the honest run.
type atomicKnobs struct {
	dropRefund bool // the relayer's quorum leaves the first refund out of a checkpoint (the escrow never comes back)
}

// atomicRun is the atomic part of an EVM tree run.
type atomicRun struct {
	plans    []*simPlan
	firstKey int // account of plan 0's submitter; the decider's follows the last plan's
	stall    int // the chain stalled for plan 0 (0: none)
	stalling bool
	// committed is, per chain, the up messages each checkpoint the root
	// committed carries beyond (or short of) those the child sent, by
	// checkpoint height: the root counts what a checkpoint carries.
	committed []map[uint64]int64
	tampered  []map[common.Hash]forgery // chain -> hash of a checkpoint its quorum tampered with
	first     []map[uint64]bool         // chain -> heights whose first submission was tampered with
	dropped   bool
	nonce     uint64 // forged source nonces
	stats     AtomicStats
	knobs     atomicKnobs
}

// forgery is what a tampered checkpoint carries beyond the honest one.
type forgery struct {
	kind  string
	delta int64
}

const (
	stallAt   = 30 // tick the stalled subnet's validators crash
	planGas   = 6_000_000
	planFunds = 1000
)

func newAtomicRun(sc EVMScenario, firstKey, chains int, knobs atomicKnobs) *atomicRun {
	a := &atomicRun{firstKey: firstKey, knobs: knobs}
	a.stats.Forged, a.stats.Landed = map[string]int{}, map[string]int{}
	for c := 0; c < chains; c++ {
		a.committed = append(a.committed, map[uint64]int64{})
		a.tampered = append(a.tampered, map[common.Hash]forgery{})
		a.first = append(a.first, map[uint64]bool{})
	}
	if sc.Stall {
		a.stall = chains - 1
	}
	return a
}

func (a *atomicRun) decider() int { return a.firstKey + len(a.plans) }

// scheduleAtomic draws sc.Plans plans of 2–3 plain value legs on the root
// and its children, whose lowest common ancestor is the root: each leg
// pays a fresh address 0.1 to 0.5 ether, deadlines of 25 to 39 root
// blocks. With Stall, plan 0 has its first leg on the stalled child, is
// submitted as it stalls and has a deadline of 12 blocks.
func (t *evmTree) scheduleAtomic() {
	a := t.atom
	n := len(t.ids)
	for i := 0; i < t.sc.Plans; i++ {
		p := &simPlan{key: a.firstKey + i, at: 10 + 5*t.rng.Uint64N(24), deadline: 25 + t.rng.Uint64N(15)}
		for j := 2 + t.rng.IntN(2); j > 0; j-- {
			p.chains = append(p.chains, t.rng.IntN(n))
		}
		if i == 0 && a.stall > 0 {
			p.chains[0], p.at, p.stalled, p.deadline = a.stall, stallAt+5, true, 12
		}
		same := true
		for _, c := range p.chains {
			same = same && c == p.chains[0]
		}
		if same && p.chains[0] != 0 {
			p.chains[len(p.chains)-1] = (p.chains[0] + 1) % n // two subnets, or one leg on the root: the root is the LCA
		}
		total := new(big.Int)
		for j, c := range p.chains {
			var to common.Address
			to[0], to[1], to[2], to[3], to[19] = 0xa7, byte(t.seed), byte(i), byte(j), 1
			v := new(big.Int).Mul(big.NewInt(int64(1+t.rng.IntN(5))), big.NewInt(1e17))
			p.legs = append(p.legs, gateway.AtomicLeg{Subnet: string(t.ids[c]), To: to, Value: v, Data: []byte{}})
			total.Add(total, v)
		}
		data, err := t.gw.Pack("atomicSubmit", p.legs, p.deadline)
		if err != nil {
			panic(err) // packing a known method with well-typed arguments
		}
		tx := t.tx(t.rootGen.ChainID, p.key, gateway.Address, total, planGas, data)
		p.tx = tx.Hash()
		t.work[0].add(p.at, t.acct(p.key), tx)
		a.plans = append(a.plans, p)
		a.stats.Plans++
		a.stats.Legs += len(p.legs)
	}
}

// atomicTick is the harness's part every few ticks: it learns the plans'
// IDs from the root's state, decides each plan once it can be decided
// (again after 30 ticks while undecided), and stalls and revives the
// stalled subnet: two of its four validators crash as plan 0 is submitted
// and restart once the root decided it.
func (t *evmTree) atomicTick() {
	a := t.atom
	r := t.best(0)
	rs, err := r.app.real.exec.GatewayState(r.app.head().Header)
	if err != nil {
		t.failf(ErrValidity, "root state: %v", err)
		return
	}
	t.findPlans(rs)
	if a.stall > 0 && t.now == stallAt {
		a.stalling = true
		for i := 0; i < 2; i++ {
			t.chains[a.stall].apply(event{at: t.now, kind: evCrash, node: i})
		}
	}
	if a.stalling && a.plans[0].id != (common.Hash{}) && gateway.ReadAtomicPlan(rs, a.plans[0].id).Status != gateway.AtomicPreparing {
		a.stalling = false
		for i := 0; i < 2; i++ {
			t.chains[a.stall].apply(event{at: t.now, kind: evRestart, node: i})
		}
		t.stable = max(t.stable, t.now+1)
		for _, s := range t.chains {
			s.stable, s.res.Stable = t.stable, t.stable
		}
	}
	height := r.app.height()
	for _, p := range a.plans {
		if p.id == (common.Hash{}) || (p.decideAt > 0 && t.now < p.decideAt+30) {
			continue
		}
		if pl := gateway.ReadAtomicPlan(rs, p.id); pl.Status == gateway.AtomicPreparing && decidable(pl, height) {
			from := t.acct(a.decider())
			if nonce, err := r.app.real.exec.Nonce(nil, from); err == nil {
				t.nonces[from] = max(nonce, t.nonces[from])
			}
			data, err := t.gw.Pack("atomicDecide", p.id)
			if err != nil {
				panic(err)
			}
			t.work[0].add(t.now, from, t.tx(t.rootGen.ChainID, a.decider(), gateway.Address, new(big.Int), planGas, data))
			p.decideAt = t.now
		}
	}
}

// decidable reports whether atomicDecide in the block after height
// decides pl: every leg voted yes, one voted no, or the deadline passed.
func decidable(pl *gateway.AtomicPlan, height uint64) bool {
	if height >= pl.Deadline {
		return true
	}
	for _, v := range pl.Votes {
		switch v {
		case gateway.VoteNo:
			return true
		case gateway.VoteYes:
		default:
			return false
		}
	}
	return true
}

// findPlans names the plans the root recorded, by their submitters.
func (t *evmTree) findPlans(rs gateway.StateReader) {
	a := t.atom
	for n := 1; n <= len(a.plans); n++ {
		id := gateway.AtomicID(string(evmRoot), uint64(n))
		pl := gateway.ReadAtomicPlan(rs, id)
		if pl.Status == gateway.AtomicNone {
			return
		}
		for _, p := range a.plans {
			if t.acct(p.key) == pl.Submitter {
				p.id = id
			}
		}
	}
}

// atomicSettled names what of the plans is still under way, or returns "":
// a plan not submitted or not decided, a leg not finished on its subnet.
func (t *evmTree) atomicSettled(rs gateway.StateReader) string {
	for i, p := range t.atom.plans {
		if p.id == (common.Hash{}) {
			return fmt.Sprintf("plan %d is not on the root yet", i)
		}
		if st := gateway.ReadAtomicPlan(rs, p.id).Status; st == gateway.AtomicPreparing {
			return fmt.Sprintf("plan %d is undecided", i)
		}
		for j, c := range p.chains {
			cs, err := t.finalState(c)
			if err != nil {
				return err.Error()
			}
			if l := gateway.ReadAtomicLeg(cs, string(evmRoot), p.id, uint64(j)); l.State < gateway.LegCommitted {
				return fmt.Sprintf("leg %d of plan %d on %s is %s", j, i, t.ids[c], l.State)
			}
		}
	}
	return ""
}

// upOffset is how many more up messages of chain c the root counted, by
// the checkpoint at height lastH, than the child sent.
func (t *evmTree) upOffset(c int, lastH uint64) int64 {
	if t.atom == nil {
		return 0
	}
	var d int64
	for h, n := range t.atom.committed[c] {
		if h <= lastH {
			d += n
		}
	}
	return d
}

// planOutcome is what a settled run shows of one plan: its record on the
// root and, per leg, its state and payout on its subnet.
type planOutcome struct {
	status  gateway.AtomicStatus
	votes   []gateway.AtomicVote
	legs    []legOutcome
	stalled bool
	// The submitter's balance on the root, and what it must be: its
	// genesis funds less the submission's fee and value, plus the escrow
	// of every aborted leg.
	balance, want *big.Int
}

type legOutcome struct {
	subnet  types.SubnetID
	honest  bool // a leg on a subnet whose quorum is honest
	local   bool // a leg on the mediator itself
	state   gateway.LegState
	value   *big.Int
	paid    *big.Int // the target's balance on the leg's subnet
	yesSeen bool     // prepared with a yes by the last checkpoint of its subnet the root held at the decision
}

// check returns what o breaks, or nil.
func (o planOutcome) check() error {
	if o.status != gateway.AtomicCommitted && o.status != gateway.AtomicAborted {
		return fmt.Errorf("%w: the plan is %s on the mediator", ErrAtomicity, o.status)
	}
	commit := o.status == gateway.AtomicCommitted
	if commit && o.stalled {
		return fmt.Errorf("%w: its leg on %s never voted in time", ErrAtomicDeadline, o.legs[0].subnet)
	}
	for j, l := range o.legs {
		want, pay := gateway.LegAborted, new(big.Int)
		if commit {
			want, pay = gateway.LegCommitted, l.value
		}
		switch {
		case l.state != want:
			return fmt.Errorf("%w: the plan is %s, its leg %d on %s %s", ErrAtomicity, o.status, j, l.subnet, l.state)
		case commit && o.votes[j] != gateway.VoteYes:
			return fmt.Errorf("%w: committed with vote %s from leg %d on %s", ErrAtomicity, o.votes[j], j, l.subnet)
		case l.paid.Cmp(pay) != 0:
			return fmt.Errorf("%w: leg %d on %s (%s) paid its target %s, want %s", ErrAtomicEscrow, j, l.subnet, l.state, l.paid, pay)
		case l.honest && !l.local && o.votes[j] == gateway.VoteYes && !l.yesSeen:
			return fmt.Errorf("%w: leg %d on %s", ErrAtomicVote, j, l.subnet)
		}
	}
	if o.balance.Cmp(o.want) != 0 {
		return fmt.Errorf("%w: the submitter holds %s, want %s (the escrow of its aborted legs back)", ErrAtomicEscrow, o.balance, o.want)
	}
	return nil
}

// checkAtomic checks every plan of a settled run on the real states of
// the highest honest node of each chain, and that no child's gateway
// keeps escrow.
func (t *evmTree) checkAtomic() {
	a := t.atom
	for i, p := range a.plans {
		o, err := t.outcome(p)
		if err != nil {
			t.failf(ErrAtomicity, "plan %d: %v", i, err)
			return
		}
		if o.status == gateway.AtomicCommitted {
			a.stats.Committed++
		} else {
			a.stats.Aborted++
		}
		for _, v := range o.votes {
			if v == gateway.VoteNone || v == gateway.VoteLate {
				a.stats.LateOrMissing++
			}
		}
		if err := o.check(); err != nil {
			t.fail = &Failure{Seed: t.seed, Scenario: t.sc.Name, Tick: t.now, Err: fmt.Errorf("plan %d (%x): %w", i, p.id[:4], err)}
			return
		}
	}
	for c := 1; c < len(t.chains); c++ {
		b := t.best(c)
		if bal, err := b.app.real.exec.Balance(b.app.head().Header, gateway.Address); err != nil || bal.Sign() != 0 {
			t.failf(ErrAtomicEscrow, "the gateway of %s holds %v once every leg finished (%v)", t.ids[c], bal, err)
			return
		}
	}
}

// outcome reads what became of p.
func (t *evmTree) outcome(p *simPlan) (planOutcome, error) {
	root := t.best(0)
	rs, err := root.app.real.exec.GatewayState(root.app.head().Header)
	if err != nil {
		return planOutcome{}, err
	}
	pl := gateway.ReadAtomicPlan(rs, p.id)
	o := planOutcome{status: pl.Status, votes: pl.Votes, stalled: p.stalled}
	if pl.DecidedAt > root.app.height() || len(pl.Votes) != len(p.legs) {
		return o, fmt.Errorf("decided at %d above the root's head %d, or %d votes for %d legs", pl.DecidedAt, root.app.height(), len(pl.Votes), len(p.legs))
	}
	atDecision, err := root.app.real.exec.GatewayState(root.app.chain[pl.DecidedAt].Block.Header)
	if err != nil {
		return o, err
	}
	fee, spent := new(big.Int), new(big.Int)
	for j, c := range p.chains {
		b := t.best(c)
		cs, err := b.app.real.exec.GatewayState(b.app.head().Header)
		if err != nil {
			return o, err
		}
		paid, err := b.app.real.exec.Balance(b.app.head().Header, p.legs[j].To)
		if err != nil {
			return o, err
		}
		l := gateway.ReadAtomicLeg(cs, string(evmRoot), p.id, uint64(j))
		lo := legOutcome{subnet: t.ids[c], local: c == 0, honest: c != 1 || !t.sc.Compromised,
			state: l.State, value: p.legs[j].Value, paid: paid}
		if h, _, _ := gateway.LastCheckpoint(atDecision, evmRoot, t.ids[c]); c > 0 && h > 0 && h <= b.app.height() {
			then, err := b.app.real.exec.GatewayState(b.app.chain[h].Block.Header)
			if err != nil {
				return o, err
			}
			seen := gateway.ReadAtomicLeg(then, string(evmRoot), p.id, uint64(j))
			lo.yesSeen = seen.State >= gateway.LegPrepared && seen.Yes
		}
		o.legs = append(o.legs, lo)
		spent.Add(spent, p.legs[j].Value)
	}
	for _, f := range root.app.chain {
		for k, tx := range f.Block.Txs {
			if tx.Hash() != p.tx {
				continue
			}
			rcpts, err := root.app.real.exec.Receipts(f.Block.Hash())
			if err != nil || k >= len(rcpts) {
				return o, fmt.Errorf("receipts of root block %d: %v", f.Block.Height(), err)
			}
			price := new(big.Int).Add(f.Block.Header.BaseFee, tx.GasTipCap())
			if price.Cmp(tx.GasFeeCap()) > 0 {
				price.Set(tx.GasFeeCap())
			}
			fee.Mul(price, new(big.Int).SetUint64(rcpts[k].GasUsed))
		}
	}
	o.want = new(big.Int).Sub(eth(planFunds), fee)
	o.want.Sub(o.want, spent)
	for j, l := range o.legs {
		if l.state == gateway.LegAborted || l.state == gateway.LegCommitFailed {
			o.want.Add(o.want, p.legs[j].Value)
		}
	}
	if o.balance, err = root.app.real.exec.Balance(root.app.head().Header, t.acct(p.key)); err != nil {
		return o, err
	}
	return o, nil
}

// atomicAddrs are the plans' targets, for the conservation sums.
func (t *evmTree) atomicAddrs() []common.Address {
	if t.atom == nil {
		return nil
	}
	var out []common.Address
	for _, p := range t.atom.plans {
		for _, l := range p.legs {
			out = append(out, l.To)
		}
	}
	return out
}
