package xnet

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/types"
)

var testParams = Params{Subnet: testSubnet, Period: 10}

// checkCommits asserts the parent committed exactly the checkpoints a fresh
// chain builds, in order, from its first commit up to height.
func checkCommits(t *testing.T, n *network, from, height uint64) {
	t.Helper()
	want := expectedChain(t, n.view, n.params, height)
	var got []uint64
	for _, c := range n.parent.commits {
		got = append(got, c.Height)
	}
	i := 0
	for _, b := range want {
		if b.Link.Height <= from {
			continue
		}
		if i >= len(n.parent.commits) {
			t.Fatalf("parent committed %v, missing %d", got, b.Link.Height)
		}
		if c := n.parent.commits[i]; c.Link != b.Link {
			t.Fatalf("commit %d is %+v, want %+v (all: %v)", i, c.Link, b.Link, got)
		}
		i++
	}
	if i != len(n.parent.commits) {
		t.Fatalf("parent committed %v, want up to %d", got, height)
	}
}

// The happy path, block by block: every checkpoint commits once, in order,
// submitted by the relayer chosen for its height, and two runs produce the
// same outputs byte for byte.
func TestRelayersCommitInOrderOnceEach(t *testing.T) {
	run := func() *network {
		n := newNetwork(t, 4, testParams, &fakeView{Subnet: testSubnet, UpAt: perBlock(3)}, Link{})
		n.start(0)
		for h := uint64(1); h <= 200; h++ {
			for i := range n.relayers {
				n.step(i, Final{Height: h})
			}
			n.runUntil(0, n.tick+1) // one tick per block
		}
		n.runUntil(200, n.tick+10)
		return n
	}
	n := run()
	checkCommits(t, n, 0, 200)
	for _, c := range n.parent.commits {
		if subs := n.parent.submitted[c.Height]; len(subs) != 1 {
			t.Errorf("checkpoint %d submitted %d times by %v, want once", c.Height, len(subs), subs)
		}
		if c.By != n.chosen(c.Height) {
			t.Errorf("checkpoint %d submitted by %d, want the chosen %d", c.Height, c.By, n.chosen(c.Height))
		}
	}
	if n.parent.last.UpNonce != 600 {
		t.Errorf("parent applied up to nonce %d, want all 600", n.parent.last.UpNonce)
	}
	// Each validator signed each checkpoint once and persisted it first.
	for i := range n.relayers {
		if len(n.persisted[i]) != 20 {
			t.Errorf("relayer %d persisted %d signatures, want 20", i, len(n.persisted[i]))
		}
		for h, msgs := range n.gossip[i] {
			for _, m := range msgs[1:] {
				if !bytes.Equal(m, msgs[0]) {
					t.Errorf("relayer %d gossiped two different signatures at %d", i, h)
				}
			}
		}
	}
	if again := run(); !slices.Equal(again.outputs, n.outputs) {
		t.Error("two runs with the same inputs gave different outputs")
	}
}

// With the chosen submitter down, the next in order submits after one
// SubmitDelay, and only it.
func TestCrashedSubmitterIsReplaced(t *testing.T) {
	n := newNetwork(t, 4, testParams, &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Link{})
	n.relayers[1] = nil
	n.start(80)
	n.runUntil(80, 200)
	checkCommits(t, n, 0, 80)
	prevTick := uint64(0)
	for _, c := range n.parent.commits {
		chosen := n.chosen(c.Height)
		wantBy, wantWait := chosen, uint64(0)
		if chosen == 1 {
			wantBy, wantWait = 2, DefaultSubmitDelay
		}
		if c.By != wantBy || c.Tick-prevTick != wantWait {
			t.Errorf("checkpoint %d: submitted by %d after %d ticks, want %d after %d", c.Height, c.By, c.Tick-prevTick, wantBy, wantWait)
		}
		if subs := n.parent.submitted[c.Height]; len(subs) != 1 {
			t.Errorf("checkpoint %d submitted by %v, want one submission", c.Height, subs)
		}
		prevTick = c.Tick
	}
}

