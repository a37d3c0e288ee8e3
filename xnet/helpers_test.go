package xnet

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
)

const testSubnet types.SubnetID = "/devnet/games"

// testKey is validator key i of the shared test keys.
func testKey(_ testing.TB, i int) *crypto.BLSSecretKey { return testkeys.BLS(i) }

func testKeys(_ testing.TB, n int) []*crypto.BLSSecretKey { return testkeys.BLSKeys(n) }

// fakeView is a child chain made up from its height: UpAt(h) is the newest
// up-queue nonce after block h, and message n is testMsg(n).
type fakeView struct {
	Subnet   types.SubnetID
	UpAt     func(h uint64) uint64
	DataSize int    // bytes of Data in every message
	Salt     byte   // changes every state root: another history of the chain
	Config   uint64 // config at every height; 0 means 1

	headers   int    // Header calls, to check memoization
	minHeader uint64 // lowest height asked for
}

var _ ChildView = (*fakeView)(nil)

func (v *fakeView) Header(h uint64) (*types.Header, error) {
	v.headers++
	if v.minHeader == 0 || h < v.minHeader {
		v.minHeader = h
	}
	return &types.Header{
		SubnetID:  v.Subnet,
		Height:    h,
		StateRoot: gethcrypto.Keccak256Hash([]byte{v.Salt}, new(big.Int).SetUint64(h).Bytes()),
		BaseFee:   big.NewInt(7),
	}, nil
}

func (v *fakeView) Snapshot(h uint64) (Snapshot, error) {
	c := max(v.Config, 1)
	return Snapshot{Config: c, AppliedConfig: c, DownApplied: h / 3, UpNonce: v.UpAt(h)}, nil
}

func (v *fakeView) UpMessages(h, from, to uint64) ([]types.CrossMsg, error) {
	if to > v.UpAt(h) || from > to {
		return nil, fmt.Errorf("fake view: messages (%d, %d] at %d, queue ends at %d", from, to, h, v.UpAt(h))
	}
	out := make([]types.CrossMsg, 0, to-from)
	for n := from + 1; n <= to; n++ {
		out = append(out, v.msg(n))
	}
	return out, nil
}

func (v *fakeView) msg(n uint64) types.CrossMsg {
	data := bytes.Repeat([]byte{byte(n)}, v.DataSize)
	return types.CrossMsg{
		ID:        types.MsgID(string(v.Subnet), n),
		SrcSubnet: string(v.Subnet),
		SrcNonce:  n,
		From:      common.BigToAddress(new(big.Int).SetUint64(1000 + n)),
		DstSubnet: string(v.Subnet.Parent()),
		To:        common.BigToAddress(new(big.Int).SetUint64(n)),
		Value:     new(big.Int).SetUint64(n * 1e9),
		Data:      data,
		Kind:      types.KindTransfer,
	}
}

// fakeSigners gives every config the same validators.
type fakeSigners struct {
	keys   [][]byte
	powers []uint64
}

var _ SignerView = (*fakeSigners)(nil)

func newSigners(keys []*crypto.BLSSecretKey, powers ...uint64) *fakeSigners {
	s := &fakeSigners{}
	for i, k := range keys {
		pub := k.PublicKey()
		s.keys = append(s.keys, pub.Bytes())
		p := uint64(10)
		if i < len(powers) {
			p = powers[i]
		}
		s.powers = append(s.powers, p)
	}
	return s
}

func (s *fakeSigners) Signers(uint64) ([][]byte, []uint64, error) { return s.keys, s.powers, nil }

// fakeParent is the parent gateway's checkpoint rules, enough to catch a
// relayer that submits out of order, without a quorum, or with a gap in
// the message nonces.
type fakeParent struct {
	network string
	period  uint64
	signers *fakeSigners
	last    Link

	drop      int // submissions to lose without an answer
	fail      int // submissions to answer with an error
	commits   []commit
	submitted map[uint64][]int // submitters by height, in order
	noops     int              // submissions of checkpoints already committed
}

type commit struct {
	Link
	By   int    // relayer that submitted it
	Tick uint64 // network tick of the submission
	Msgs int
}

var (
	errParentRejects = errors.New("fake parent: rejected")    // a rule broken: the test fails
	errInjected      = errors.New("fake parent: send failed") // fakeParent.fail: a fault the test injects
)

