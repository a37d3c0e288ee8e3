package sim

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/gateway"
)

// juryEvents books the gateway events of one transaction's receipt in
// root node i's block at height, and fails the run on a payout of a
// checkpoint vouching for a forged block, or a second payout of one.
func (t *evmTree) juryEvents(i int, height uint64, logs []*gethtypes.Log) {
	j := t.jury
	jn := j.nodes[i]
	committed, held := map[ckptKey]bool{}, map[ckptKey]bool{}
	pay := func(k ckptKey, how string) {
		jn.paid[k]++
		switch {
		case j.forged(k.c, k.height):
			t.failf(ErrForgedPayout, "node %d, root block %d: checkpoint %d of %s, at or above the forged block %d, %s", i, height, k.height, t.ids[k.c], j.forgedAt, how)
		case jn.paid[k] > 1:
			t.failf(ErrJuryWithheld, "node %d, root block %d: checkpoint %d of %s paid out %d times", i, height, k.height, t.ids[k.c], jn.paid[k])
		}
	}
	for _, l := range logs {
		if l.Address != gateway.Address || len(l.Topics) == 0 {
			continue
		}
		ev, err := t.gw.EventByID(l.Topics[0])
		if err != nil {
			continue
		}
		v, err := ev.Inputs.NonIndexed().Unpack(l.Data)
		if err != nil || len(v) < 2 {
			continue
		}
		c := t.chainOf(v[0])
		height, ok := v[1].(uint64)
		if c < 1 || !ok {
			continue
		}
		k := ckptKey{c, height}
		switch ev.Name {
		case "CheckpointCommitted":
			committed[k], jn.committed[k] = true, true
		case "CheckpointHeld":
			held[k], jn.held[k] = true, true
		case "CheckpointReleased":
			pay(k, "was released")
		case "Attested":
			jn.attested++
			if v[2].(bool) && len(l.Topics) > 1 {
				jn.validBy[k] = append(jn.validBy[k], common.BytesToAddress(l.Topics[1].Bytes()))
			}
		case "FraudProven":
			jn.proven[k] = true
			jn.burned.Add(jn.burned, new(big.Int).Sub(v[3].(*big.Int), v[4].(*big.Int)))
		}
	}
	for k := range committed {
		if !held[k] {
			pay(k, "was paid at its commit (no jury held it)")
		}
	}
}

// chainOf is the chain index of a child id as an event names it; -1 none.
func (t *evmTree) chainOf(id any) int {
	s, _ := id.(string)
	for c, x := range t.ids {
		if string(x) == s {
			return c
		}
	}
	return -1
}

// juryOutcome is what one honest root node's final state and blocks show
// of the jury, as checkJury reads it.
type juryOutcome struct {
	node int
	// forgedAt is the first forged child height (0: the run forged
	// nothing); proven whether a fraud proof of a checkpoint at or above it
	// landed, frozen whether the child is frozen, stake what its signers
	// still have at stake on the root.
	forgedAt      uint64
	proven        bool
	frozen        bool
	stake         *big.Int
	committed     []ckptKey       // checkpoints of honest children committed
	paid          map[ckptKey]int // payouts of each
	held          int             // checkpoints of honest children still held
	jurors        []jurorBond
	subnet        func(c int) string
	forgedSubnet  string
	attestedValid map[common.Address]bool // attested the proven checkpoint valid
}

// jurorBond is a juror's bond at the start and on the final state.
type jurorBond struct {
	account      common.Address
	bonded, left *big.Int
}