// A submission lost on the way is sent again after CommitTimeout, and a
// failed send after SubmitDelay.
func TestSubmissionRetries(t *testing.T) {
	t.Run("lost", func(t *testing.T) {
		n := newNetwork(t, 4, testParams, &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Link{})
		n.parent.drop = 4 // all four relayers' first submissions of checkpoint 10
		n.start(10)
		n.runUntil(10, 200)
		subs, c := n.parent.submitted[10], n.parent.commits[0]
		// Chosen (1) at once, then 2, 3, 0 one delay apart, then 1 again when
		// its CommitTimeout ran out without a commit.
		if want := []int{1, 2, 3, 0, 1}; !slices.Equal(subs, want) {
			t.Fatalf("submitters %v, want %v", subs, want)
		}
		if c.By != 1 || c.Tick != DefaultCommitTimeout {
			t.Fatalf("committed by %d at tick %d, want the chosen's retry at %d", c.By, c.Tick, DefaultCommitTimeout)
		}
	})
	t.Run("failed", func(t *testing.T) {
		n := newNetwork(t, 1, testParams, &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Link{})
		n.parent.fail = 2
		n.start(20)
		n.runUntil(20, 200)
		if subs := n.parent.submitted[10]; len(subs) != 3 {
			t.Fatalf("checkpoint 10 submitted %d times, want 3 (two failures)", len(subs))
		}
		if c := n.parent.commits[0]; c.Tick != 2*DefaultSubmitDelay {
			t.Fatalf("committed at tick %d, want %d (two retries one delay apart)", c.Tick, 2*DefaultSubmitDelay)
		}
		checkCommits(t, n, 0, 20)
	})
}

// A parent 100 periods behind is caught up by relayers started from nothing,
// in order, one submission each, with messages carried over between
// checkpoints whenever a period holds more than the cap.
func TestCatchUpHundredPeriods(t *testing.T) {
	p := Params{Subnet: testSubnet, Period: 10, MaxMessages: 25}
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(3)} // 30 a period: carried over
	chain := expectedChain(t, view, p, 1300)
	base := chain[29].Link // the parent last committed checkpoint 300
	n := newNetwork(t, 4, p, view, base)
	view.minHeader = 0
	n.start(1305)
	n.runUntil(1300, 1000)
	lowest := view.minHeader
	checkCommits(t, n, 300, 1300)
	if len(n.parent.commits) != 100 {
		t.Fatalf("%d commits, want 100", len(n.parent.commits))
	}
	for _, c := range n.parent.commits {
		if subs := n.parent.submitted[c.Height]; len(subs) != 1 || c.By != n.chosen(c.Height) {
			t.Errorf("checkpoint %d submitted by %v, want only the chosen %d", c.Height, subs, n.chosen(c.Height))
		}
		if c.Msgs != 25 {
			t.Errorf("checkpoint %d carried %d messages, want the cap of 25", c.Height, c.Msgs)
		}
	}
	if want := chain[129].Link.UpNonce; n.parent.last.UpNonce != want || want != 130*25 {
		t.Errorf("parent applied up to %d, want %d", n.parent.last.UpNonce, want)
	}
	if lowest <= 300 {
		t.Errorf("relayers read header %d, at or below the parent's checkpoint at 300", lowest)
	}
}

