package sim

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/execution/evm"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// schedule draws the workload from the seed: per child, funds from the two
// root users to each of the child's users in turn at early ticks, and one
// release per user to a fresh root address, worth less than any fund.
func (t *evmTree) schedule() {
	n := t.sc.Nodes
	for k := 0; k < t.sc.Transfers; k++ {
		// Between the root's users and the validators, spread over the
		// time partitions may fall in, so reorgs drop some.
		from, to := n+k%2, k%n
		at := 5 + t.rng.Uint64N(150)
		t.work[0].add(at, t.acct(from), t.tx(t.rootGen.ChainID, from, t.acct(to), eth(1+int64(t.rng.IntN(3))), 21_000, nil))
	}
	for c := 1; c < len(t.ids); c++ {
		for k := 0; k < t.sc.Funds; k++ {
			from, to := n+k%2, t.user(c, k%evmUsers) // every user gets a fund to release from
			at := 5 + t.rng.Uint64N(40)
			tx, err := t.gwTx(t.rootGen.ChainID, from, eth(1+int64(t.rng.IntN(4))), "fund", string(t.ids[c]), t.acct(to))
			if err != nil {
				panic(err) // packing a known method with well-typed arguments
			}
			t.work[0].add(at, t.acct(from), tx)
		}
		for j := 0; j < evmUsers; j++ {
			var dst common.Address
			dst[0], dst[1], dst[2], dst[19] = 0xe0, byte(t.seed), byte(c), byte(j)
			value := big.NewInt(int64(1 + t.rng.IntN(9)))
			value.Mul(value, big.NewInt(1e17)) // 0.1 to 0.9 ether: less than a fund
			t.releases[c][dst] = value
			tx, err := t.gwTx(t.cgs[c].ChainID, t.user(c, j), value, "release", dst)
			if err != nil {
				panic(err)
			}
			t.work[c].add(20+t.rng.Uint64N(40), t.acct(t.user(c, j)), tx)
		}
	}
	if t.atom != nil {
		t.scheduleAtomic()
	}
	if t.jury != nil {
		t.scheduleJury()
	}
}

// run advances virtual time until every chain made its progress and every
// message either way is applied, or the budget is spent.
func (t *evmTree) run() (*EVMResult, error) {
	for ; t.fail == nil; t.now++ {
		t.step()
		if t.fail == nil && t.jury != nil {
			t.juryTick()
		}
		if t.fail == nil && t.now%5 == 0 {
			for c := 1; c < len(t.chains) && t.fail == nil; c++ {
				t.relay(c)
			}
			if t.atom != nil && t.fail == nil {
				t.atomicTick()
			}
		}
		if t.fail != nil || (t.allDone() && t.settled() == "") {
			break
		}
		if t.now > t.stable+t.sc.MaxTicks {
			for _, s := range t.chains {
				if !s.done() {
					s.failf(ErrProgress, "%s", s.lagging())
					t.failed(s)
				}
			}
			if why := t.settled(); why != "" && t.fail == nil {
				t.failf(ErrNeverApplied, "%s", why)
			}
		}
	}
	res := &EVMResult{Seed: t.seed, Ticks: t.now}
	for _, s := range t.chains {
		s.res.Ticks = t.now
		s.finish()
		t.failed(s)
		res.Chains = append(res.Chains, s.res)
	}
	if t.fail == nil && t.atom != nil {
		t.checkAtomic()
		res.Atomic = t.atom.stats
	}
	if t.fail == nil {
		t.checkValue()
	}
	if t.fail == nil && t.jury != nil {
		t.checkJury()
		res.Jury = t.jury.stats
	}
	if t.fail == nil && t.sc.Pow != nil {
		root := t.chains[0]
		root.checkHeaviest()
		root.checkReinjected(t.best(0))
		t.failed(root)
	}
	res.Pow = t.chains[0].pstats
	rs, err := t.finalState(0)
	for c := range t.chains {
		var q, a, sent, paid, ck uint64
		if c > 0 && err == nil {
			t.syncOffsets(rs)
			q, paid = gateway.TopDownNonce(rs, evmRoot, t.ids[c]), gateway.UpApplied(rs, evmRoot, t.ids[c])
			ck, _, _ = gateway.LastCheckpoint(rs, evmRoot, t.ids[c])
			paid = uint64(int64(paid) - t.upOffset(c, ck))
			if cs, err := t.finalState(c); err == nil {
				sent = gateway.UpNonce(cs)
			}
			a = q
			for _, n := range t.chains[c].nodes {
				if n.honest {
					a = min(a, n.app.real.downApplied)
				}
			}
		}
		res.Queued, res.Applied = append(res.Queued, q), append(res.Applied, a)
		res.Sent, res.Paid, res.Checkpoints = append(res.Sent, sent), append(res.Paid, paid), append(res.Checkpoints, ck)
	}
	return res, t.fail
}

