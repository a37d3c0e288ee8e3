package pow

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// ErrBelowFinal is returned for a block or branch that forks below the
// final block: a final block is never taken back, whatever work the branch
// carries.
var ErrBelowFinal = errors.New("pow: branch forks below the final block, which is never taken back")

// ErrUnexpectedBlock is returned for a Built block the engine did not ask for.
var ErrUnexpectedBlock = errors.New("pow: built block does not answer the pending build request")

// ErrInvalidBlock is returned for a block the driver found invalid before,
// or one that descends from such a block.
var ErrInvalidBlock = errors.New("pow: block is, or descends from, a block found invalid")

// Limits of what the engine keeps in memory.
const (
	DefaultMaxBlocks = 1024      // tree blocks above the root
	DefaultMaxBytes  = 256 << 20 // their encoded size
	maxOrphans       = 256       // blocks waiting for their parent
	maxOrphanBytes   = 64 << 20
	maxInvalid       = 1024         // hashes remembered as invalid
	askTicks         = 10           // ticks before asking again for the same block
	rebuildTicks     = 10           // ticks before rebuilding an empty block for waiting txs
	keepFinal        = MaxGetBlocks // final blocks kept below the final one, to serve peers
)

// Config is the engine's configuration; zero values take the defaults.
type Config struct {
	Subnet        types.SubnetID
	Mine          bool
	Confirmations uint64 // a block is final this deep; safe at half
	BlockTimeMs   uint64
	MinDifficulty uint64
	MaxBlocks     int
	MaxBytes      uint64
	// QuietTicks is how long a node that mines waits after it starts,
	// unless it hears a peer's block first, before it builds: a miner back
	// from a crash or a long stop must not extend the branch it left alone
	// and finalize it (confirmations deep) before it learns where the
	// network went. A lone miner starts after it. 0: at once.
	QuietTicks uint64
	// CheckBody checks a peer block's body against its header (the EVM
	// chain's transactions against TxRoot); nil: evidence only.
	CheckBody func(*types.Block) error
}

func (c Config) withDefaults() Config {
	if c.Confirmations == 0 {
		c.Confirmations = DefaultConfirmations
	}
	if c.BlockTimeMs == 0 {
		c.BlockTimeMs = DefaultBlockTimeMs
	}
	if c.MinDifficulty == 0 {
		c.MinDifficulty = DefaultDifficulty
	}
	if c.MaxBlocks == 0 {
		c.MaxBlocks = DefaultMaxBlocks
	}
	if c.MaxBytes == 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	return c
}

type orphan struct {
	block *types.Block
	from  string
	seq   uint64
}

// Engine is the proof-of-work engine. It is not safe for concurrent use;
// the driver's goroutine owns it.
type Engine struct {
	heard bool // a peer's block arrived since start (QuietTicks)
	cfg   Config
	tree  *tree
	best  *node
	// final is the newest final block; finalHanded the one the driver was
	// last told (in the Ready taken last), finalBefore the one before it:
	// an invalid head block voids the finality of the Ready that carried
	// it, and the driver ignored it. safe likewise.
	final, finalHanded, finalBefore *node
	safe, safeHanded, safeBefore    *node
	// head is the driver's head: where the Readies taken so far left it.
	head *node

	orphans     map[common.Hash]*orphan
	byParent    map[common.Hash][]common.Hash
	orphanBytes uint64
	orphanSeq   uint64
	invalid     map[common.Hash]bool
	asked       map[common.Hash]uint64 // block asked for → tick
	answered    map[common.Hash]uint64 // block served → tick
	announced   common.Hash

	// Mining: buildFor is the parent of a build taken and not answered,
	// sealParent the parent of the block being sealed, sealTxs its size.
	buildFor, sealParent *node
	sealTxs              int
	builtAt              uint64
	buildFailed          bool
	pending              int

	// startRewind: the first Ready rewinds the chain to the final block
	// (the engine resumes with no tentative blocks).
	startRewind bool

	ticks uint64
	rd    consensus.Ready
}

var _ consensus.Engine = (*Engine)(nil)

