package sim

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// Errors naming the value invariants a tree run violated: bottom-up
// exactly-once (three ways, each wrapping ErrBottomUp), the firewall and
// conservation.
var (
	ErrBottomUp     = errors.New("sim: bottom-up exactly-once violated")
	ErrUpTwice      = fmt.Errorf("%w: an honest parent node applied a child's checkpoint, or an up message, twice", ErrBottomUp)
	ErrUpSkipped    = fmt.Errorf("%w: an honest parent node skipped a child's checkpoint, or never applied one certified long enough", ErrBottomUp)
	ErrUpUnfinal    = fmt.Errorf("%w: an honest parent node applied a checkpoint the child chain did not finalize", ErrBottomUp)
	ErrFirewall     = errors.New("sim: firewall violated: a parent's circulating supply for a child went negative")
	ErrConservation = errors.New("sim: value not conserved: supplies and value in flight do not add up to the genesis total")
)

const (
	checkpointPeriod = 3         // P: a child's state at every P-th height is a checkpoint
	rootGenesis      = 1_000_000 // the root chain's supply at genesis
	childGenesis     = 1_000     // every other chain's, locked at its parent from genesis
	maxCheckpoints   = 4         // an honest parent block includes at most this many per child
)

// checkpoint is what a parent block includes to pay a child's up messages:
// the child's block at Height (a multiple of P) and the up messages queued
// since its previous checkpoint, nonces from..to (none when from > to),
// carrying sum in all.
type checkpoint struct {
	child    int // chain index
	height   uint64
	hash     common.Hash
	from, to uint64
	sum      int64
}

// certified is a checkpoint whose child block is final: in the real node a
// quorum of the child's validators signed it, here the first node of the
// child to commit the height records it. parentAt is the parent's final
// height then, from which the parent has Lag heights to apply it.
type certified struct {
	checkpoint
	parentAt uint64
}

// valState is the value side of a chain's toy state after one block.
type valState struct {
	supply  int64    // value held on this chain
	upCount uint64   // up messages this chain queued for its parent so far
	upCum   int64    // the value they burned
	kids    []kidVal // per child, in tree.children order
}

// kidVal is what a parent's state holds for one child.
type kidVal struct {
	circ      int64  // circulating supply: locked top-down value minus value paid up
	ck        uint64 // height of the last checkpoint applied
	upApplied uint64 // last up nonce applied
}

func (v valState) clone() valState {
	v.kids = append([]kidVal(nil), v.kids...)
	return v
}

// bottomUp is the tree's record of value: checkpoints certified, up message
// values and parent block bodies, each filled by the first node to execute
// a block, so every node reads the same.
type bottomUp struct {
	ckpts   [][]certified                // chain -> its checkpoints, [i] at height (i+1)P
	upAt    [][]upMark                   // chain -> its up queue at each height
	upCum   [][]int64                    // chain -> value of its first n up messages, by n
	downCum [][]int64                    // chain -> value of its first n top-down messages, by n
	bodies  map[common.Hash][]checkpoint // TxRoot -> the checkpoints a parent block includes
}

type upMark struct {
	count uint64
	cum   int64
}

// buNode is the bottom-up checker's view of one honest parent node, per
// child: the last checkpoint height and up nonce it applied.
type buNode struct {
	ck, up []uint64
}

// initValue gives every node of every chain its genesis value state.
func (t *tree) initValue() {
	n := len(t.chains)
	t.bu = bottomUp{
		ckpts: make([][]certified, n), upAt: make([][]upMark, n), upCum: make([][]int64, n),
		downCum: make([][]int64, n), bodies: map[common.Hash][]checkpoint{},
	}
	for c, s := range t.chains {
		v := valState{supply: childGenesis}
		if t.parent[c] < 0 {
			v.supply = rootGenesis
		}
		for range t.children[c] {
			v.kids = append(v.kids, kidVal{circ: childGenesis})
		}
		t.bu.upAt[c], t.bu.upCum[c], t.bu.downCum[c] = []upMark{{}}, []int64{0}, []int64{0}
		t.first[c][0].v = v
		for _, n := range s.nodes {
			d := n.app.td
			d.states[0].v = v.clone()
			d.bu = buNode{ck: make([]uint64, len(v.kids)), up: make([]uint64, len(v.kids))}
		}
	}
}

// genesisTotal is the value of the whole tree.
func (t *tree) genesisTotal() int64 {
	return rootGenesis + childGenesis*int64(len(t.chains)-1)
}