func (t *evmTree) allDone() bool {
	for _, s := range t.chains {
		if !s.done() {
			return false
		}
	}
	return true
}

func (t *evmTree) failf(err error, format string, args ...any) {
	if t.fail == nil {
		t.fail = &Failure{Seed: t.seed, Scenario: t.sc.Name, Tick: t.now, Err: fmt.Errorf("%w: "+format, append([]any{err}, args...)...)}
	}
}

// best is the honest node of chain c with the highest chain.
func (t *evmTree) best(c int) *node {
	var b *node
	for _, n := range t.chains[c].nodes {
		if n.honest && (b == nil || n.app.height() > b.app.height()) {
			b = n
		}
	}
	return b
}

// settled names what is still in flight, or returns "": a transaction not
// included yet, a top-down message the root queued that an honest child
// node has not applied, a release sent that the root has not paid.
func (t *evmTree) settled() string {
	rs, err := t.finalState(0)
	if err != nil {
		return err.Error()
	}
	t.syncOffsets(rs)
	for c, w := range t.work {
		b := t.best(c)
		if p := w.pendingAt(b.app.real.exec, b.app.head().Header, w.forgotten); len(p) > 0 || t.now < w.last() {
			return fmt.Sprintf("%d transactions of %s not included yet", len(p), t.ids[c])
		}
	}
	for c := 1; c < len(t.chains); c++ {
		cs, err := t.finalState(c)
		if err != nil {
			return err.Error()
		}
		queued := gateway.TopDownNonce(rs, evmRoot, t.ids[c])
		for i, n := range t.chains[c].nodes {
			if n.honest && n.app.real.downApplied < queued {
				return fmt.Sprintf("node %d of %s applied top-down messages up to %d of %d", t.members[c][i], t.ids[c], n.app.real.downApplied, queued)
			}
		}
		if t.jury != nil && t.jury.frozen(rs, t.ids[c]) {
			continue // its held checkpoints were discarded: what they carried is never paid
		}
		lastH, _, _ := gateway.LastCheckpoint(rs, evmRoot, t.ids[c])
		if sent, paid := gateway.UpNonce(cs), int64(gateway.UpApplied(rs, evmRoot, t.ids[c]))-t.upOffset(c, lastH); paid < int64(sent) {
			return fmt.Sprintf("the root paid up messages of %s up to %d of %d", t.ids[c], paid, sent)
		}
	}
	if t.atom != nil {
		return t.atomicSettled(rs)
	}
	if t.jury != nil {
		return t.jurySettled(rs)
	}
	return ""
}

// last is the tick of the last scheduled transaction.
func (w *evmWork) last() uint64 {
	var at uint64
	for _, s := range w.txs {
		at = max(at, s.at)
	}
	return at
}