// check applies the jury's rules to o: a forged checkpoint's fraud is
// proven, its child frozen, its signers' stake gone and every juror that
// attested it valid slashed; every honest child's committed checkpoint
// paid exactly once and none left held; every other juror's bond intact.
func (o juryOutcome) check() error {
	if o.forgedAt != 0 {
		switch {
		case !o.proven:
			return fmt.Errorf("%w: node %d: no fraud proof of %s landed (forged block %d)", ErrFraudUnpunished, o.node, o.forgedSubnet, o.forgedAt)
		case !o.frozen:
			return fmt.Errorf("%w: node %d: %s is not frozen", ErrFraudUnpunished, o.node, o.forgedSubnet)
		case o.stake.Sign() != 0:
			return fmt.Errorf("%w: node %d: the signers of %s keep %s wei at stake", ErrFraudUnpunished, o.node, o.forgedSubnet, o.stake)
		}
	}
	for _, k := range o.committed {
		if o.paid[k] != 1 {
			return fmt.Errorf("%w: node %d: checkpoint %d of %s paid out %d times", ErrJuryWithheld, o.node, k.height, o.subnet(k.c), o.paid[k])
		}
	}
	if o.held > 0 {
		return fmt.Errorf("%w: node %d: %d checkpoints of honest children still held", ErrJuryWithheld, o.node, o.held)
	}
	for _, j := range o.jurors {
		switch {
		case o.attestedValid[j.account] && j.left.Sign() != 0:
			return fmt.Errorf("%w: node %d: juror %s attested the fraudulent checkpoint valid and keeps %s wei", ErrFraudUnpunished, o.node, j.account, j.left)
		case !o.attestedValid[j.account] && j.left.Cmp(j.bonded) != 0:
			return fmt.Errorf("%w: node %d: juror %s bonded %s wei, has %s", ErrJuryWithheld, o.node, j.account, j.bonded, j.left)
		}
	}
	return nil
}

// checkJury checks the jury's rules on every honest root node's final
// state, once the run settled, and fills the stats from the highest one.
func (t *evmTree) checkJury() {
	j := t.jury
	best := t.best(0).index
	for i, n := range t.chains[0].nodes {
		if !n.honest {
			continue
		}
		o, err := t.juryOutcome(i)
		if err != nil {
			t.failf(ErrValidity, "node %d: %v", i, err)
			return
		}
		if err := o.check(); err != nil {
			t.fail = &Failure{Seed: t.seed, Scenario: t.sc.Name, Tick: t.now, Err: err}
			return
		}
		if i == best {
			jn := j.nodes[i]
			j.stats.Held, j.stats.Attested, j.stats.Proven = len(jn.held), jn.attested, o.proven
			for _, c := range jn.paid {
				j.stats.Released += c
			}
			if j.liar >= 0 {
				j.stats.LiarSlashed = o.attestedValid[t.acct(j.liar)]
			}
		}
	}
}

// juryOutcome reads root node i's outcome from its final state and the
// events its blocks showed.
func (t *evmTree) juryOutcome(i int) (juryOutcome, error) {
	j, n := t.jury, t.chains[0].nodes[i]
	jn := j.nodes[i]
	rs, err := n.app.real.exec.GatewayState(n.app.head().Header)
	if err != nil {
		return juryOutcome{}, err
	}
	o := juryOutcome{node: i, forgedAt: j.forgedAt, stake: new(big.Int), paid: jn.paid, attestedValid: map[common.Address]bool{},
		subnet: func(c int) string { return string(t.ids[c]) }}
	for c := 1; c < len(t.ids); c++ {
		if j.forged(c, j.forgedAt) {
			o.forgedSubnet, o.frozen = string(t.ids[c]), j.frozen(rs, t.ids[c])
			sn, err := gateway.ReadSubnet(rs, evmRoot, t.ids[c])
			if err != nil {
				return o, err
			}
			for _, v := range sn.Validators {
				o.stake.Add(o.stake, v.Collateral)
			}
			for k := range jn.proven {
				if k.c == c && k.height >= j.forgedAt {
					o.proven = true
					for _, a := range jn.validBy[k] {
						o.attestedValid[a] = true
					}
				}
			}
			continue
		}
		held, err := gateway.HeldCheckpoints(rs, evmRoot, t.ids[c])
		if err != nil {
			return o, err
		}
		o.held += len(held)
		for k := range jn.committed {
			if k.c == c {
				o.committed = append(o.committed, k)
			}
		}
	}
	left := map[common.Address]*big.Int{}
	for _, jr := range gateway.ReadJurors(rs) {
		left[jr.Account] = jr.Bond
	}
	for p, bond := range j.bonded {
		if bond != nil {
			l := left[t.acct(p)]
			if l == nil {
				l = new(big.Int)
			}
			o.jurors = append(o.jurors, jurorBond{account: t.acct(p), bonded: bond, left: l})
		}
	}
	return o, nil
}
