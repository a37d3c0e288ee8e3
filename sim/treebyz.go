package sim

import (
	"encoding/binary"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/types"
)

// lie is one way a byzantine proposer misstates the top-down part of a
// child block. Each is consistent in itself (the state root is what the
// lie implies), so exactly one honest rule refuses it: the reference lies
// fail "final in my view" or "does not move back", the claims fail
// re-execution of the state root.
type lie int

const (
	lieNone      lie = iota
	lieUnfinal       // references a parent block above its final parent head: its own pending proposal there, or a made-up one
	lieMissing       // references a parent block nobody has, at a height the reference may move to
	lieBackwards     // moves the reference back to a final parent block (sideways at the parent's genesis)
	lieMore          // claims messages beyond those queued up to its reference
	lieSkip          // claims the queued messages but the first
	lieTwice         // claims the last applied message again
	numLies          // the lies above are about child blocks, those below about parent blocks

	lieCkptUnfinal // includes a child's next checkpoint at a block the child did not finalize
	lieCkptSkip    // includes the checkpoint after the next one
	lieCkptRepeat  // includes the last applied checkpoint again
	lieCkptInflate // pays a little more than a certified checkpoint carries
	lieCkptOverpay // pays more than the child's circulating supply
	numAllLies
)

var lieNames = [numAllLies]string{"none", "unfinal", "missing", "backwards", "more", "skip", "twice", "",
	"ckpt-unfinal", "ckpt-skip", "ckpt-repeat", "ckpt-inflate", "ckpt-overpay"}

func (k lie) String() string { return lieNames[k] }

// LieCount is what became of one kind of byzantine lie in a tree run.
type LieCount struct {
	Built   int // child blocks byzantine proposers built with it
	Refused int // verdicts of honest validators refusing such a block
	Final   int // such blocks final at an honest node
}

// lie turns the honest reference and state of a block a byzantine node
// builds into a lie drawn from the seed (among knobs.lies when set). It
// builds honestly when the lie drawn is impossible here: applying a message
// again when none was applied yet.
func (d *topdown) lie(prev tdState, ref types.ParentRef, st tdState) (types.ParentRef, tdState, lie) {
	rng, p := d.t.rng, d.parent
	k := lie(rng.IntN(int(numLies)))
	if kinds := d.t.knobs.lies; kinds != nil {
		if k = kinds[rng.IntN(len(kinds))]; k >= numLies {
			return ref, st, lieNone
		}
	}
	claim := st
	switch k {
	case lieUnfinal:
		r := types.ParentRef{Height: max(p.height(), prev.ref.Height) + 1}
		if b := p.lastBuilt; b != nil && b.Height() == r.Height {
			r.Hash = b.Hash()
		} else {
			r.Hash = d.madeUp(r.Height)
		}
		return r, d.next(prev, r), k
	case lieMissing:
		lo := prev.ref.Height + 1
		hi := max(p.height()+2, lo)
		h := lo + rng.Uint64N(hi-lo+1)
		r := types.ParentRef{Height: h, Hash: d.madeUp(h)}
		return r, d.next(prev, r), k
	case lieBackwards:
		var r types.ParentRef
		if prev.ref.Height == 0 {
			r = types.ParentRef{Height: 0, Hash: p.chain[0].Block.Hash()}
		} else {
			h := rng.Uint64N(min(prev.ref.Height, p.height()+1))
			r = types.ParentRef{Height: h, Hash: p.chain[h].Block.Hash()}
		}
		return r, d.next(prev, r), k
	case lieMore:
		claim.from = prev.applied + 1
		claim.to = max(st.to, prev.applied) + 1 + rng.Uint64N(3)
		claim.applied = claim.to
	case lieSkip:
		// With at most one new message, none is applied, yet one is counted.
		claim.from = prev.applied + 2
		claim.to = max(st.to, prev.applied+1)
		claim.applied = claim.to
	case lieTwice:
		if prev.applied == 0 {
			return ref, st, lieNone
		}
		claim.from = prev.applied
		claim.to = max(st.to, prev.applied)
		claim.applied = claim.to
	default:
		return ref, st, lieNone
	}
	return ref, claim, k
}