// relay is the relayer harness for child c: it builds the child's next
// checkpoint with xnet.Build from the first honest node up on both chains,
// has every honest validator of the child sign it, and submits the
// certificate from two accounts; again after 30 ticks while the root has
// not committed it.
func (t *evmTree) relay(c int) {
	var r, cn *node
	for i, p := range t.members[c] {
		if n := t.chains[0].nodes[p]; n.honest && n.up() && t.chains[c].nodes[i].up() {
			r, cn = n, t.chains[c].nodes[i]
			break
		}
	}
	if r == nil {
		return
	}
	id := t.ids[c]
	rs, err := r.app.real.exec.GatewayState(nil)
	if err != nil {
		t.failf(ErrValidity, "root state of node %d: %v", r.index, err)
		return
	}
	if t.sc.Pow != nil && t.now > t.work[c].last() {
		// Under a pow root every checkpoint needs Confirmations blocks to
		// be final: stop once the root's head paid everything the child
		// sent, so the run can settle (a reorg that drops the payment
		// brings the relayer back).
		if cs, err := cn.app.real.exec.GatewayState(nil); err == nil && gateway.UpApplied(rs, evmRoot, id) >= gateway.UpNonce(cs) {
			return
		}
	}
	if t.jury != nil && t.jury.frozen(rs, id) {
		return // proven fraudulent: the root takes no checkpoint of it again
	}
	t.syncOffsets(rs)
	lastH, lastHash, _ := gateway.LastCheckpoint(rs, evmRoot, id)
	next := lastH + t.sc.Period
	if cn.app.height() < next || (t.submitAt[c][next] > 0 && t.now < t.submitAt[c][next]+30) {
		return
	}
	link := xnet.Link{Height: lastH, Hash: lastHash, UpNonce: uint64(int64(gateway.UpApplied(rs, evmRoot, id)) - t.upOffset(c, lastH))}
	cp, enc, _, err := xnet.Build(childView(cn.app, id), xnet.Params{Subnet: id, Period: t.sc.Period}, next, link)
	if err != nil {
		t.failf(ErrValidity, "node %d builds checkpoint %d of %s: %v", r.index, next, id, err)
		return
	}
	forged := false
	if c == 1 && t.forge != nil && !t.forged && len(cp.Messages) > 0 {
		sn, err := gateway.ReadSubnet(rs, evmRoot, id)
		if err != nil {
			t.failf(ErrValidity, "%v", err)
			return
		}
		m := cp.Messages[0]
		m.Value = new(big.Int).Add(m.Value, t.forge(sn.CirculatingSupply))
		cp.Messages = append([]types.CrossMsg{m}, cp.Messages[1:]...)
		if enc, err = types.EncodeCheckpoint(cp); err != nil {
			t.failf(ErrValidity, "%v", err)
			return
		}
		t.forged, forged = true, true
	}
	if t.atom != nil {
		cs, err := childView(cn.app, id).StateAt(next)
		if err != nil {
			t.failf(ErrValidity, "%v", err)
			return
		}
		if f, ok := t.tamper(c, cp, cs, rs); ok {
			if enc, err = types.EncodeCheckpoint(cp); err != nil {
				t.failf(ErrValidity, "%v", err)
				return
			}
			t.atom.tampered[c][cp.Hash()] = f
			forged = true
		}
	}
	set, err := gateway.ReadConfigSet(rs, evmRoot, id, cp.Config)
	if err != nil {
		t.failf(ErrValidity, "config %d of %s: %v", cp.Config, id, err)
		return
	}
	sigs := map[int][]byte{}
	for i, v := range set {
		for _, n := range t.chains[c].nodes {
			if (n.honest || forged) && string(n.key.PublicKey().Bytes()) == string(v.BLSPublicKey) {
				sigs[i] = n.key.Sign(cp.SigningBytes(evmNetwork))
			}
		}
	}
	agg, bm, err := crypto.AggregateWithBitmap(len(set), sigs)
	if err != nil {
		t.failf(ErrValidity, "aggregate checkpoint %d of %s: %v", next, id, err)
		return
	}
	t.submitAt[c][next] = t.now
	for _, k := range []int{t.sc.Nodes + 2, t.sc.Nodes + 3} {
		from := t.acct(k)
		nonce, err := r.app.real.exec.Nonce(nil, from)
		if err != nil {
			return
		}
		t.nonces[from] = max(nonce, t.nonces[from])
		data, err := t.gw.Pack("submitCheckpoint", enc, agg, bm)
		if err != nil {
			t.failf(ErrValidity, "pack checkpoint %d: %v", next, err)
			return
		}
		t.work[0].add(t.now, from, t.tx(t.rootGen.ChainID, k, gateway.Address, new(big.Int), 8_000_000, data))
	}
}