// New returns an engine whose final block is (height, hash), with header
// its header (nil: unknown) and tentative the committed blocks above it
// that are not final yet, lowest first. With no tentative blocks its first
// Ready rewinds the chain to the final block.
func New(cfg Config, height uint64, hash common.Hash, header *types.Header, tentative []*types.Block) (*Engine, error) {
	cfg = cfg.withDefaults()
	if header != nil && (header.Hash() != hash || header.Height != height) {
		return nil, fmt.Errorf("pow: head header is block %d %s, the final block is %d %s", header.Height, header.Hash(), height, hash)
	}
	e := &Engine{
		cfg: cfg, tree: newTree(consensus.BlockID{Height: height, Hash: hash}, header),
		orphans: map[common.Hash]*orphan{}, byParent: map[common.Hash][]common.Hash{},
		invalid: map[common.Hash]bool{}, asked: map[common.Hash]uint64{}, answered: map[common.Hash]uint64{},
	}
	root := e.tree.root
	e.best, e.head = root, root
	e.final, e.finalHanded, e.finalBefore = root, root, root
	e.safe, e.safeHanded, e.safeBefore = root, root, root
	parent := root
	for _, b := range tentative {
		if b.Header.ParentHash != parent.id.Hash || b.Height() != parent.id.Height+1 {
			return nil, fmt.Errorf("pow: tentative block %d does not extend block %d", b.Height(), parent.id.Height)
		}
		parent = e.tree.insert(parent, b)
	}
	e.head, e.best = parent, parent
	e.startRewind = len(tentative) == 0
	e.announced = e.best.id.Hash
	e.refresh()
	return e, nil
}

// Best is the tip of the heaviest chain the engine knows.
func (e *Engine) Best() consensus.BlockID { return e.best.id }

// Final is the newest final block.
func (e *Engine) Final() consensus.BlockID { return e.final.id }

// Tick advances logical time by one tick.
func (e *Engine) Tick() {
	e.ticks++
	for h, at := range e.asked {
		if e.ticks-at >= askTicks {
			delete(e.asked, h)
		}
	}
	for h, at := range e.answered {
		if e.ticks-at >= askTicks {
			delete(e.answered, h)
		}
	}
	if e.buildFailed {
		e.buildFailed, e.sealParent = false, nil
	}
	if e.pending > 0 && e.sealParent != nil && e.sealTxs == 0 && e.ticks-e.builtAt >= rebuildTicks {
		e.sealParent = nil // build again: transactions wait and the block being sealed holds none
	}
	e.refresh()
}

// NextTick is when a miner next builds without news from a peer: after a
// failed build, at the end of its quiet start, or to rebuild an empty block
// once transactions wait. Anything else a tick does (forgetting whom it asked
// for which block) changes no output until a peer's message comes, and the
// ticks before it are handed over first.
func (e *Engine) NextTick() uint64 {
	if !e.cfg.Mine {
		return consensus.NoTick
	}
	if e.buildFailed {
		return 1
	}
	next := consensus.NoTick
	if !e.heard && e.ticks < e.cfg.QuietTicks {
		next = e.cfg.QuietTicks - e.ticks
	}
	if e.pending > 0 && e.sealParent != nil && e.sealTxs == 0 {
		next = min(next, consensus.TicksUntil(e.builtAt+rebuildTicks, e.ticks))
	}
	return next
}

// Step feeds one input to the engine.
func (e *Engine) Step(msg consensus.Message) error {
	var err error
	switch m := msg.(type) {
	case consensus.PoolStatus:
		e.pending = m.Pending
	case consensus.Built:
		err = e.built(m.Block)
	case consensus.BuildFailed:
		if e.buildFor == nil {
			break // a build this engine already gave up on
		}
		if e.buildFor == e.best {
			e.buildFailed = true // try again next tick rather than spin
			e.sealParent = e.best
			e.sealTxs = 0
		}
		e.buildFor = nil
	case consensus.Sealed:
		err = e.sealed(m.Block)
	case consensus.Verdict:
		if !m.Valid {
			e.invalidated(m.Hash)
		}
	case consensus.PeerMessage:
		err = e.peer(m)
	case consensus.Synced:
		e.synced(m)
	case consensus.Replay:
		// pow persists nothing
	default:
		err = fmt.Errorf("pow: unknown message %T", msg)
	}
	e.refresh()
	return err
}

func (e *Engine) built(b *types.Block) error {
	if b == nil || e.buildFor == nil || b.Header.ParentHash != e.buildFor.id.Hash || b.Height() != e.buildFor.id.Height+1 {
		return ErrUnexpectedBlock
	}
	if e.tree.nodes[e.buildFor.id.Hash] == nil {
		e.buildFor = nil // its parent turned out invalid meanwhile
		return nil
	}
	e.sealParent, e.sealTxs, e.builtAt = e.buildFor, len(b.Txs), e.ticks
	e.buildFor = nil
	e.rd.Seal = &consensus.SealRequest{Block: b}
	return nil
}