// madeUp is the hash of a parent block that does not exist.
func (d *topdown) madeUp(height uint64) common.Hash {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], height)
	binary.BigEndian.PutUint64(b[8:], d.t.rng.Uint64())
	return gethcrypto.Keccak256Hash([]byte("aspen-sim made-up parent block"), b[:])
}

// built records a child block's state root and the lie it tells, if any.
func (t *tree) built(root common.Hash, k lie) {
	if k == lieNone {
		return
	}
	t.lies[root] = k
	t.lieCount[k].Built++
}

// refused counts an honest validator refusing a lying block.
func (t *tree) refused(root common.Hash) {
	if k, ok := t.lies[root]; ok {
		t.lieCount[k].Refused++
	}
}

// finalLie counts a lying block final at an honest node, once per block.
func (t *tree) finalLie(root common.Hash) {
	if k, ok := t.lies[root]; ok && !t.finalLies[root] {
		t.finalLies[root] = true
		t.lieCount[k].Final++
	}
}

// lieCheckpoints turns the checkpoints an honest proposer of a parent block
// at height would include into a lie drawn from the seed (among knobs.lies
// when set), about one child: each is refused by the order rule, the
// certificate or the firewall. It includes incs when the lie drawn is
// impossible here: repeating before any checkpoint was applied, inflating
// when none is due.
func (d *topdown) lieCheckpoints(prev tdState, height uint64, incs []checkpoint) ([]checkpoint, lie) {
	t, rng := d.t, d.t.rng
	k := lieCkptUnfinal + lie(rng.IntN(int(numAllLies-lieCkptUnfinal)+1)) - 1
	if len(incs) > 0 && rng.IntN(2) == 0 {
		k = lieCkptInflate + lie(rng.IntN(2)) // checkpoints are rarely due: lie about one when one is
	}
	if kinds := t.knobs.lies; kinds != nil {
		if k = kinds[rng.IntN(len(kinds))]; k < lieCkptUnfinal {
			return incs, lieNone
		}
	}
	if k < lieCkptUnfinal {
		return incs, lieNone
	}
	kids := t.children[d.chain]
	i := rng.IntN(len(kids))
	if (k == lieCkptInflate || k == lieCkptOverpay) && len(incs) > 0 {
		i = d.kid(incs[rng.IntN(len(incs))].child) // a child with a checkpoint due
	}
	child, kv := kids[i], prev.v.kids[i]
	certs := t.bu.ckpts[child]
	cert := func(h uint64) (checkpoint, bool) {
		if j := h/checkpointPeriod - 1; h > 0 && j < uint64(len(certs)) {
			return certs[j].checkpoint, true
		}
		return checkpoint{}, false
	}
	var others, mine []checkpoint
	for _, c := range incs {
		if c.child == child {
			mine = append(mine, c)
		} else {
			others = append(others, c)
		}
	}
	next := kv.ck + checkpointPeriod
	var lied []checkpoint
	switch k {
	case lieCkptUnfinal:
		c, ok := cert(next)
		if !ok {
			c = checkpoint{child: child, height: next, from: kv.upApplied + 1, to: kv.upApplied}
		}
		c.hash = d.madeUp(next)
		lied = []checkpoint{c}
	case lieCkptSkip:
		c, ok := cert(next + checkpointPeriod)
		if !ok {
			c = checkpoint{child: child, height: next + checkpointPeriod, hash: d.madeUp(next + checkpointPeriod), from: kv.upApplied + 2, to: kv.upApplied + 2, sum: 1}
		}
		lied = []checkpoint{c}
	case lieCkptRepeat:
		c, ok := cert(kv.ck)
		if !ok {
			return incs, lieNone
		}
		lied = append([]checkpoint{c}, mine...)
	case lieCkptInflate, lieCkptOverpay:
		if len(mine) == 0 {
			return incs, lieNone
		}
		lied = append([]checkpoint(nil), mine...)
		if k == lieCkptInflate {
			lied[0].sum++
		} else {
			lied[0].sum = kv.circ + t.downSum(child, t.queued(child, height-1)+1, t.queued(child, height)) + 1
		}
	}
	return append(others, lied...), k
}