func (t *tree) draw(tag string, a, b uint64) uint64 {
	var in [24]byte
	binary.BigEndian.PutUint64(in[:8], t.seed)
	binary.BigEndian.PutUint64(in[8:16], a)
	binary.BigEndian.PutUint64(in[16:], b)
	return binary.BigEndian.Uint64(gethcrypto.Keccak256([]byte(tag), in[:])[:8])
}

// downSum is the value of chain c's top-down messages from..to, each worth
// 0 to 7 as the seed says; the parent locks it when it queues them.
func (t *tree) downSum(c int, from, to uint64) int64 {
	if from > to || from == 0 {
		return 0
	}
	cum := t.bu.downCum[c]
	for n := uint64(len(cum)); n <= to; n++ {
		cum = append(cum, cum[n-1]+int64(t.draw("aspen-sim down value", uint64(c), n)%8))
	}
	t.bu.downCum[c] = cum
	return cum[to] - cum[from-1]
}

// upDraw is the value the block at height of chain c sends up, before the
// cap at the chain's supply; ok is false when it sends nothing.
func (t *tree) upDraw(c int, height uint64) (v int64, ok bool) {
	x := t.draw("aspen-sim up value", uint64(c), height)
	return 1 + int64(x>>8%7), x%3 != 0
}

func (d *topdown) kid(child int) int { return indexOf(d.t.children[d.chain], child) }

// execValue is the value part of the executor: st, the state after the
// block at height on prev, gets its values. The block locks what its
// height queues for each child, mints what st applies top-down, burns what
// it sends up, and pays each included checkpoint.
func (d *topdown) execValue(prev tdState, st *tdState, height uint64, incs []checkpoint) {
	t := d.t
	v := prev.v.clone()
	for i, k := range t.children[d.chain] {
		locked := t.downSum(k, t.queued(k, height-1)+1, t.queued(k, height))
		v.kids[i].circ += locked
		v.supply -= locked
	}
	if d.parent != nil {
		v.supply += t.downSum(d.chain, st.from, st.to)
		if u, ok := t.upDraw(d.chain, height); ok {
			u = min(u, max(v.supply, 0))
			if t.knobs.noBurn {
				v.supply += u // broken on purpose: the value goes up and stays
			}
			v.supply -= u
			v.upCount++
			v.upCum += u
		}
	}
	for _, c := range incs {
		if i := d.kid(c.child); i >= 0 {
			v.kids[i].circ -= c.sum
			v.supply += c.sum
			v.kids[i].ck, v.kids[i].upApplied = c.height, c.to
		}
	}
	st.v = v
}

// appendVal appends the value state to a state root's preimage.
func appendVal(b []byte, v valState) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(v.supply))
	b = binary.BigEndian.AppendUint64(b, v.upCount)
	b = binary.BigEndian.AppendUint64(b, uint64(v.upCum))
	for _, k := range v.kids {
		b = binary.BigEndian.AppendUint64(b, uint64(k.circ))
		b = binary.BigEndian.AppendUint64(b, k.ck)
		b = binary.BigEndian.AppendUint64(b, k.upApplied)
	}
	return b
}

// putBody records the checkpoints a parent block includes and returns
// their commitment, the block's TxRoot (zero for none).
func (t *tree) putBody(incs []checkpoint) common.Hash {
	if len(incs) == 0 {
		return common.Hash{}
	}
	var b []byte
	for _, c := range incs {
		b = binary.BigEndian.AppendUint64(b, uint64(c.child))
		b = binary.BigEndian.AppendUint64(b, c.height)
		b = append(b, c.hash[:]...)
		b = binary.BigEndian.AppendUint64(b, c.from)
		b = binary.BigEndian.AppendUint64(b, c.to)
		b = binary.BigEndian.AppendUint64(b, uint64(c.sum))
	}
	h := gethcrypto.Keccak256Hash([]byte("aspen-sim checkpoints"), b)
	t.bu.bodies[h] = incs
	return h
}

// body is the checkpoints of a parent block with TxRoot root.
func (t *tree) body(root common.Hash) ([]checkpoint, error) {
	if root == (common.Hash{}) {
		return nil, nil
	}
	incs, ok := t.bu.bodies[root]
	if !ok {
		return nil, fmt.Errorf("%w: unknown block body %x", errBadBlock, root[:4])
	}
	return incs, nil
}

