package light

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

// Anchor is a state root of a chain the client verified, at a height: the
// root's from a certified header, a subnet's from the checkpoint its parent
// committed.
type Anchor struct {
	Subnet     types.SubnetID
	Height     uint64
	BlockHash  common.Hash
	StateRoot  common.Hash
	RootHeight uint64 // the verified root block it was proven from
}

// Sizes counts the bytes of proof one answer needed, by kind.
type Sizes struct {
	Headers     int // root headers, certificates and validator sets
	Checkpoints int // checkpoints and the parent gateways' storage proofs
	State       int // account and storage proofs
}

// Total is the whole proof's size.
func (s Sizes) Total() int { return s.Headers + s.Checkpoints + s.State }

// Client verifies what a remote says against what it trusts. Safe for
// concurrent use: it never holds its lock across I/O; concurrent syncs
// both verify and the newer result stays.
type Client struct {
	remote *Remote
	store  *Store // nil: nothing kept on disk
	// Fresh is how long a verified root head answers queries before the
	// client asks the remote for a newer one; 0: every query syncs.
	Fresh time.Duration
	// OnSync, when set, hears the trusted root height and the remote's
	// head each time a sync moves (a long sync skips by bisection).
	OnSync func(trusted, target uint64)
	now    func() time.Time

	mu struct {
		sync.Mutex
		t       *Trusted
		synced  time.Time
		anchors map[types.SubnetID]*Anchor // proven from root block t.Height
	}
}

// Open returns a client of remote that trusts gen, resuming from what
// store (may be nil) kept for it.
func Open(remote *Remote, store *Store, gen *config.Genesis) (*Client, error) {
	t, err := TrustGenesis(gen)
	if err != nil {
		return nil, err
	}
	if store != nil {
		saved, err := store.Load(t.Genesis)
		if err != nil {
			return nil, err
		}
		if saved != nil {
			if saved.Subnet != t.Subnet || saved.Engine != t.Engine {
				return nil, fmt.Errorf("%w: saved state is of %s (%s), the genesis of %s (%s)", ErrStore, saved.Subnet, saved.Engine, t.Subnet, t.Engine)
			}
			t = saved
		}
	}
	c := &Client{remote: remote, store: store, now: time.Now}
	c.mu.t = t
	return c, nil
}

// GenesisByHash fetches the root's genesis from remote and checks that it
// hashes to want (config.Genesis.Hash): for a user who holds only the hash.
func GenesisByHash(ctx context.Context, remote *Remote, want common.Hash) (*config.Genesis, error) {
	data, err := remote.rootGenesis(ctx)
	if err != nil {
		return nil, err
	}
	g, err := config.ParseGenesis(data)
	if err != nil {
		return nil, fmt.Errorf("%w: the server's genesis: %w", ErrGenesis, err)
	}
	if h, err := g.Hash(); err != nil || h != want {
		return nil, fmt.Errorf("%w: the server's genesis hashes to %s, not %s", ErrGenesis, h, want)
	}
	return g, nil
}

// Trusted returns a copy of what the client trusts now.
func (c *Client) Trusted() Trusted {
	c.mu.Lock()
	defer c.mu.Unlock()
	t := *c.mu.t
	t.Validators = types.CopyValidators(t.Validators)
	return t
}

// Sync verifies the remote's newest root block from the trusted one and
// saves the result. It returns the header bytes it needed.
func (c *Client) Sync(ctx context.Context) (int, error) {
	t := c.Trusted()
	n, err := syncShowing(ctx, c.remote, &t, c.OnSync)
	if err != nil {
		return n, err
	}
	c.mu.Lock()
	if t.Height > c.mu.t.Height {
		c.mu.t, c.mu.anchors = &t, nil
	}
	c.mu.synced = c.now()
	saved := *c.mu.t
	c.mu.Unlock()
	if c.store != nil {
		if err := c.store.Save(&saved); err != nil {
			return n, err
		}
	}
	return n, nil
}

// Anchor returns a verified state root of subnet: the newest root block the
// remote has, then down the tree through the checkpoints each parent
// committed.
func (c *Client) Anchor(ctx context.Context, subnet types.SubnetID) (*Anchor, Sizes, error) {
	var sz Sizes
	if _, err := types.ParseSubnetID(string(subnet)); err != nil {
		return nil, sz, fmt.Errorf("light: subnet: %w", err)
	}
	c.mu.Lock()
	stale := c.Fresh == 0 || c.now().Sub(c.mu.synced) >= c.Fresh
	root := c.mu.t.Subnet
	c.mu.Unlock()
	if !subnet.IsAtOrBelow(root) {
		return nil, sz, fmt.Errorf("light: %s is not in the tree of %s", subnet, root)
	}
	if stale {
		n, err := c.Sync(ctx)
		sz.Headers = n
		if err != nil {
			return nil, sz, err
		}
	}
	c.mu.Lock()
	t := c.mu.t
	a := &Anchor{Subnet: t.Subnet, Height: t.Height, BlockHash: t.Hash, StateRoot: t.StateRoot, RootHeight: t.Height}
	path := root.PathTo(subnet)[1:] // from the root's child down to subnet
	start := 0
	for i := len(path) - 1; i >= 0; i-- {
		if cached := c.mu.anchors[path[i]]; cached != nil {
			a, start = cached, i+1
			break
		}
	}
	c.mu.Unlock()
	if t.Height == 0 {
		return nil, sz, fmt.Errorf("%w: no root block is verified yet", ErrResponse)
	}
	for _, id := range path[start:] {
		next, n, err := c.descend(ctx, a, id)
		sz.Checkpoints += n
		if err != nil {
			return nil, sz, err
		}
		a = next
		c.mu.Lock()
		if c.mu.t.Height == a.RootHeight {
			if c.mu.anchors == nil {
				c.mu.anchors = map[types.SubnetID]*Anchor{}
			}
			c.mu.anchors[id] = a
		}
		c.mu.Unlock()
	}
	return a, sz, nil
}