func newParent(period uint64, signers *fakeSigners, last Link) *fakeParent {
	return &fakeParent{network: "devnet", period: period, signers: signers, last: last, submitted: map[uint64][]int{}}
}

// submit applies the parent's rules; it reports whether it committed.
func (p *fakeParent) submit(by int, s Submission, tick uint64) (bool, error) {
	p.submitted[s.Height] = append(p.submitted[s.Height], by)
	if p.drop > 0 {
		p.drop--
		return false, nil
	}
	if p.fail > 0 {
		p.fail--
		return false, fmt.Errorf("%w: out of gas", errInjected)
	}
	cp, err := types.DecodeCheckpoint(s.Checkpoint)
	if err != nil {
		return false, fmt.Errorf("%w: %w", errParentRejects, err)
	}
	if cp.Height <= p.last.Height {
		p.noops++
		return false, nil // already committed: a cheap no-op
	}
	switch {
	case cp.Subnet != string(testSubnet):
		return false, fmt.Errorf("%w: subnet %s", errParentRejects, cp.Subnet)
	case cp.Height != p.last.Height+p.period:
		return false, fmt.Errorf("%w: height %d after %d", errParentRejects, cp.Height, p.last.Height)
	case cp.Prev != p.last.Hash:
		return false, fmt.Errorf("%w: prev %s, last %s", errParentRejects, cp.Prev, p.last.Hash)
	case cp.Hash() != s.Hash:
		return false, fmt.Errorf("%w: submission hash %s is not the checkpoint's %s", errParentRejects, s.Hash, cp.Hash())
	}
	for i, m := range cp.Messages {
		if m.SrcNonce != p.last.UpNonce+uint64(i)+1 {
			return false, fmt.Errorf("%w: message %d has nonce %d after %d", errParentRejects, i, m.SrcNonce, p.last.UpNonce)
		}
	}
	if _, err := crypto.VerifyQuorum(p.signers.keys, p.signers.powers, s.Bitmap, cp.SigningBytes(p.network), s.Aggregate); err != nil {
		return false, fmt.Errorf("%w: %w", errParentRejects, err)
	}
	p.last = Link{Height: cp.Height, Hash: s.Hash, UpNonce: p.last.UpNonce + uint64(len(cp.Messages))}
	p.commits = append(p.commits, commit{Link: p.last, By: by, Tick: tick, Msgs: len(cp.Messages)})
	return true, nil
}

// network wires relayers with in-memory gossip and a fake parent. A nil
// relayer is a crashed node: it neither sends nor receives.
type network struct {
	t        testing.TB
	params   Params
	view     *fakeView
	signers  *fakeSigners
	keys     []*crypto.BLSSecretKey
	relayers []*Relayer
	parent   *fakeParent
	tick     uint64

	lose      map[int]int           // gossip messages of a node to lose, counted down
	persisted [][]Signed            // per node, everything Ready.Persist returned
	gossip    []map[uint64][][]byte // per node, own signature messages by height
	peerErrs  map[string]int        // honest peers' benign errors, by kind
	outputs   []string              // every output in order, to compare runs
	rejects   []error               // parent rejections
}

func newNetwork(t testing.TB, n int, params Params, view *fakeView, parentLast Link) *network {
	keys := testKeys(t, n)
	net := &network{
		t: t, params: params, view: view, keys: keys, signers: newSigners(keys),
		lose: map[int]int{}, persisted: make([][]Signed, n), gossip: make([]map[uint64][][]byte, n), peerErrs: map[string]int{},
	}
	net.parent = newParent(params.Period, net.signers, parentLast)
	for i := range keys {
		net.gossip[i] = map[uint64][][]byte{}
		net.relayers = append(net.relayers, net.newRelayer(i, nil))
	}
	return net
}

func (n *network) config(i int, signed []Signed) Config {
	return Config{Params: n.params, View: n.view, Signers: n.signers, Key: n.keys[i], Signed: signed}
}

func (n *network) newRelayer(i int, signed []Signed) *Relayer {
	r, err := New(n.config(i, signed))
	if err != nil {
		n.t.Fatal(err)
	}
	return r
}

// start tells every live relayer the parent's state and the final height.
func (n *network) start(final uint64) {
	for i, r := range n.relayers {
		if r != nil {
			n.step(i, ParentCommitted(n.parent.last))
			n.step(i, Final{Height: final})
		}
	}
}