// chooseCheckpoints is an honest proposer's pick on prev: for each child,
// the certified checkpoints after the last one applied, in order.
func (d *topdown) chooseCheckpoints(prev tdState) []checkpoint {
	if d.t.knobs.noCheckpoints {
		return nil
	}
	var incs []checkpoint
	for i, k := range d.t.children[d.chain] {
		certs := d.t.bu.ckpts[k]
		for j := prev.v.kids[i].ck / checkpointPeriod; j < uint64(len(certs)) && j < prev.v.kids[i].ck/checkpointPeriod+maxCheckpoints; j++ {
			incs = append(incs, certs[j].checkpoint)
		}
	}
	return incs
}

// checkCheckpoints is what an honest parent validator checks of the
// checkpoints a block at height on prev includes, each child's in turn:
// the next height after the last one applied, its messages continuing the
// last applied nonce; certified (the child finalized that block, and the
// messages are the child's); and the firewall, no more paid than the
// child's circulating supply. The tree's knobs switch single checks off.
func (d *topdown) checkCheckpoints(prev tdState, height uint64, incs []checkpoint) error {
	t, k := d.t, d.t.knobs
	kids := prev.v.clone().kids
	for i, c := range t.children[d.chain] {
		kids[i].circ += t.downSum(c, t.queued(c, height-1)+1, t.queued(c, height))
	}
	for _, c := range incs {
		i := d.kid(c.child)
		if i < 0 {
			return fmt.Errorf("%w: block %d includes a checkpoint of chain %d, not a child", errBadBlock, height, c.child)
		}
		kv := &kids[i]
		if !k.anyOrder && (c.height != kv.ck+checkpointPeriod || c.from != kv.upApplied+1) {
			return fmt.Errorf("%w: block %d includes the checkpoint of %s at %d (messages from %d); the next is at %d (from %d)",
				errBadBlock, height, t.chains[c.child].subnet, c.height, c.from, kv.ck+checkpointPeriod, kv.upApplied+1)
		}
		if !k.trustCheckpoints {
			certs := t.bu.ckpts[c.child]
			j := c.height/checkpointPeriod - 1
			if c.height%checkpointPeriod != 0 || c.height == 0 || j >= uint64(len(certs)) || certs[j].checkpoint != c {
				return fmt.Errorf("%w: block %d includes a checkpoint of %s at %d that its child did not certify", errBadBlock, height, t.chains[c.child].subnet, c.height)
			}
		}
		if !k.noFirewall && c.sum > kv.circ {
			return fmt.Errorf("%w: block %d pays %d for %s, whose circulating supply is %d", errBadBlock, height, c.sum, t.chains[c.child].subnet, kv.circ)
		}
		kv.circ -= c.sum
		kv.ck, kv.upApplied = c.height, c.to
	}
	return nil
}

// recordUp notes, the first time any node executes height of a child
// chain, its up queue there and, at a checkpoint height, the checkpoint.
func (d *topdown) recordUp(height uint64, hash common.Hash, st tdState) {
	t, c := d.t, d.chain
	if d.parent == nil || height != uint64(len(t.bu.upAt[c])) {
		return
	}
	prev := t.bu.upAt[c][height-1]
	t.bu.upAt[c] = append(t.bu.upAt[c], upMark{count: st.v.upCount, cum: st.v.upCum})
	if st.v.upCount > prev.count {
		t.bu.upCum[c] = append(t.bu.upCum[c], st.v.upCum)
	}
	if height%checkpointPeriod == 0 {
		last := t.bu.upAt[c][height-checkpointPeriod]
		t.bu.ckpts[c] = append(t.bu.ckpts[c], certified{
			checkpoint: checkpoint{child: c, height: height, hash: hash, from: last.count + 1, to: st.v.upCount, sum: st.v.upCum - last.cum},
			parentAt:   t.finalHeight(t.parent[c]),
		})
	}
}

