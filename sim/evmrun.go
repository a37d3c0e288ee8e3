package sim

import (
	"fmt"
	"math/big"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// schedule draws the workload from the seed: funds from the two root
// users to the child users at early ticks, and one release per child user
// to a fresh root address, worth less than the genesis fund it got.
func (t *evmTree) schedule() {
	n := t.sc.Nodes
	for k := 0; k < t.sc.Funds; k++ {
		from, to := n+k%2, n+4+t.rng.IntN(evmUsers)
		at := 5 + t.rng.Uint64N(40)
		tx, err := t.gwTx(t.rootGen.ChainID, from, eth(1+int64(t.rng.IntN(4))), "fund", string(evmChild), t.acct(to))
		if err != nil {
			panic(err) // packing a known method with well-typed arguments
		}
		t.work[0].add(at, t.acct(from), tx)
	}
	for j := 0; j < evmUsers; j++ {
		var dst common.Address
		dst[0], dst[1], dst[19] = 0xe0, byte(t.seed), byte(j)
		value := big.NewInt(int64(1 + t.rng.IntN(9)))
		value.Mul(value, big.NewInt(1e17)) // 0.1 to 0.9 ether: less than a fund
		t.releases[dst] = value
		tx, err := t.gwTx(t.cg.ChainID, n+4+j, value, "release", dst)
		if err != nil {
			panic(err)
		}
		t.work[1].add(20+t.rng.Uint64N(40), t.acct(n+4+j), tx)
	}
}

// run advances virtual time until both chains made their progress and
// every message either way is applied, or the budget is spent.
func (t *evmTree) run() (*EVMResult, error) {
	next := 0
	sims := []*simulation{t.root, t.child}
	for ; t.fail == nil; t.now++ {
		for _, s := range sims {
			s.now = t.now
		}
		for next < len(t.events) && t.events[next].at == t.now {
			for _, s := range sims {
				le := t.events[next]
				if le.kind == evPartition {
					le.side = append([]int(nil), le.side...)
				}
				s.apply(le)
			}
			next++
		}
		for _, s := range sims {
			s.tick()
			t.failed(s)
		}
		if t.fail == nil && t.now%5 == 0 {
			t.relay()
		}
		if t.fail != nil || (t.root.done() && t.child.done() && t.settled() == "") {
			break
		}
		if t.now > t.stable+t.sc.MaxTicks {
			for _, s := range sims {
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
	for _, s := range sims {
		s.res.Ticks = t.now
		s.finish()
		t.failed(s)
		res.Chains = append(res.Chains, s.res)
	}
	if t.fail == nil {
		t.checkValue()
	}
	if r, c := t.best(t.root), t.best(t.child); r != nil && c != nil {
		if rs, err := r.app.real.exec.GatewayState(nil); err == nil {
			res.Queued, res.Paid = gateway.TopDownNonce(rs, evmRoot, evmChild), gateway.UpApplied(rs, evmRoot, evmChild)
			res.Checkpoints, _, _ = gateway.LastCheckpoint(rs, evmRoot, evmChild)
		}
		if cs, err := c.app.real.exec.GatewayState(nil); err == nil {
			res.Sent = gateway.UpNonce(cs)
		}
		res.Applied = res.Queued
		for _, n := range t.child.nodes {
			if n.honest {
				res.Applied = min(res.Applied, n.app.real.downApplied)
			}
		}
	}
	return res, t.fail
}

func (t *evmTree) failed(s *simulation) {
	if t.fail == nil && s.fail != nil {
		t.fail = s.fail
	}
}

func (t *evmTree) failf(err error, format string, args ...any) {
	if t.fail == nil {
		t.fail = &Failure{Seed: t.seed, Scenario: t.sc.Name, Tick: t.now, Err: fmt.Errorf("%w: "+format, append([]any{err}, args...)...)}
	}
}

// best is the honest node of s with the highest chain.
func (t *evmTree) best(s *simulation) *node {
	var b *node
	for _, n := range s.nodes {
		if n.honest && (b == nil || n.app.height() > b.app.height()) {
			b = n
		}
	}
	return b
}

// settled names what is still in flight, or returns "": a top-down message
// the root queued that an honest child node has not applied, a release
// sent that the root has not paid, or a fund or release not yet included.
func (t *evmTree) settled() string {
	r, c := t.best(t.root), t.best(t.child)
	rs, err := r.app.real.exec.GatewayState(nil)
	if err != nil {
		return err.Error()
	}
	cs, err := c.app.real.exec.GatewayState(nil)
	if err != nil {
		return err.Error()
	}
	for k, w := range t.work {
		if p := w.pending(t.best([]*simulation{t.root, t.child}[k]).app.real.exec); len(p) > 0 || uint64(len(w.txs)) == 0 || t.now < w.last() {
			return fmt.Sprintf("%d transactions of chain %d not included yet", len(p), k)
		}
	}
	queued := gateway.TopDownNonce(rs, evmRoot, evmChild)
	for i, n := range t.child.nodes {
		if n.honest && n.app.real.downApplied < queued {
			return fmt.Sprintf("child node %d applied top-down messages up to %d of %d", i, n.app.real.downApplied, queued)
		}
	}
	if sent, paid := gateway.UpNonce(cs), gateway.UpApplied(rs, evmRoot, evmChild); paid < sent {
		return fmt.Sprintf("the root paid up messages up to %d of %d", paid, sent)
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

// relay is the relayer harness: it builds the child's next checkpoint with
// xnet.Build from the first honest node up, has every honest child
// validator sign it, and submits the certificate from two accounts; again
// after 30 ticks while the root has not committed it.
func (t *evmTree) relay() {
	var r *node
	for i, n := range t.root.nodes {
		if n.honest && n.up() && t.child.nodes[i].up() {
			r = n
			break
		}
	}
	if r == nil {
		return
	}
	c := t.child.nodes[r.index]
	rs, err := r.app.real.exec.GatewayState(nil)
	if err != nil {
		t.failf(ErrValidity, "root state of node %d: %v", r.index, err)
		return
	}
	lastH, lastHash, _ := gateway.LastCheckpoint(rs, evmRoot, evmChild)
	next := lastH + t.sc.Period
	if c.app.height() < next || (t.submitAt[next] > 0 && t.now < t.submitAt[next]+30) {
		return
	}
	link := xnet.Link{Height: lastH, Hash: lastHash, UpNonce: gateway.UpApplied(rs, evmRoot, evmChild)}
	cp, enc, _, err := xnet.Build(childView{a: c.app, id: evmChild}, xnet.Params{Subnet: evmChild, Period: t.sc.Period}, next, link)
	if err != nil {
		t.failf(ErrValidity, "node %d builds checkpoint %d: %v", r.index, next, err)
		return
	}
	forged := false
	if t.forge != nil && !t.forged && len(cp.Messages) > 0 {
		sn, err := gateway.ReadSubnet(rs, evmRoot, evmChild)
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
	set, err := gateway.ReadConfigSet(rs, evmRoot, evmChild, cp.Config)
	if err != nil {
		t.failf(ErrValidity, "config %d of the child: %v", cp.Config, err)
		return
	}
	sigs := map[int][]byte{}
	for i, v := range set {
		for _, n := range t.child.nodes {
			if (n.honest || forged) && string(n.key.PublicKey().Bytes()) == string(v.BLSPublicKey) {
				sigs[i] = n.key.Sign(cp.SigningBytes(evmNetwork))
			}
		}
	}
	agg, bm, err := crypto.AggregateWithBitmap(len(set), sigs)
	if err != nil {
		t.failf(ErrValidity, "aggregate checkpoint %d: %v", next, err)
		return
	}
	t.submitAt[next] = t.now
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
		tx := t.tx(t.rootGen.ChainID, k, gateway.Address, new(big.Int), 8_000_000, data)
		t.work[0].add(t.now, from, tx)
	}
}

// checkValue checks the value invariants on the real state of the highest
// honest nodes, once everything settled:
//   - conservation: the root's known balances plus its burned base fees
//     make its genesis total, and the child's balances plus its burned base
//     fees make the root's circulating supply for it;
//   - firewall: the child's balances never exceed that circulating supply;
//   - exactly once up: each release's root address holds exactly its value.
func (t *evmTree) checkValue() {
	r, c := t.best(t.root), t.best(t.child)
	rx, cx := r.app.real.exec, c.app.real.exec
	rs, err := rx.GatewayState(nil)
	if err != nil {
		t.failf(ErrConservation, "%v", err)
		return
	}
	sum := func(x interface {
		Balance(*types.Header, common.Address) (*big.Int, error)
	}, addrs []common.Address) *big.Int {
		total := new(big.Int)
		for _, a := range addrs {
			if b, err := x.Balance(nil, a); err == nil {
				total.Add(total, b)
			}
		}
		return total
	}
	var accts []common.Address
	for k := range t.keys {
		accts = append(accts, t.acct(k))
	}
	rootAddrs := append(append([]common.Address(nil), accts...), gateway.Address)
	for dst := range t.releases {
		rootAddrs = append(rootAddrs, dst)
	}
	var genesis = new(big.Int)
	for _, a := range t.rootGen.Alloc {
		genesis.Add(genesis, (*big.Int)(a.Balance))
	}
	if got := new(big.Int).Add(sum(rx, rootAddrs), r.app.real.feesBurned); got.Cmp(genesis) != 0 {
		t.failf(ErrConservation, "root: balances plus burned fees are %s, genesis was %s", got, genesis)
		return
	}
	sn, err := gateway.ReadSubnet(rs, evmRoot, evmChild)
	if err != nil {
		t.failf(ErrConservation, "%v", err)
		return
	}
	child := sum(cx, append(accts, gateway.Address))
	if child.Cmp(sn.CirculatingSupply) > 0 {
		t.failf(ErrFirewall, "the child's balances are %s, its circulating supply on the root %s", child, sn.CirculatingSupply)
		return
	}
	if got := new(big.Int).Add(child, c.app.real.feesBurned); got.Cmp(sn.CirculatingSupply) != 0 {
		t.failf(ErrConservation, "child: balances plus burned fees are %s, its circulating supply on the root %s", got, sn.CirculatingSupply)
		return
	}
	for dst, want := range t.releases {
		got, err := rx.Balance(nil, dst)
		if err != nil {
			t.failf(ErrConservation, "%v", err)
			return
		}
		if got.Cmp(want) != 0 {
			t.failf(ErrUpTwice, "release to %s paid %s on the root, sent %s", dst, got, want)
			return
		}
	}
}