// descend proves child's newest committed checkpoint in parent's state.
func (c *Client) descend(ctx context.Context, parent *Anchor, child types.SubnetID) (*Anchor, int, error) {
	p, err := c.remote.checkpointProof(ctx, child, parent.Height, 0)
	if err != nil {
		return nil, 0, err
	}
	cps, _, err := verifyCheckpoints(parent, child, p, 0)
	if err != nil {
		return nil, p.size(), err
	}
	cp := cps[0]
	return &Anchor{Subnet: child, Height: cp.Height, BlockHash: cp.BlockHash, StateRoot: cp.StateRoot, RootHeight: parent.RootHeight}, p.size(), nil
}

// verifyCheckpoints checks p against parent's state root: the parent's
// gateway holds the hash of the first checkpoint, each one's Prev names the
// next, and the last is at height from (0: only the first is wanted).
func verifyCheckpoints(parent *Anchor, child types.SubnetID, p *rawCheckpointProof, from uint64) ([]*types.Checkpoint, [][]byte, error) {
	switch {
	case p.Subnet != string(child) || uint64(p.ParentHeight) != parent.Height:
		return nil, nil, fmt.Errorf("%w: proof for %s at parent height %d, asked for %s at %d", ErrCheckpoint, p.Subnet, p.ParentHeight, child, parent.Height)
	case len(p.Checkpoints) == 0 || len(p.Checkpoints) > 64:
		return nil, nil, fmt.Errorf("%w: %d checkpoints", ErrResponse, len(p.Checkpoints))
	}
	slot, err := gateway.LastCheckpointHashSlot(parent.Subnet, child)
	if err != nil {
		return nil, nil, err
	}
	gw, err := proveAccount(parent.StateRoot, gateway.Address, p.AccountProof)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the gateway of %s at %d: %w", ErrCheckpoint, parent.Subnet, parent.Height, err)
	}
	want, err := proveStorage(gw.StorageRoot, slot, p.StorageProof)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: the gateway of %s at %d: %w", ErrCheckpoint, parent.Subnet, parent.Height, err)
	}
	if want == (common.Hash{}) {
		return nil, nil, fmt.Errorf("%w: %s had committed no checkpoint of %s at height %d", ErrCheckpoint, parent.Subnet, child, parent.Height)
	}
	var (
		cps  []*types.Checkpoint
		encs [][]byte
	)
	for i, enc := range p.Checkpoints {
		cp, err := types.DecodeCheckpoint(enc)
		if err != nil {
			return nil, nil, fmt.Errorf("%w: %w", ErrResponse, err)
		}
		if h := cp.Hash(); h != want {
			what := "the parent committed"
			if i > 0 {
				what = "the next one names as Prev"
			}
			return nil, nil, fmt.Errorf("%w: checkpoint %d of %s hashes to %s, %s %s", ErrCheckpoint, cp.Height, cp.Subnet, h, what, want)
		}
		if cp.Subnet != string(child) {
			return nil, nil, fmt.Errorf("%w: checkpoint of %s where %s was asked for", ErrCheckpoint, cp.Subnet, child)
		}
		cps, encs = append(cps, cp), append(encs, enc)
		want = cp.Prev
		if from == 0 || cp.Height <= from {
			break
		}
	}
	if last := cps[len(cps)-1]; from != 0 && last.Height != from {
		return nil, nil, fmt.Errorf("%w: the checkpoints down from %d of %s do not reach height %d", ErrCheckpoint, cps[0].Height, child, from)
	}
	return cps, encs, nil
}

// Proven is an account proven at a verified state root.
type Proven struct {
	Anchor  *Anchor
	Account *Account
	Storage []common.Hash // values of the slots asked for, in order
	Sizes   Sizes
}

