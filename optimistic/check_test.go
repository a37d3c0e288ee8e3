package optimistic

import (
	"fmt"
	"maps"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
)

// openClaims are the claims of receipts at n still undecided.
func (n *node) openClaims() []Claim {
	var all []Claim
	for _, r := range n.recv {
		all = union(all, r.claims)
	}
	var out []Claim
	for _, c := range all {
		if _, ok := n.s.Decided(c); !ok {
			out = append(out, c)
		}
	}
	return out
}

// check decides every open claim of every node in each branch (every
// assignment of verdicts when there are few, else maxBranches random ones),
// twice in opposite orders, and checks each outcome.
func (w *world) check(maxBranches int, c chooser) error {
	for _, n := range w.nodes {
		// A last block with every due deadline expired, so that the
		// branches below decide only claims no deadline decides.
		for guard := 0; ; guard++ {
			_, used := n.s.Process(n.height, 4)
			if used > 4 {
				return fmt.Errorf("%s: process used %d steps of a budget of 4", n.id, used)
			}
			if used == 0 {
				break
			}
			if guard > 1_000_000 {
				return fmt.Errorf("%s: system work never ends", n.id)
			}
		}
		if err := checkIndex(n.s, n.ids); err != nil {
			return fmt.Errorf("%s: %w", n.id, err)
		}
		open := n.openClaims()
		var branches []uint64
		if len(open) < 63 && 1<<len(open) <= maxBranches {
			for b := uint64(0); b < 1<<len(open); b++ {
				branches = append(branches, b)
			}
		} else {
			for range maxBranches {
				var b uint64
				for i := range min(len(open), 64) {
					b |= uint64(c.intn(2)) << i
				}
				branches = append(branches, b)
			}
		}
		for _, b := range branches {
			fwd, err := n.branch(open, b, false)
			if err != nil {
				return fmt.Errorf("%s, branch %b of %d claims: %w", n.id, b, len(open), err)
			}
			rev, err := n.branch(open, b, true)
			if err != nil {
				return fmt.Errorf("%s, branch %b reversed: %w", n.id, b, err)
			}
			if !maps.EqualFunc(fwd, rev, func(a, b Object) bool { return fmt.Sprint(a) == fmt.Sprint(b) }) {
				return fmt.Errorf("%s, branch %b: the order of verdicts changed the outcome", n.id, b)
			}
		}
	}
	return nil
}

// branch decides open claims by the bits of b (bit i: open[i] is true), in
// order or reversed, with system work of a small budget between verdicts,
// then drains the work queue and checks:
//   - every Process call stays within its budget, and the queue empties;
//   - no object is left frozen or with dependencies;
//   - no frozen object is restored twice;
//   - conservation per branch: per token, what survives is what entered
//     unconditionally plus what came in through receipts whose claims are
//     all true in this branch;
//   - every surviving object's value came only through true claims (the
//     test's own record of what each object derives from).
//
// It returns the surviving objects.
func (n *node) branch(open []Claim, b uint64, reverse bool) (map[common.Hash]Object, error) {
	st := n.st.clone()
	s := New(st, n.s.cfg)
	s.rules = n.s.rules
	restored := map[common.Hash]int{}
	work := func(budget int) error {
		evs, used := s.Process(n.height, budget)
		if used > budget {
			return fmt.Errorf("process used %d steps of a budget of %d", used, budget)
		}
		for _, e := range evs {
			n.seen[e.Kind]++
			if e.Kind == EvRestored {
				if restored[e.Object]++; restored[e.Object] > 1 {
					return fmt.Errorf("object %x restored twice", e.Object)
				}
			}
		}
		return nil
	}
	order := make([]int, len(open))
	for i := range order {
		order[i] = i
	}
	if reverse {
		slices.Reverse(order)
	}
	for k, i := range order {
		s.Resolve(open[i], b&(1<<(i%64)) != 0)
		if err := work(1 + k%3); err != nil {
			return nil, err
		}
	}
	for guard := 0; s.Backlog() > 0; guard++ {
		if guard > 1_000_000 {
			return nil, fmt.Errorf("work queue never empties (%d left)", s.Backlog())
		}
		if err := work(2); err != nil {
			return nil, err
		}
	}
	truth := func(cs []Claim) bool {
		for _, c := range cs {
			if v, ok := s.Decided(c); !ok || !v {
				return false
			}
		}
		return true
	}
	want := maps.Clone(n.fixed)
	for k, v := range want {
		want[k] = new(big.Int).Set(v)
	}
	for _, r := range n.recv {
		if truth(r.claims) {
			add(want, r.token, r.amount)
		}
	}
	got := map[common.Address]*big.Int{}
	out := map[common.Hash]Object{}
	for _, id := range n.ids {
		o, ok := s.Object(id)
		if !ok {
			continue
		}
		if o.Frozen || len(o.Deps) > 0 {
			return nil, fmt.Errorf("object %x still frozen (%v) or conditional (%d claims) with every claim decided", id, o.Frozen, len(o.Deps))
		}
		if !truth(n.taint[id]) {
			return nil, fmt.Errorf("object %x survives though its value came through a false claim", id)
		}
		if o.Kind != KindGeneric {
			add(got, tokenOf(o), o.Amount)
		}
		out[id] = *o
	}
	if err := checkIndex(s, n.ids); err != nil {
		return nil, err
	}
	for _, tok := range []common.Address{{}, testToken} {
		g, w := got[tok], want[tok]
		if g == nil {
			g = new(big.Int)
		}
		if w == nil {
			w = new(big.Int)
		}
		if g.Cmp(w) != 0 {
			return nil, fmt.Errorf("token %x: %s survives, %s entered in this branch", tok, g, w)
		}
	}
	return out, nil
}

// checkIndex: the owner index lists exactly the stored objects (of ids, the
// test's record of every object created), each under its owner, once.
func checkIndex(s *Store, ids []common.Hash) error {
	want := map[common.Address]map[common.Hash]bool{}
	for _, id := range ids {
		if o, ok := s.Object(id); ok {
			if want[o.Owner] == nil {
				want[o.Owner] = map[common.Hash]bool{}
			}
			want[o.Owner][id] = true
		}
	}
	for _, owner := range testOwners {
		got, n := s.ObjectsOf(owner, 0, MaxOwnerPage)
		if uint64(len(got)) != n || len(got) != len(want[owner]) {
			return fmt.Errorf("owner %x: index lists %d of %d objects, %d stored", owner, len(got), n, len(want[owner]))
		}
		for _, id := range got {
			if !want[owner][id] {
				return fmt.Errorf("owner %x: index lists %x, which is not a stored object of theirs (or twice)", owner, id)
			}
			delete(want[owner], id)
		}
	}
	return nil
}