// observeUp checks what an honest node applied with the block at height:
// each child's checkpoints follow the last one it applied, without a gap
// or a repeat, and are the ones the child certified; no child's
// circulating supply is negative; nor is the chain's own supply (up
// messages are capped by it, top-down ones are small against genesis).
func (t *tree) observeUp(d *topdown, st tdState, height uint64, incs []checkpoint) {
	who := fmt.Sprintf("node %d of %s at height %d", d.node, t.chains[d.chain].subnet, height)
	for _, c := range incs {
		i := d.kid(c.child)
		if i < 0 {
			continue
		}
		sub := t.chains[c.child].subnet
		switch last := d.bu.ck[i]; {
		case c.height <= last || (c.from <= c.to && c.from <= d.bu.up[i]):
			t.failf(ErrUpTwice, "%s applies the checkpoint of %s at %d (messages %d..%d); it had applied up to %d (message %d)", who, sub, c.height, c.from, c.to, last, d.bu.up[i])
			return
		case c.height > last+checkpointPeriod || (c.from <= c.to && c.from > d.bu.up[i]+1):
			t.failf(ErrUpSkipped, "%s applies the checkpoint of %s at %d (messages %d..%d) after %d (message %d)", who, sub, c.height, c.from, c.to, last, d.bu.up[i])
			return
		}
		certs := t.bu.ckpts[c.child]
		if j := c.height/checkpointPeriod - 1; c.height%checkpointPeriod != 0 || j >= uint64(len(certs)) ||
			certs[j].hash != c.hash || certs[j].from != c.from || certs[j].to != c.to {
			t.failf(ErrUpUnfinal, "%s applies a checkpoint of %s at %d (%x, messages %d..%d) that %s did not finalize", who, sub, c.height, c.hash[:4], c.from, c.to, sub)
			return
		}
		d.bu.ck[i] = c.height
		if c.from <= c.to {
			d.bu.up[i] = c.to
		}
	}
	for i, kv := range st.v.kids {
		if kv.circ < 0 {
			t.failf(ErrFirewall, "%s: circulating supply of %s is %d", who, t.chains[t.children[d.chain][i]].subnet, kv.circ)
			return
		}
	}
	if st.v.supply < 0 {
		t.failf(ErrConservation, "%s: supply %d", who, st.v.supply)
	}
}

// upUnapplied names an honest parent node that has not applied a child's
// checkpoint certified Lag of its heights ago, or returns "".
func (t *tree) upUnapplied() string {
	for c, certs := range t.bu.ckpts {
		p := t.parent[c]
		if p < 0 {
			continue
		}
		for i, n := range t.chains[p].nodes {
			if !n.honest {
				continue
			}
			d, h := n.app.td, n.app.height()
			k := d.kid(c)
			var want uint64
			for _, cp := range certs {
				if cp.parentAt+t.sc.Lag <= h {
					want = cp.height
				}
			}
			if got := d.head().v.kids[k].ck; got < want {
				return fmt.Sprintf("node %d of %s at height %d applied checkpoints of %s up to height %d; %d was certified %d heights ago",
					t.members[p][i], t.chains[p].subnet, h, t.chains[c].subnet, got, want, t.sc.Lag)
			}
		}
	}
	return ""
}

// checkConservation checks, on the highest honest node of every chain,
// that supplies plus value in flight make the genesis total: top-down
// messages queued by the parent and not yet applied by the child, and up
// messages the child sent and the parent has not applied. In-flight values
// are the ones the messages carry, whatever a checkpoint claimed.
func (t *tree) checkConservation() {
	for c, s := range t.chains {
		for i, n := range s.nodes {
			// A message counted as applied that an honest node never applied
			// is a top-down skip, reported as such rather than as lost value.
			if d := n.app.td; n.honest && d.parent != nil && d.head().applied != d.last {
				t.failf(ErrNeverApplied, "node %d of %s counts top-down messages up to %d as applied; it applied up to %d", t.members[c][i], s.subnet, d.head().applied, d.last)
				return
			}
		}
	}
	heads, heights := make([]tdState, len(t.chains)), make([]uint64, len(t.chains))
	for c, s := range t.chains {
		var best *node
		for _, n := range s.nodes {
			if n.honest && (best == nil || n.app.height() > best.app.height()) {
				best = n
			}
		}
		heads[c], heights[c] = best.app.td.head(), best.app.height()
	}
	var total int64
	for c, st := range heads {
		total += st.v.supply
		p := t.parent[c]
		if p < 0 {
			continue
		}
		k := indexOf(t.children[p], c)
		total += t.downSum(c, 1, t.queued(c, heights[p])) - t.downSum(c, 1, st.applied)
		up, applied := st.v.upCount, heads[p].v.kids[k].upApplied
		cum := t.bu.upCum[c]
		if up >= uint64(len(cum)) || applied >= uint64(len(cum)) {
			t.failf(ErrConservation, "%s sent %d up messages, its parent applied %d; %d are known", t.chains[c].subnet, up, applied, len(cum)-1)
			return
		}
		total += cum[up] - cum[applied]
	}
	if want := t.genesisTotal(); total != want {
		t.failf(ErrConservation, "supplies and value in flight add up to %d, genesis was %d", total, want)
	}
}