// Account proves addr's account on subnet, and the values of slots, at the
// newest state root of subnet the client can verify.
func (c *Client) Account(ctx context.Context, subnet types.SubnetID, addr common.Address, slots ...common.Hash) (*Proven, error) {
	if len(slots) > maxStorageSlots {
		return nil, fmt.Errorf("light: %d storage slots, at most %d at once", len(slots), maxStorageSlots)
	}
	a, sz, err := c.Anchor(ctx, subnet)
	if err != nil {
		return nil, err
	}
	p, err := c.remote.accountProof(ctx, subnet, addr, slots, a.Height)
	if err != nil {
		return nil, err
	}
	sz.State = p.size()
	out, err := verifyAccount(a, addr, slots, p)
	if err != nil {
		return nil, err
	}
	out.Sizes = sz
	return out, nil
}

func verifyAccount(a *Anchor, addr common.Address, slots []common.Hash, p *rawAccountProof) (*Proven, error) {
	if p.Address != addr {
		return nil, fmt.Errorf("%w: proof of account %s, asked for %s", ErrStateProof, p.Address, addr)
	}
	acc, err := proveAccount(a.StateRoot, addr, p.AccountProof)
	if err != nil {
		return nil, fmt.Errorf("%s at %d: %w", a.Subnet, a.Height, err)
	}
	if len(p.StorageProof) != len(slots) {
		return nil, fmt.Errorf("%w: %d storage proofs for %d slots", ErrStateProof, len(p.StorageProof), len(slots))
	}
	out := &Proven{Anchor: a, Account: acc, Storage: make([]common.Hash, len(slots))}
	for i, slot := range slots {
		v, err := proveStorage(acc.StorageRoot, slot, p.StorageProof[i].Proof)
		if err != nil {
			return nil, fmt.Errorf("%s at %d, account %s: %w", a.Subnet, a.Height, addr, err)
		}
		out.Storage[i] = v
	}
	return out, nil
}

// Balance proves addr's balance on subnet.
func (c *Client) Balance(ctx context.Context, subnet types.SubnetID, addr common.Address) (*big.Int, *Proven, error) {
	p, err := c.Account(ctx, subnet, addr)
	if err != nil {
		return nil, nil, err
	}
	return p.Account.Balance, p, nil
}

// Code proves addr's code on subnet: the remote's bytes must hash to the
// code hash in the proven account.
func (c *Client) Code(ctx context.Context, subnet types.SubnetID, addr common.Address) ([]byte, error) {
	p, err := c.Account(ctx, subnet, addr)
	if err != nil {
		return nil, err
	}
	code, err := c.remote.code(ctx, subnet, addr, p.Anchor.Height)
	if err != nil {
		return nil, err
	}
	if h := crypto.Keccak256Hash(code); h != p.Account.CodeHash {
		return nil, fmt.Errorf("%w: code of %s hashes to %s, the account's code hash is %s", ErrStateProof, addr, h, p.Account.CodeHash)
	}
	return code, nil
}

// Message is a cross-subnet message proven to be in a checkpoint its
// source's parent committed.
type Message struct {
	Msg        *types.CrossMsg
	Subnet     types.SubnetID // the chain whose checkpoint carries it
	Checkpoint uint64         // that checkpoint's height
	Parent     *Anchor        // the verified parent state that committed it
}

// Message proves the bottom-up message id: its proof into a checkpoint of
// the subnet whose up queue held it, and that checkpoint in the chain of
// checkpoints the parent committed, in a parent state the client verified.
func (c *Client) Message(ctx context.Context, id common.Hash) (*Message, error) {
	raw, err := c.remote.crossMsgProof(ctx, id)
	if err != nil {
		return nil, err
	}
	var mp xnet.MessageProof
	if err := json.Unmarshal(raw.Proof, &mp); err != nil {
		return nil, fmt.Errorf("%w: message proof: %v", ErrResponse, err)
	}
	if mp.Message.ID != id {
		return nil, fmt.Errorf("%w: proof of message %s, asked for %s", ErrMessageProof, mp.Message.ID, id)
	}
	if len(mp.Proof) > 64 {
		return nil, fmt.Errorf("%w: Merkle path of %d hashes", ErrMessageProof, len(mp.Proof))
	}
	src, err := types.ParseSubnetID(mp.Subnet)
	if err != nil || src.IsRoot() {
		return nil, fmt.Errorf("%w: the proof names subnet %q", ErrMessageProof, mp.Subnet)
	}
	pa, _, err := c.Anchor(ctx, src.Parent())
	if err != nil {
		return nil, err
	}
	p, err := c.remote.checkpointProof(ctx, src, pa.Height, uint64(mp.CheckpointHeight))
	if err != nil {
		return nil, fmt.Errorf("checkpoint %d of %s is not provably committed in the verified state of %s at %d: %w", mp.CheckpointHeight, src, src.Parent(), pa.Height, err)
	}
	cps, encs, err := verifyCheckpoints(pa, src, p, uint64(mp.CheckpointHeight))
	if err != nil {
		return nil, err
	}
	last := len(cps) - 1
	if err := xnet.VerifyCommittedMessage(&mp, encs[last], cps[last].Hash()); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMessageProof, err)
	}
	m, err := mp.Message.CrossMsg()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrMessageProof, err)
	}
	return &Message{Msg: m, Subnet: src, Checkpoint: cps[last].Height, Parent: pa}, nil
}