// A relayer restarted with no memory signs the same bytes it signed before;
// one restarted with its record refuses a checkpoint that differs.
func TestRestart(t *testing.T) {
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(2)}
	n := newNetwork(t, 4, testParams, view, Link{})
	n.parent.drop = 1 << 30 // the parent is unreachable: nothing commits
	n.start(100)
	n.runUntil(0, 3)
	before := n.gossip[0]
	if len(before) != 10 {
		t.Fatalf("relayer 0 signed %d checkpoints, want 10", len(before))
	}

	t.Run("no memory", func(t *testing.T) {
		n.relayers[0] = n.newRelayer(0, nil)
		n.gossip[0] = map[uint64][][]byte{}
		n.start(100)
		n.settle()
		for h, msgs := range before {
			if got := n.gossip[0][h]; len(got) == 0 || !bytes.Equal(got[0], msgs[0]) {
				t.Fatalf("after a restart relayer 0 signed checkpoint %d differently or not at all", h)
			}
		}
		n.parent.drop = 0
		n.runUntil(100, 200)
		checkCommits(t, n, 0, 100)
	})

	t.Run("conflicting view", func(t *testing.T) {
		other := &fakeView{Subnet: testSubnet, UpAt: perBlock(2), Salt: 9} // another history
		cfg := n.config(0, []Signed{{Height: 110, Hash: expectedChain(t, view, testParams, 110)[10].Link.Hash}})
		cfg.View = other
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Step(ParentCommitted(expectedChain(t, other, testParams, 100)[9].Link)); err != nil {
			t.Fatal(err)
		}
		err = r.Step(Final{Height: 120})
		if !errors.Is(err, ErrConflictingCheckpoint) {
			t.Fatalf("signing a second checkpoint at 110: %v, want ErrConflictingCheckpoint", err)
		}
		rd := r.Ready()
		for _, g := range rd.Gossip {
			if s, _ := types.DecodeCheckpointSignature(g); s.Height == 110 {
				t.Fatal("relayer gossiped a signature of a second checkpoint at 110")
			}
		}
		if len(rd.Persist) != 1 || rd.Persist[0].Height != 120 {
			t.Fatalf("persisted %+v, want only checkpoint 120", rd.Persist)
		}
	})

	t.Run("corrupt record", func(t *testing.T) {
		cfg := n.config(0, []Signed{{Height: 10, Hash: [32]byte{1}}, {Height: 10, Hash: [32]byte{2}}})
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Fatalf("two records at one height: %v, want ErrConfig", err)
		}
	})
}

// A node that holds no seat relays quorums it sees, after every signer had
// its turn, and never signs.
func TestNonSignerRelaysLast(t *testing.T) {
	n := newNetwork(t, 4, testParams, &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Link{})
	cfg := n.config(0, nil)
	cfg.Key = testKey(t, 99)
	n.relayers[0] = nil
	watcher, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// Only 1, 2, 3 run: a quorum. Drop every submission from them so the
	// watcher's turn (distance 4) comes.
	n.parent.drop = 1 << 30
	n.start(10)
	n.relayers = append(n.relayers, watcher)
	n.persisted = append(n.persisted, nil)
	n.gossip = append(n.gossip, map[uint64][][]byte{})
	n.step(4, ParentCommitted(Link{}))
	n.step(4, Final{Height: 10})
	for i := 1; i < 4; i++ {
		for _, g := range n.gossip[i][10] {
			n.step(4, PeerSignature{Data: g})
		}
	}
	for n.tick < 4*DefaultSubmitDelay {
		n.settle()
		n.tick++
		for _, r := range n.relayers {
			if r != nil {
				checkedTick(t, r)
			}
		}
	}
	n.parent.drop = 0
	n.settle()
	if len(n.persisted[4]) != 0 || len(n.gossip[4]) != 0 {
		t.Fatal("a node without a seat signed")
	}
	if len(n.parent.commits) != 1 || n.parent.commits[0].By != 4 || n.parent.commits[0].Tick != 4*DefaultSubmitDelay {
		t.Fatalf("commits %+v, want the watcher's at tick %d", n.parent.commits, 4*DefaultSubmitDelay)
	}
}

// signature returns an encoded signature message of checkpoint b by key as
// validator index.
func signature(t *testing.T, b *Built, key *crypto.BLSSecretKey, index uint32) []byte {
	return signatureB(t, b, key, index)
}

func signatureB(t testing.TB, b *Built, key *crypto.BLSSecretKey, index uint32) []byte {
	t.Helper()
	return encodeSig(t, &types.CheckpointSignature{
		Subnet: string(testSubnet), Height: b.Link.Height, Hash: b.Link.Hash, Validator: index,
		Signature: key.Sign(b.Checkpoint.SigningBytes("devnet")),
	})
}

func encodeSig(t testing.TB, s *types.CheckpointSignature) []byte {
	t.Helper()
	enc, err := types.EncodeCheckpointSignature(s)
	if err != nil {
		t.Fatal(err)
	}
	return enc
}

