package optimistic

import (
	"errors"
	"fmt"
	"math/big"
	"slices"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// chooser is where a run's choices come from: a seeded generator for the
// property tests, the fuzzer's bytes for the fuzz target.
type chooser interface{ intn(n int) int }

const deadline = 6

var (
	testSubnets = []types.SubnetID{"/t/a", "/t/b", "/t/c"}
	ghost       = types.SubnetID("/t/ghost") // a source no store runs: its receipts are forged
	testOwners  = []common.Address{{0x01}, {0x02}, {0x03}}
	testToken   = common.Address{0xee}
)

// recvEntry is value that entered a store through a receipt: it exists in
// the branches where every claim is true.
type recvEntry struct {
	token  common.Address
	amount *big.Int
	claims []Claim
}

// node is one subnet's store with what the test knows about it, kept apart
// from the store (the reference the store is checked against).
type node struct {
	id     types.SubnetID
	st     *memState
	s      *Store
	height uint64
	fixed  map[common.Address]*big.Int // unconditional in - out: mints - withdrawals - moves
	recv   []recvEntry
	ids    []common.Hash           // every object created here
	taint  map[common.Hash][]Claim // claims of every receipt an object's value came through
	claims []Claim                 // every claim a receipt here carried
	got    map[common.Hash]bool    // receipts that created an object here
	seen   map[EventKind]int       // events of system work, branches included
}

type world struct {
	nodes    []*node
	inflight []Receipt
	rules    rules
	forged   uint64
}

func newWorld(r rules) *world {
	w := &world{rules: r}
	for _, id := range testSubnets {
		st := newMemState()
		s := New(st, Config{Subnet: id, Deadline: deadline})
		s.rules = r
		w.nodes = append(w.nodes, &node{id: id, st: st, s: s, height: 1, fixed: map[common.Address]*big.Int{},
			taint: map[common.Hash][]Claim{}, got: map[common.Hash]bool{}, seen: map[EventKind]int{}})
	}
	return w
}

func (w *world) node(id types.SubnetID) *node {
	for _, n := range w.nodes {
		if n.id == id {
			return n
		}
	}
	return nil
}

func add(m map[common.Address]*big.Int, tok common.Address, v *big.Int) {
	if m[tok] == nil {
		m[tok] = new(big.Int)
	}
	m[tok].Add(m[tok], v)
}

func tokenOf(o *Object) common.Address {
	if o.Kind == KindERC20 {
		return o.Token
	}
	return common.Address{}
}

// blockHash is one of the two hashes a claim about (src, h) may carry.
func blockHash(src types.SubnetID, h uint64, which int) common.Hash {
	return crypto.Keccak256Hash([]byte(src), u64Word(h).Bytes(), []byte{byte(which)})
}

// liveIDs are the objects of n the test may try to spend.
func (n *node) liveIDs() []common.Hash {
	var out []common.Hash
	for _, id := range n.ids {
		if o, ok := n.s.Object(id); ok && !o.Frozen {
			out = append(out, id)
		}
	}
	return out
}

func (n *node) noteCreated(evs []Event, taint []Claim) {
	for _, e := range evs {
		if e.Kind == EvCreated {
			n.ids = append(n.ids, e.Object)
			n.taint[e.Object] = taint
		}
	}
}

// step does one random operation. Operations the store refuses are fine
// (random choices often break a rule); what it does is checked at the end.
func (w *world) step(c chooser) error {
	n := w.nodes[c.intn(len(w.nodes))]
	owner := testOwners[c.intn(len(testOwners))]
	pick := func() (*Object, bool) {
		ids := n.liveIDs()
		if len(ids) == 0 {
			return nil, false
		}
		o, _ := n.s.Object(ids[c.intn(len(ids))])
		return o, true
	}
	switch c.intn(13) {
	case 0, 1: // mint
		kind, tok := KindNative, common.Address{}
		if c.intn(2) == 0 {
			kind, tok = KindERC20, testToken
		}
		amt := big.NewInt(int64(1 + c.intn(100)))
		_, evs, err := n.s.Mint(owner, kind, tok, amt, nil)
		if err != nil {
			return fmt.Errorf("mint: %w", err)
		}
		add(n.fixed, tok, amt)
		n.noteCreated(evs, nil)
	case 2: // transfer
		if o, ok := pick(); ok {
			_, _ = n.s.Transfer(o.Owner, o.ID, owner)
		}
	case 3: // split
		if o, ok := pick(); ok && o.Amount.Cmp(big.NewInt(1)) > 0 {
			a := big.NewInt(1 + int64(c.intn(int(o.Amount.Int64()-1))))
			_, evs, err := n.s.Split(o.Owner, o.ID, []*big.Int{a, new(big.Int).Sub(o.Amount, a)}, n.height)
			if err == nil {
				n.noteCreated(evs, n.taint[o.ID])
			}
		}
	case 4: // merge notes of one owner and token
		o, ok := pick()
		if !ok {
			return nil
		}
		ids := []common.Hash{o.ID}
		taint := n.taint[o.ID]
		for _, id := range n.liveIDs() {
			p, _ := n.s.Object(id)
			if id != o.ID && p.Owner == o.Owner && tokenOf(p) == tokenOf(o) && len(ids) < 3 && c.intn(2) == 0 {
				ids = append(ids, id)
				taint = union(taint, n.taint[id])
			}
		}
		_, evs, err := n.s.Merge(o.Owner, ids, n.height)
		if err == nil {
			n.noteCreated(evs, taint)
		}
	case 5: // withdraw
		if o, ok := pick(); ok {
			if _, err := n.s.Withdraw(o.Owner, o.ID); err == nil {
				add(n.fixed, tokenOf(o), new(big.Int).Neg(o.Amount))
			}
		}
	case 6, 7: // move
		o, ok := pick()
		if !ok {
			return nil
		}
		dst := w.nodes[c.intn(len(w.nodes))].id
		r, _, err := n.s.Move(o.Owner, o.ID, dst, owner, n.height)
		if err != nil {
			return nil
		}
		if len(r.Deps) > 0 {
			return errors.New("conditional value left its subnet")
		}
		add(n.fixed, tokenOf(o), new(big.Int).Neg(o.Amount))
		w.inflight = append(w.inflight, r)
	case 8, 9: // submit a receipt, maybe again, with one of two hashes
		if len(w.inflight) == 0 {
			return nil
		}
		r := w.inflight[c.intn(len(w.inflight))]
		return w.receive(r, blockHash(r.Src, r.Height, c.intn(2)))
	case 10: // a forged receipt from a source nobody runs
		w.forged++
		r := Receipt{Src: ghost, Dst: n.id, Nonce: 1 << 40 * w.forged, Height: uint64(1 + c.intn(3)), Kind: KindNative,
			Owner: owner, Amount: big.NewInt(int64(1 + c.intn(50)))}
		r.ID = ReceiptID(r.Src, r.Nonce)
		return w.receive(r, blockHash(ghost, r.Height, c.intn(2)))
	case 11: // a verdict: one claim, or the truth at a height
		if len(n.claims) == 0 {
			return nil
		}
		cl := n.claims[c.intn(len(n.claims))]
		if c.intn(2) == 0 {
			n.s.Resolve(cl, c.intn(2) == 0)
			return nil
		}
		_, err := n.s.Learn(cl.Subnet, cl.Height, blockHash(cl.Subnet, cl.Height, c.intn(2)))
		if err != nil && !errors.Is(err, ErrConflict) {
			return fmt.Errorf("learn: %w", err)
		}
	case 12: // a block: time passes, system work runs
		n.height += uint64(1 + c.intn(3))
		budget := 1 + c.intn(4)
		evs, used := n.s.Process(n.height, budget)
		for _, e := range evs {
			n.seen[e.Kind]++
		}
		if used > budget {
			return fmt.Errorf("process used %d steps of a budget of %d", used, budget)
		}
	}
	return nil
}

func (w *world) receive(r Receipt, hash common.Hash) error {
	n := w.node(r.Dst)
	claim := Claim{Subnet: r.Src, Height: r.Height, Hash: hash}
	evs, err := n.s.Receive(r, hash, n.height)
	if err != nil {
		return fmt.Errorf("receive %x: %w", r.ID, err)
	}
	created := 0
	for _, e := range evs {
		if e.Kind == EvCreated || e.Kind == EvReceiptVoid {
			created++
		}
	}
	if n.got[r.ID] {
		if created > 0 {
			return fmt.Errorf("receipt %x created a second object", r.ID)
		}
		return nil
	}
	if created != 1 {
		return fmt.Errorf("first submission of receipt %x: %d outcomes, want 1", r.ID, created)
	}
	n.got[r.ID] = true
	claims := union(r.Deps, []Claim{claim})
	if !slices.Contains(n.claims, claim) {
		n.claims = append(n.claims, claim)
	}
	tok := common.Address{}
	if r.Kind == KindERC20 {
		tok = r.Token
	}
	n.recv = append(n.recv, recvEntry{token: tok, amount: r.Amount, claims: claims})
	n.noteCreated(evs, claims)
	return nil
}