// sealed takes in a block the sealer finished: the engine's own, mined on
// a block it may since have left.
func (e *Engine) sealed(b *types.Block) error {
	if b == nil || b.Header == nil {
		return fmt.Errorf("pow: sealer returned no block")
	}
	if err := CheckWork(b.Header); err != nil {
		return fmt.Errorf("pow: sealer returned a block without its work: %w", err)
	}
	parent := e.tree.nodes[b.Header.ParentHash]
	if parent == nil || !parent.descends(e.final) {
		return nil // mined on a block the engine no longer holds: lost work, not an error
	}
	_, err := e.add(parent, b)
	return err
}

// peer handles a wire message.
func (e *Engine) peer(m consensus.PeerMessage) error {
	msg, err := decodeMessage(e.cfg.Subnet, m.Payload)
	if err != nil {
		return err
	}
	if err := msg.checkWork(e.cfg.MinDifficulty); err != nil {
		return err
	}
	switch msg.Kind {
	case kindGetBlocks:
		e.serve(m.From, msg.Get)
		return nil
	default:
		return e.receive(m.From, msg.Blocks)
	}
}

// serve answers a get-blocks from the tree.
func (e *Engine) serve(to string, g getBlocks) {
	n := e.tree.nodes[g.Hash]
	if n == nil || n.block == nil {
		return
	}
	if at, ok := e.answered[g.Hash]; ok && e.ticks-at < askTicks {
		return
	}
	e.answered[g.Hash] = e.ticks
	var out []*types.Block
	var size uint64
	for ; n != nil && n.block != nil && uint64(len(out)) < g.Count; n = n.parent {
		if size+n.size > MaxMessageSize/2 {
			break
		}
		size += n.size
		out = append(out, n.block)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	if len(out) > 0 {
		e.rd.Send = append(e.rd.Send, consensus.Outbound{To: to, Payload: encodeBlocks(out)})
	}
}

// receive takes in blocks from a peer, lowest first and linked (an
// announce is one).
func (e *Engine) receive(from string, blocks []*types.Block) error {
	for _, b := range blocks {
		if err := e.receiveOne(from, b); err != nil {
			return err
		}
	}
	return nil
}

func (e *Engine) receiveOne(from string, b *types.Block) error {
	e.heard = true // a peer with blocks: the network is here, mining may start
	hash := b.Hash()
	if e.tree.nodes[hash] != nil || e.orphans[hash] != nil {
		return nil
	}
	if e.invalid[hash] || e.invalid[b.Header.ParentHash] {
		e.markInvalid(hash)
		return fmt.Errorf("%w: block %d %s", ErrInvalidBlock, b.Height(), hash)
	}
	if b.Height() <= e.final.id.Height {
		return fmt.Errorf("%w: block %d %s is not on the chain at or below the final block %d: %w",
			ErrBelowFinal, b.Height(), hash, e.final.id.Height, consensus.ErrOldHeight)
	}
	if err := types.CheckBody(b, e.cfg.CheckBody); err != nil {
		return err
	}
	parent := e.tree.nodes[b.Header.ParentHash]
	if parent == nil {
		// The network finalized above everything this node holds (it was
		// away): peers keep only a little below their final block, so
		// get-blocks cannot bridge the gap. Block sync of their final
		// blocks does; the engine starts over above them (Synced).
		if conf := e.cfg.Confirmations; b.Height() > e.best.id.Height+conf {
			e.rd.SyncTo = max(e.rd.SyncTo, b.Height()-conf)
		}
		return e.keepOrphan(from, b)
	}
	n, err := e.add(parent, b)
	if err != nil || n == nil {
		return err
	}
	e.adoptOrphans(n)
	return nil
}

// add checks b against its parent and puts it in the tree.
func (e *Engine) add(parent *node, b *types.Block) (*node, error) {
	if !parent.descends(e.final) {
		return nil, fmt.Errorf("%w: block %d builds on block %d, below the final block %d",
			ErrBelowFinal, b.Height(), parent.id.Height, e.final.id.Height)
	}
	if parent.header != nil {
		if err := CheckHeader(parent.header, b.Header, e.cfg.BlockTimeMs, e.cfg.MinDifficulty); err != nil {
			return nil, err
		}
	} else if b.Height() != parent.id.Height+1 {
		return nil, fmt.Errorf("%w: height %d on a parent at %d", ErrNotChild, b.Height(), parent.id.Height)
	}
	if n := e.tree.nodes[b.Hash()]; n != nil {
		return n, nil
	}
	n := e.tree.insert(parent, b)
	if n.heavier(e.best) {
		e.best = n
	}
	if !e.tree.evict(e.cfg.MaxBlocks, e.cfg.MaxBytes, e.best, e.head, e.final) && e.tree.nodes[n.id.Hash] == nil {
		return nil, nil
	}
	return n, nil
}

// keepOrphan holds b until its parent comes and asks from for the parent.
func (e *Engine) keepOrphan(from string, b *types.Block) error {
	hash := b.Hash()
	e.orphanSeq++
	o := &orphan{block: b, from: from, seq: e.orphanSeq}
	e.orphans[hash] = o
	e.byParent[b.Header.ParentHash] = append(e.byParent[b.Header.ParentHash], hash)
	e.orphanBytes += b.Size()
	for len(e.orphans) > maxOrphans || e.orphanBytes > maxOrphanBytes {
		var oldest common.Hash
		var seq uint64
		for h, o := range e.orphans {
			if seq == 0 || o.seq < seq {
				oldest, seq = h, o.seq
			}
		}
		e.dropOrphan(oldest)
	}
	if e.orphans[hash] == nil {
		return nil
	}
	// Ask for the lowest missing block of b's branch.
	low := b
	for {
		up := e.orphans[low.Header.ParentHash]
		if up == nil {
			break
		}
		low = up.block
	}
	return e.ask(from, low.Header.ParentHash, low.Height()-1)
}

// ask requests the block hash at height and its ancestors of from.
func (e *Engine) ask(from string, hash common.Hash, height uint64) error {
	if height <= e.final.id.Height {
		// The branch reaches down to the final block without meeting it.
		e.dropOrphansAbove(hash)
		return fmt.Errorf("%w: its block %d %s is not ours", ErrBelowFinal, height, hash)
	}
	if at, ok := e.asked[hash]; ok && e.ticks-at < askTicks {
		return nil
	}
	e.asked[hash] = e.ticks
	count := min(height-e.final.id.Height, MaxGetBlocks)
	e.rd.Send = append(e.rd.Send, consensus.Outbound{To: from,
		Payload: encodeGetBlocks(getBlocks{Hash: hash, Height: height, Count: count})})
	return nil
}

// adoptOrphans moves the orphans waiting for n (and theirs) into the tree.
func (e *Engine) adoptOrphans(n *node) {
	queue := []*node{n}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		kids := e.byParent[p.id.Hash]
		delete(e.byParent, p.id.Hash)
		for _, h := range kids {
			o := e.orphans[h]
			if o == nil {
				continue
			}
			e.removeOrphan(h)
			if c, err := e.add(p, o.block); err == nil && c != nil {
				queue = append(queue, c)
			} else {
				e.dropOrphansAbove(h)
			}
		}
	}
}