// checkValue checks the value invariants on the real state of the highest
// honest node of each chain, once everything settled:
//   - conservation: the root's known balances plus its burned base fees
//     make its genesis total, and each child's balances plus its burned
//     base fees make the root's circulating supply for it;
//   - firewall: a child's balances never exceed that circulating supply;
//   - exactly once up: each release's root address holds exactly its value.
func (t *evmTree) checkValue() {
	rx := t.best(0).app.real.exec
	rootFinal := t.best(0).app.head().Header
	rs, err := rx.GatewayState(rootFinal)
	if err != nil {
		t.failf(ErrConservation, "%v", err)
		return
	}
	sum := func(x *evm.Executor, at *types.Header, addrs []common.Address) *big.Int {
		total := new(big.Int)
		for _, a := range addrs {
			if b, err := x.Balance(at, a); err == nil {
				total.Add(total, b)
			}
		}
		return total
	}
	accts := append([]common.Address{gateway.Address}, t.atomicAddrs()...)
	for k := range t.keys {
		accts = append(accts, t.acct(k))
	}
	rootAddrs := append([]common.Address(nil), accts...)
	for _, rel := range t.releases {
		for dst := range rel {
			rootAddrs = append(rootAddrs, dst)
		}
	}
	burned := new(big.Int) // slashed stakes the root burned (jury runs)
	if t.jury != nil {
		rootAddrs = append(rootAddrs, t.jury.forgedDst)
		burned = t.jury.nodes[t.best(0).index].burned
	}
	genesis := new(big.Int)
	for _, a := range t.rootGen.Alloc {
		genesis.Add(genesis, (*big.Int)(a.Balance))
	}
	if got := new(big.Int).Add(sum(rx, rootFinal, rootAddrs), t.best(0).app.real.feesBurned); got.Add(got, burned).Cmp(genesis) != 0 {
		t.failf(ErrConservation, "root: balances plus burned fees and slashes are %s, genesis was %s", got, genesis)
		return
	}
	for c := 1; c < len(t.chains); c++ {
		best := t.best(c)
		sn, err := gateway.ReadSubnet(rs, evmRoot, t.ids[c])
		if err != nil {
			t.failf(ErrConservation, "%v", err)
			return
		}
		if t.jury != nil && t.jury.p.Forge && c == 1 {
			// Its quorum minted out of nothing: its own balances are forged
			// by design; the jury's checks (evmjury.go) cover it.
			if err := t.jury.checkFrozenReleases(rx, rootFinal, t.releases[c]); err != nil {
				t.failf(ErrUpTwice, "%s: %v", t.ids[c], err)
			}
			continue
		}
		child := sum(best.app.real.exec, best.app.head().Header, accts)
		if child.Cmp(sn.CirculatingSupply) > 0 {
			t.failf(ErrFirewall, "the balances of %s are %s, its circulating supply on the root %s", t.ids[c], child, sn.CirculatingSupply)
			return
		}
		if got := new(big.Int).Add(child, best.app.real.feesBurned); got.Cmp(sn.CirculatingSupply) != 0 {
			t.failf(ErrConservation, "%s: balances plus burned fees are %s, its circulating supply on the root %s", t.ids[c], got, sn.CirculatingSupply)
			return
		}
		for dst, want := range t.releases[c] {
			got, err := rx.Balance(rootFinal, dst)
			if err != nil {
				t.failf(ErrConservation, "%v", err)
				return
			}
			if got.Cmp(want) != 0 {
				t.failf(ErrUpTwice, "release from %s to %s paid %s on the root, sent %s", t.ids[c], dst, got, want)
				return
			}
		}
	}
}

// finalState is the gateway state at the final head of chain c's most
// advanced honest node (its head, on a bft chain).
func (t *evmTree) finalState(c int) (gateway.StateReader, error) {
	b := t.best(c)
	return b.app.real.exec.GatewayState(b.app.head().Header)
}

// finalOnRoot checks a child block's parent reference against the root's
// final chain: the block must be final on the root, as recorded from every
// honest root node, so no root reorg can undo what the child applied.
func (t *evmTree) finalOnRoot(ref types.ParentRef) error {
	want, ok := t.chains[0].finals[ref.Height]
	switch {
	case !ok:
		return fmt.Errorf("root block %d (%s) is final on no honest root node", ref.Height, ref.Hash)
	case want != ref.Hash:
		return fmt.Errorf("root block %d is %s, final on the root is %s", ref.Height, ref.Hash, want)
	}
	return nil
}