// Forged, misaddressed, unknown-signer and duplicate signatures are
// rejected with their sentinel and never counted.
func TestPeerSignatureChecks(t *testing.T) {
	keys := testKeys(t, 5) // key 4 holds no seat
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	signers := newSigners(keys[:4])
	r, err := New(Config{Params: testParams, View: view, Signers: signers, Key: keys[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Step(ParentCommitted(Link{})); err != nil {
		t.Fatal(err)
	}
	if err := r.Step(Final{Height: 10}); err != nil {
		t.Fatal(err)
	}
	r.Advance()
	chain := expectedChain(t, view, testParams, 30)
	b10, b20 := chain[0], chain[1]
	power := func() uint64 { return r.Status().NextPower }
	if power() != 10 {
		t.Fatalf("own signature counts %d, want 10", power())
	}

	mutate := func(f func(s *types.CheckpointSignature)) []byte {
		s := &types.CheckpointSignature{
			Subnet: string(testSubnet), Height: 10, Hash: b10.Link.Hash, Validator: 2,
			Signature: keys[2].Sign(b10.Checkpoint.SigningBytes("devnet")),
		}
		f(s)
		return encodeSig(t, s)
	}
	otherMsg := keys[2].Sign(b20.Checkpoint.SigningBytes("devnet"))
	otherNet := keys[2].Sign(b10.Checkpoint.SigningBytes("testnet"))
	cases := []struct {
		name  string
		data  []byte
		want  error
		fault bool
	}{
		{"garbage", []byte{0xc1, 0x80}, ErrMalformedSignature, true},
		{"other subnet", mutate(func(s *types.CheckpointSignature) { s.Subnet = "/devnet/other" }), ErrWrongSubnet, true},
		{"not a checkpoint height", mutate(func(s *types.CheckpointSignature) { s.Height = 15 }), ErrWrongHeight, true},
		{"height zero", mutate(func(s *types.CheckpointSignature) { s.Height = 0 }), ErrWrongHeight, true},
		{"far ahead", mutate(func(s *types.CheckpointSignature) { s.Height = 10 * (2*DefaultWindow + 1) }), ErrWrongHeight, true},
		{"other checkpoint", mutate(func(s *types.CheckpointSignature) { s.Hash[0] ^= 1 }), ErrUnknownCheckpoint, false},
		{"unknown validator", mutate(func(s *types.CheckpointSignature) {
			s.Validator, s.Signature = 4, keys[4].Sign(b10.Checkpoint.SigningBytes("devnet"))
		}), ErrUnknownValidator, true},
		{"wrong key", mutate(func(s *types.CheckpointSignature) { s.Signature = keys[3].Sign(b10.Checkpoint.SigningBytes("devnet")) }), ErrForgedSignature, true},
		{"wrong message", mutate(func(s *types.CheckpointSignature) { s.Signature = otherMsg }), ErrForgedSignature, true},
		{"wrong network", mutate(func(s *types.CheckpointSignature) { s.Signature = otherNet }), ErrForgedSignature, true},
		{"not a point", mutate(func(s *types.CheckpointSignature) { s.Signature = bytes.Repeat([]byte{0xaa}, 96) }), ErrForgedSignature, true},
		{"short", mutate(func(s *types.CheckpointSignature) { s.Signature = s.Signature[:95] }), ErrForgedSignature, true},
		{"own index", signature(t, b10, keys[0], 0), ErrDuplicateSignature, false},
	}
	for _, c := range cases {
		err := r.Step(PeerSignature{Data: c.data})
		if !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
		if PeerFault(err) != c.fault {
			t.Errorf("%s: PeerFault = %v", c.name, !c.fault)
		}
		if power() != 10 {
			t.Fatalf("%s: counted: power %d", c.name, power())
		}
	}

	// A forged signature for validator 2 did not block its real one.
	if err := r.Step(PeerSignature{Data: signature(t, b10, keys[2], 2)}); err != nil {
		t.Fatal(err)
	}
	if err := r.Step(PeerSignature{Data: signature(t, b10, keys[2], 2)}); !errors.Is(err, ErrDuplicateSignature) || PeerFault(err) {
		t.Fatalf("the same signature again: %v, want ErrDuplicateSignature", err)
	}
	if power() != 20 || r.Status().NextQuorum || r.HasReady() {
		t.Fatalf("two of four signed: power %d, quorum %v, ready %v", power(), r.Status().NextQuorum, r.HasReady())
	}

	// Early signatures for 20 are held, and checked once 20 is built: the
	// forged one is dropped, the good ones count.
	for _, d := range [][]byte{signature(t, b20, keys[3], 1), signature(t, b20, keys[1], 1), signature(t, b20, keys[2], 2)} {
		if err := r.Step(PeerSignature{Data: d}); err != nil {
			t.Fatalf("early signature: %v", err)
		}
	}
	if err := r.Step(PeerSignature{Data: signature(t, b20, keys[2], 2)}); !errors.Is(err, ErrDuplicateSignature) {
		t.Fatalf("an early copy: %v, want ErrDuplicateSignature", err)
	}
	if err := r.Step(Final{Height: 20}); err != nil {
		t.Fatal(err)
	}
	if rd := r.rounds[20]; rd.power != 30 || !rd.quorum || len(rd.sigs) != 3 {
		t.Fatalf("checkpoint 20: power %d from %d signers, want 30 from own, 1 and 2", rd.power, len(rd.sigs))
	}

	// The third signer of 10 makes a quorum. Relayer 0 is third in line
	// after the chosen 1, so its submission comes after three delays, and
	// carries exactly the valid signers.
	r.Advance()
	if err := r.Step(PeerSignature{Data: signature(t, b10, keys[3], 3)}); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3*DefaultSubmitDelay; i++ {
		if len(r.Ready().Submit) != 0 {
			t.Fatalf("relayer 0 submitted at tick %d, before its turn", i)
		}
		checkedTick(t, r)
	}
	subs := r.Ready().Submit
	if len(subs) != 1 || subs[0].Height != 10 {
		t.Fatalf("submissions %+v, want one of checkpoint 10", subs)
	}
	if bm := crypto.Bitmap(subs[0].Bitmap); bm.Count() != 3 || bm.Has(1) || !bm.Has(0) || !bm.Has(2) || !bm.Has(3) {
		t.Fatalf("bitmap %08b, want validators 0, 2 and 3", subs[0].Bitmap)
	}
	if _, err := crypto.VerifyQuorum(signers.keys, signers.powers, subs[0].Bitmap, b10.Checkpoint.SigningBytes("devnet"), subs[0].Aggregate); err != nil {
		t.Fatalf("certificate does not verify: %v", err)
	}

	// Once the parent committed 10, signatures for it are stale, not faults.
	if err := r.Step(ParentCommitted(b10.Link)); err != nil {
		t.Fatal(err)
	}
	if err := r.Step(PeerSignature{Data: signature(t, b10, keys[1], 1)}); !errors.Is(err, ErrStale) || PeerFault(err) {
		t.Fatalf("signature of a committed checkpoint: %v, want ErrStale", err)
	}
}

func TestPeerSignatureBufferIsBounded(t *testing.T) {
	keys := testKeys(t, 4)
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	r, err := New(Config{Params: testParams, View: view, Signers: newSigners(keys), Key: keys[0], MaxBuffered: 3})
	if err != nil {
		t.Fatal(err)
	}
	b := expectedChain(t, view, testParams, 10)[0]
	for i := range 3 {
		if err := r.Step(PeerSignature{Data: signature(t, b, keys[i+1], uint32(i+1))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Step(PeerSignature{Data: signature(t, b, keys[1], 0)}); !errors.Is(err, ErrBufferFull) {
		t.Fatalf("fourth early signature: %v, want ErrBufferFull", err)
	}
	// Held until the parent is known and 10 is final: then they count.
	if err := errors.Join(r.Step(ParentCommitted(Link{})), r.Step(Final{Height: 10})); err != nil {
		t.Fatal(err)
	}
	if s := r.Status(); s.NextPower != 40 || !s.NextQuorum {
		t.Fatalf("status %+v, want all four signatures counted", s)
	}
	if r.nFuture != 0 {
		t.Fatalf("%d signatures still held", r.nFuture)
	}
}

func TestParentMismatchIsReported(t *testing.T) {
	keys := testKeys(t, 4)
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	r, err := New(Config{Params: testParams, View: view, Signers: newSigners(keys), Key: keys[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(r.Step(ParentCommitted(Link{})), r.Step(Final{Height: 30})); err != nil {
		t.Fatal(err)
	}
	r.Advance()
	bad := Link{Height: 10, Hash: [32]byte{7}, UpNonce: 10}
	err = r.Step(ParentCommitted(bad))
	if !errors.Is(err, ErrChainMismatch) {
		t.Fatalf("parent committed a checkpoint this node did not build: %v, want ErrChainMismatch", err)
	}
	// It follows the parent, and refuses to re-sign 20 and 30 differently.
	if !errors.Is(err, ErrConflictingCheckpoint) || !strings.Contains(err.Error(), "height 20") {
		t.Fatalf("rebuilding over signed heights: %v, want ErrConflictingCheckpoint at 20", err)
	}
	if len(r.Ready().Gossip) != 0 {
		t.Fatal("signed again after the parent diverged")
	}
	if err := r.Step(ParentCommitted{Height: 15}); !errors.Is(err, ErrWrongHeight) {
		t.Fatalf("parent at a height off the period: %v", err)
	}
}

func TestNewAndStepRejectBadInput(t *testing.T) {
	keys := testKeys(t, 1)
	good := Config{Params: testParams, View: &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Signers: newSigners(keys)}
	for name, cfg := range map[string]Config{
		"no view":          {Params: testParams, Signers: good.Signers},
		"no signers":       {Params: testParams, View: good.View},
		"no period":        {Params: Params{Subnet: testSubnet}, View: good.View, Signers: good.Signers},
		"negative buffer":  {Params: testParams, View: good.View, Signers: good.Signers, MaxBuffered: -1},
		"root has no peer": {Params: Params{Subnet: "/devnet", Period: 10}, View: good.View, Signers: good.Signers},
	} {
		if _, err := New(cfg); !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	r, err := New(good)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Step(nil); !errors.Is(err, ErrUnknownInput) {
		t.Errorf("nil input: %v", err)
	}
}

// A relayer signs at most Window checkpoints beyond the parent's last, so a
// long outage costs bounded memory and gossip.
func TestWindowBoundsSigning(t *testing.T) {
	p := testParams
	n := newNetwork(t, 4, p, &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Link{})
	for i := range n.relayers {
		cfg := n.config(i, nil)
		cfg.Window = 3
		r, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		n.relayers[i] = r
	}
	n.parent.drop = 1 << 30
	n.start(100)
	n.runUntil(0, 2)
	for i := range n.relayers {
		var hs []uint64
		for _, s := range n.persisted[i] {
			hs = append(hs, s.Height)
		}
		if !slices.Equal(hs, []uint64{10, 20, 30}) {
			t.Fatalf("relayer %d signed %v with the parent at 0 and a window of 3", i, hs)
		}
	}
	n.parent.drop = 0
	n.runUntil(100, 300)
	checkCommits(t, n, 0, 100)
}

// A signature lost in gossip is sent again: without it there is no quorum.
func TestLostSignatureIsResent(t *testing.T) {
	n := newNetwork(t, 4, testParams, &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}, Link{})
	n.relayers[1] = nil // 0, 2 and 3 hold 30 of 40: every one is needed
	for _, i := range []int{0, 2, 3} {
		n.lose[i] = 1 // the first signature of 10 reaches nobody
	}
	n.start(10)
	n.settle()
	for _, i := range []int{0, 2, 3} {
		if s := n.relayers[i].Status(); s.NextQuorum {
			t.Fatalf("relayer %d has a quorum on its own signature: %+v", i, s)
		}
	}
	n.runUntil(10, 2*DefaultResendInterval)
	checkCommits(t, n, 0, 10)
}

// Before it knows the parent's last checkpoint a relayer signs nothing; then
// it starts right above it.
func TestWaitsForParent(t *testing.T) {
	keys := testKeys(t, 4)
	view := &fakeView{Subnet: testSubnet, UpAt: perBlock(1)}
	base := expectedChain(t, view, testParams, 50)[4].Link
	view.minHeader = 0
	r, err := New(Config{Params: testParams, View: view, Signers: newSigners(keys), Key: keys[0]})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Step(Final{Height: 100}); err != nil {
		t.Fatal(err)
	}
	if r.HasReady() || view.minHeader != 0 {
		t.Fatalf("acted before knowing the parent: signed %d, read header %d", len(r.Ready().Persist), view.minHeader)
	}
	if err := r.Step(ParentCommitted(base)); err != nil {
		t.Fatal(err)
	}
	var hs []uint64
	for _, s := range r.Ready().Persist {
		hs = append(hs, s.Height)
	}
	if !slices.Equal(hs, []uint64{60, 70, 80, 90, 100}) {
		t.Fatalf("signed %v, want 60 to 100", hs)
	}
}