func (e *Engine) removeOrphan(h common.Hash) {
	o := e.orphans[h]
	if o == nil {
		return
	}
	delete(e.orphans, h)
	e.orphanBytes -= o.block.Size()
	p := o.block.Header.ParentHash
	kids := e.byParent[p]
	for i, k := range kids {
		if k == h {
			kids = append(kids[:i:i], kids[i+1:]...)
			break
		}
	}
	if len(kids) == 0 {
		delete(e.byParent, p)
	} else {
		e.byParent[p] = kids
	}
}

// dropOrphan drops an orphan and the orphans above it.
func (e *Engine) dropOrphan(h common.Hash) {
	e.removeOrphan(h)
	e.dropOrphansAbove(h)
}

// dropOrphansAbove drops the orphans that descend from h.
func (e *Engine) dropOrphansAbove(h common.Hash) {
	stack := []common.Hash{h}
	for len(stack) > 0 {
		p := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		kids := append([]common.Hash(nil), e.byParent[p]...)
		for _, k := range kids {
			e.removeOrphan(k)
			stack = append(stack, k)
		}
		delete(e.byParent, p)
	}
}

func (e *Engine) markInvalid(h common.Hash) {
	if len(e.invalid) >= maxInvalid {
		e.invalid = map[common.Hash]bool{}
	}
	e.invalid[h] = true
}

// invalidated handles a negative verdict on a head block: the driver
// committed the branch up to its parent and ignored the finality and
// safety of the Ready that carried it. The block and its descendants go,
// and the best valid tip is chosen again.
func (e *Engine) invalidated(hash common.Hash) {
	n := e.tree.nodes[hash]
	e.markInvalid(hash)
	if n == nil || n == e.tree.root {
		return
	}
	e.head = n.parent
	e.final, e.finalHanded = e.finalBefore, e.finalBefore
	e.safe, e.safeHanded = e.safeBefore, e.safeBefore
	e.tree.remove(n)
	e.dropOrphansAbove(hash)
	e.best = e.tree.best()
	if e.sealParent != nil && e.tree.nodes[e.sealParent.id.Hash] == nil {
		e.sealParent = nil
	}
}