func (n *network) step(i int, in Input) {
	n.t.Helper()
	if err := n.relayers[i].Step(in); err != nil {
		n.t.Fatalf("relayer %d: step %T: %v", i, in, err)
	}
}

// settle delivers every output until no relayer has any.
func (n *network) settle() {
	for progress := true; progress; {
		progress = false
		for i, r := range n.relayers {
			if r == nil || !r.HasReady() {
				continue
			}
			progress = true
			rd := r.Ready()
			r.Advance()
			n.persisted[i] = append(n.persisted[i], rd.Persist...)
			for _, g := range rd.Gossip {
				s, err := types.DecodeCheckpointSignature(g)
				if err != nil {
					n.t.Fatalf("relayer %d gossiped garbage: %v", i, err)
				}
				n.gossip[i][s.Height] = append(n.gossip[i][s.Height], g)
				n.outputs = append(n.outputs, fmt.Sprintf("t%d r%d gossip %x", n.tick, i, g))
				if n.lose[i] > 0 {
					n.lose[i]--
					continue
				}
				for j, o := range n.relayers {
					if j == i || o == nil {
						continue
					}
					switch err := o.Step(PeerSignature{From: fmt.Sprint(i), Data: g}); {
					case err == nil:
					case errors.Is(err, ErrStale):
						n.peerErrs["stale"]++
					case errors.Is(err, ErrDuplicateSignature):
						n.peerErrs["duplicate"]++
					default:
						n.t.Fatalf("relayer %d rejected honest relayer %d's signature: %v", j, i, err)
					}
				}
			}
			for _, s := range rd.Submit {
				n.outputs = append(n.outputs, fmt.Sprintf("t%d r%d submit %d %s %x %x", n.tick, i, s.Height, s.Hash, s.Aggregate, s.Bitmap))
				committed, err := n.parent.submit(i, s, n.tick)
				if errors.Is(err, errParentRejects) {
					n.rejects = append(n.rejects, err)
				}
				n.step(i, SubmitResult{Height: s.Height, Err: err})
				if committed {
					for j, o := range n.relayers {
						if o != nil {
							n.step(j, ParentCommitted(n.parent.last))
						}
					}
				}
			}
		}
	}
}

// runUntil ticks the network until the parent has committed height, and
// fails the test if that takes more than maxTicks.
func (n *network) runUntil(height, maxTicks uint64) {
	n.t.Helper()
	for {
		n.settle()
		if len(n.rejects) > 0 {
			n.t.Fatalf("parent rejected submissions: %v", n.rejects)
		}
		if n.parent.last.Height >= height {
			return
		}
		if n.tick >= maxTicks {
			n.t.Fatalf("parent at %d after %d ticks, want %d; status of relayer 0: %+v", n.parent.last.Height, n.tick, height, n.status())
		}
		n.tick++
		for _, r := range n.relayers {
			if r != nil {
				checkedTick(n.t, r)
			}
		}
	}
}

// checkedTick ticks r and fails the test when NextTick said the tick was
// quiet but it gave a drained r something to do: an owner sleeping until
// NextTick would have acted late.
func checkedTick(t testing.TB, r *Relayer) {
	t.Helper()
	next, drained := r.NextTick(), !r.HasReady()
	if next == 0 {
		t.Fatalf("NextTick is 0; the next tick is 1")
	}
	r.Tick()
	if next > 1 && drained && r.HasReady() {
		t.Fatalf("NextTick said %d, but the next tick gave the relayer work: %+v", next, r.Ready())
	}
}

func (n *network) status() []Status {
	var out []Status
	for _, r := range n.relayers {
		if r != nil {
			out = append(out, r.Status())
		}
	}
	return out
}

// chosen is the relayer CROSSNET picks to submit height first.
func (n *network) chosen(height uint64) int {
	return int(height / n.params.Period % uint64(len(n.keys)))
}

// expectedChain builds the checkpoints up to height with a fresh Chain.
func expectedChain(t testing.TB, view ChildView, p Params, height uint64) []*Built {
	t.Helper()
	c, err := NewChain(view, p, Link{})
	if err != nil {
		t.Fatal(err)
	}
	var out []*Built
	for h := p.Period; h <= height; h += p.Period {
		b, err := c.At(h)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	return out
}
