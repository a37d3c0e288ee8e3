package pow

import (
	"github.com/ethereum/go-ethereum/common"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// node is a block of the engine's tree. The root is the oldest block kept
// (final, and acted on by the driver); it may be known by id alone.
type node struct {
	id       consensus.BlockID
	block    *types.Block  // nil for a root known by id alone
	header   *types.Header // nil when unknown (such a root)
	parent   *node
	children []*node
	work     uint256.Int // cumulative difficulty above the root
	seq      uint64      // arrival order: of equal work, the earlier wins
	size     uint64
}

// heavier reports whether n beats m in fork choice: more work, or as much
// and seen first.
func (n *node) heavier(m *node) bool {
	if c := n.work.Cmp(&m.work); c != 0 {
		return c > 0
	}
	return n.seq < m.seq
}

// ancestor returns n's ancestor at height (n itself at its own), or nil
// below what the tree holds.
func (n *node) ancestor(height uint64) *node {
	for n != nil && n.id.Height > height {
		n = n.parent
	}
	if n == nil || n.id.Height != height {
		return nil
	}
	return n
}

// descends reports whether n is a, or a descendant of a.
func (n *node) descends(a *node) bool { return n.ancestor(a.id.Height) == a }

// forkPoint is the newest block a and b share.
func forkPoint(a, b *node) *node {
	for a.id.Height > b.id.Height {
		a = a.parent
	}
	for b.id.Height > a.id.Height {
		b = b.parent
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// path returns the blocks above from up to to, lowest first; to must descend
// from from.
func path(from, to *node) []*node {
	var out []*node
	for n := to; n != from; n = n.parent {
		out = append(out, n)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// tree is the engine's blocks above its root, indexed by hash, bounded in
// count and bytes.
type tree struct {
	root  *node
	nodes map[common.Hash]*node
	bytes uint64
	seq   uint64
}

func newTree(root consensus.BlockID, header *types.Header) *tree {
	r := &node{id: root, header: header}
	return &tree{root: r, nodes: map[common.Hash]*node{root.Hash: r}}
}

// insert adds b under parent and returns its node.
func (t *tree) insert(parent *node, b *types.Block) *node {
	t.seq++
	n := &node{id: consensus.BlockID{Height: b.Height(), Hash: b.Hash()}, block: b, header: b.Header,
		parent: parent, seq: t.seq, size: b.Size()}
	n.work.AddUint64(&parent.work, b.Header.Difficulty)
	parent.children = append(parent.children, n)
	t.nodes[n.id.Hash] = n
	t.bytes += n.size
	return n
}

// remove drops n and every block above it.
func (t *tree) remove(n *node) {
	if p := n.parent; p != nil {
		for i, c := range p.children {
			if c == n {
				p.children = append(p.children[:i:i], p.children[i+1:]...)
				break
			}
		}
	}
	stack := []*node{n}
	for len(stack) > 0 {
		m := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		delete(t.nodes, m.id.Hash)
		t.bytes -= m.size
		stack = append(stack, m.children...)
	}
}

// keepOnly drops every branch that neither leads to nor descends from keep.
func (t *tree) keepOnly(keep *node) {
	for n := keep; n.parent != nil; n = n.parent {
		p := n.parent
		for _, c := range append([]*node(nil), p.children...) {
			if c != n {
				t.remove(c)
			}
		}
	}
}

// rebase makes r (a descendant of the root) the root, dropping what is
// below it. Cumulative work keeps counting from the old root: only
// differences matter.
func (t *tree) rebase(r *node) {
	if r == t.root {
		return
	}
	t.keepOnly(r)
	for n := r.parent; n != nil; n = n.parent {
		delete(t.nodes, n.id.Hash)
		t.bytes -= n.size
	}
	r.parent = nil
	t.bytes -= r.size
	r.size = 0
	t.root = r
}

// best returns the heaviest node.
func (t *tree) best() *node {
	b := t.root
	for _, n := range t.nodes {
		if n.heavier(b) {
			b = n
		}
	}
	return b
}

// evict drops side branches, lightest first, until the tree holds at most
// maxBlocks blocks and maxBytes bytes or only what protect leads to is
// left. It returns whether it got there.
func (t *tree) evict(maxBlocks int, maxBytes uint64, protect ...*node) bool {
	for len(t.nodes)-1 > maxBlocks || t.bytes > maxBytes {
		kept := map[*node]bool{}
		for _, p := range protect {
			for n := p; n != nil; n = n.parent {
				kept[n] = true
			}
		}
		var victim *node
		for _, n := range t.nodes {
			if len(n.children) > 0 || kept[n] {
				continue
			}
			if victim == nil || victim.heavier(n) {
				victim = n
			}
		}
		if victim == nil {
			return false
		}
		t.remove(victim)
	}
	return true
}