// synced moves the engine past blocks block sync committed: they are
// final, and the engine starts over above them.
func (e *Engine) synced(m consensus.Synced) {
	if m.Height <= e.final.id.Height {
		return
	}
	var header *types.Header
	if n := e.tree.nodes[m.Hash]; n != nil {
		header = n.header
	}
	e.tree = newTree(consensus.BlockID{Height: m.Height, Hash: m.Hash}, header)
	root := e.tree.root
	e.best, e.head = root, root
	e.final, e.finalHanded, e.finalBefore = root, root, root
	e.safe, e.safeHanded, e.safeBefore = root, root, root
	e.buildFor, e.sealParent, e.buildFailed = nil, nil, false
	e.rd.Head, e.rd.Final, e.rd.Safe, e.rd.Build, e.rd.Seal = nil, nil, nil, nil, nil
	for h := range e.orphans {
		if o := e.orphans[h]; o != nil && o.block.Height() <= m.Height {
			e.dropOrphan(h)
		}
	}
	e.adoptOrphans(root)
}

// refresh brings Ready up to date with the engine's state: the head move
// from the driver's head to the best tip, blocks now final and safe, the
// announcement of a new best block, and, when mining, a build on the tip.
func (e *Engine) refresh() {
	best := e.best
	if h := best.id.Height; h > e.final.id.Height+e.cfg.Confirmations {
		e.final = best.ancestor(h - e.cfg.Confirmations)
		e.tree.keepOnly(e.final)
		for h := range e.orphans {
			if o := e.orphans[h]; o != nil && o.block.Height() <= e.final.id.Height {
				e.dropOrphan(h)
			}
		}
	}
	e.safe = e.final
	if h := best.id.Height; h > e.final.id.Height+e.cfg.Confirmations/2 {
		e.safe = best.ancestor(h - e.cfg.Confirmations/2)
	}

	e.rd.Head = nil
	if best != e.head {
		fork := forkPoint(e.head, best)
		m := &consensus.HeadMove{}
		if fork != e.head {
			m.Rewind = &fork.id
		}
		for _, n := range path(fork, best) {
			m.Blocks = append(m.Blocks, n.block)
		}
		e.rd.Head = m
	} else if e.startRewind {
		id := e.head.id
		e.rd.Head = &consensus.HeadMove{Rewind: &id}
	}
	e.rd.Final = nil
	for _, n := range path(e.finalHanded, e.final) {
		e.rd.Final = append(e.rd.Final, consensus.Final{Block: n.block})
	}
	e.rd.Safe = nil
	if e.safe != e.safeHanded {
		id := e.safe.id
		e.rd.Safe = &id
	}
	if best.id.Hash != e.announced && best.block != nil {
		e.announced = best.id.Hash
		e.rd.Send = append(e.rd.Send, consensus.Outbound{Payload: encodeAnnounce(best.block)})
	}
	e.rd.Build = nil
	if e.cfg.Mine && (e.heard || e.ticks >= e.cfg.QuietTicks) && e.buildFor == nil && e.sealParent != best && !e.buildFailed {
		bt, minD := e.cfg.BlockTimeMs, e.cfg.MinDifficulty
		e.rd.Build = &consensus.BuildRequest{Height: best.id.Height + 1, Parent: best.id.Hash,
			Difficulty: func(parent *types.Header, timeMs uint64) uint64 { return NextDifficulty(parent, timeMs, bt, minD) }}
	}
}

// HasReady reports whether Ready has something to do.
func (e *Engine) HasReady() bool { return !e.rd.IsEmpty() }

// Ready returns what the driver must do now. It returns the same thing until Advance.
func (e *Engine) Ready() consensus.Ready { return e.rd }

// Advance acknowledges the last Ready: the driver's head is the best tip,
// its final and safe blocks the engine's, and a build is out.
func (e *Engine) Advance() {
	if e.rd.Head != nil {
		e.head, e.startRewind = e.best, false
	}
	e.finalBefore, e.finalHanded = e.finalHanded, e.final
	e.safeBefore, e.safeHanded = e.safeHanded, e.safe
	if e.rd.Build != nil {
		e.buildFor = e.best
	}
	e.rd = consensus.Ready{}
	// What the driver acted on two Readies ago stands: drop what is more
	// than keepFinal below it. The final blocks kept serve peers that were
	// partitioned and still have to switch to them.
	if h := e.finalBefore.id.Height; h > e.tree.root.id.Height+keepFinal {
		e.tree.rebase(e.finalBefore.ancestor(h - keepFinal))
	}
}
