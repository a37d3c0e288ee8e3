package light

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	"github.com/ethereum/go-ethereum/rlp"

	"github.com/aspen-chain/aspen/internal/testkeys"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/xnet"
)

func openClient(t testing.TB, f *fixture, url string, dir string, limits Limits) *Client {
	t.Helper()
	var st *Store
	if dir != "" {
		st = NewStore(dir)
	}
	c, err := Open(NewRemote(url, limits), st, f.gen)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestHonestServer: from the genesis, across the validator-set change at
// setChange (found by bisection: the new set holds a quarter of the trusted
// stake), the client proves user's balance and storage on /test/a; a second
// client resumes from what the first saved and trusts the new set.
func TestHonestServer(t *testing.T) {
	f := newFixture(t)
	srv := f.server(t, nil)
	dir := t.TempDir()
	c := openClient(t, f, srv.URL, dir, Limits{})
	type step struct{ trusted, target uint64 }
	var steps []step
	c.OnSync = func(trusted, target uint64) { steps = append(steps, step{trusted, target}) }
	p, err := c.Account(context.Background(), childID, user, userSlot)
	if err != nil {
		t.Fatal(err)
	}
	// The sync reports from the genesis up to the head, through the set
	// change it had to verify on the way, never going back.
	if len(steps) < 3 || steps[0] != (step{0, headAt}) || steps[len(steps)-1] != (step{headAt, headAt}) {
		t.Fatalf("sync progress %v: want (0,%d) first, (%d,%d) last, a step between", steps, headAt, headAt, headAt)
	}
	for i := 1; i < len(steps); i++ {
		if steps[i].trusted < steps[i-1].trusted || steps[i].target != headAt {
			t.Fatalf("sync progress %v went back or changed target", steps)
		}
	}
	if p.Account.Balance.Cmp(userBalance) != 0 || p.Storage[0] != userWord || p.Anchor.Height != f.cp.Height || p.Anchor.RootHeight != headAt {
		t.Fatalf("proved %+v, storage %v at %+v", p.Account, p.Storage, p.Anchor)
	}
	tr := c.Trusted()
	if tr.Height != headAt || tr.SetHeight != setChange || !sameSet(tr.Validators, validators(f.keysB)) {
		t.Fatalf("trusts %d with the set of %d", tr.Height, tr.SetHeight)
	}
	t.Logf("proof at depth 1 from the genesis: %+v = %d bytes", p.Sizes, p.Sizes.Total())

	again := openClient(t, f, srv.URL, dir, Limits{})
	if got := again.Trusted(); got.Height != headAt || got.SetHeight != setChange {
		t.Fatalf("resumed at %d (set of %d)", got.Height, got.SetHeight)
	}
	p2, err := again.Account(context.Background(), childID, user)
	if err != nil {
		t.Fatal(err)
	}
	if p2.Sizes.Headers >= p.Sizes.Headers {
		t.Fatalf("resuming downloaded %d header bytes, the first sync %d", p2.Sizes.Headers, p.Sizes.Headers)
	}
	t.Logf("proof at depth 1, steady state: %+v = %d bytes", p2.Sizes, p2.Sizes.Total())

	m, err := c.Message(context.Background(), f.msg.ID)
	if err != nil {
		t.Fatal(err)
	}
	if m.Msg.ID != f.msg.ID || m.Msg.Value.Cmp(f.msg.Value) != 0 || m.Checkpoint != f.cp.Height {
		t.Fatalf("proved message %+v", m)
	}
}

// reencode decodes a light block's header, lets edit change it and
// encodes it again (the certificate stays the honest one).
func reencode(answer any, edit func(h *types.Header)) any {
	lb := *answer.(*rawLightBlock)
	h := new(types.Header)
	if err := rlp.DecodeBytes(lb.Header, h); err != nil {
		panic(err)
	}
	edit(h)
	lb.Header, _ = rlp.EncodeToBytes(h)
	return &lb
}

// TestLies: each lie a server can tell is caught, with the error that names it.
func TestLies(t *testing.T) {
	f := newFixture(t)
	strangers := testkeys.BLSKeys(12)[8:] // a set the client never trusted
	cases := []struct {
		name string
		lie  lie
		want error
	}{
		{"forged header", func(m string, a any) any {
			if m != "aspen_getLightBlock" {
				return nil
			}
			return reencode(a, func(h *types.Header) { h.StateRoot = common.Hash{0xee} })
		}, ErrForgedHeader},
		{"header signed by a set without enough trusted stake", func(m string, a any) any {
			if m != "aspen_getLightBlock" {
				return nil
			}
			h := new(types.Header)
			_ = rlp.DecodeBytes(a.(*rawLightBlock).Header, h)
			h.StateRoot = common.Hash{0xee} // the strangers' own chain
			lb := &rawLightBlock{}
			lb.Header, _ = rlp.EncodeToBytes(h)
			lb.Commit, _ = types.EncodeCommit(certify(h, strangers))
			lb.Validators, _ = rlp.EncodeToBytes(validators(strangers))
			return lb
		}, ErrNotTrusted},
		{"a set change no header announced", func(m string, a any) any {
			lb, ok := a.(*rawLightBlock)
			if m != "aspen_getLightBlock" || !ok {
				return nil
			}
			h := new(types.Header)
			_ = rlp.DecodeBytes(lb.Header, h)
			if len(h.NextValidators) == 0 {
				return nil
			}
			h.NextValidators = nil // the same block, its announcement dropped and certified again
			out := &rawLightBlock{Validators: lb.Validators}
			out.Header, _ = rlp.EncodeToBytes(h)
			out.Commit, _ = types.EncodeCommit(certify(h, f.keysA))
			return out
		}, ErrNotTrusted},
		{"checkpoint not committed on the parent", func(m string, a any) any {
			if m != "aspen_getCheckpointProof" {
				return nil
			}
			p := *a.(*rawCheckpointProof)
			cp := *f.cp
			cp.StateRoot = f.otherTrie.accounts.Hash()
			enc, _ := types.EncodeCheckpoint(&cp)
			p.Checkpoints = []hexutil.Bytes{enc}
			return &p
		}, ErrCheckpoint},
		{"state root from another height", func(m string, a any) any {
			if m != "eth_getProof" {
				return nil
			}
			return f.otherTrie.prove(user, nil)
		}, ErrStateProof},
		{"tampered account proof", func(m string, a any) any {
			if m != "eth_getProof" {
				return nil
			}
			p := *a.(*rawAccountProof)
			p.AccountProof = append([]hexutil.Bytes(nil), p.AccountProof...)
			last := bytes.Clone(p.AccountProof[len(p.AccountProof)-1])
			last[len(last)-1] ^= 1
			p.AccountProof[len(p.AccountProof)-1] = last
			return &p
		}, ErrStateProof},
		{"tampered gateway proof", func(m string, a any) any {
			if m != "aspen_getCheckpointProof" {
				return nil
			}
			p := *a.(*rawCheckpointProof)
			p.StorageProof = append([]hexutil.Bytes(nil), p.StorageProof...)
			p.StorageProof[0] = bytes.Clone(p.StorageProof[0])
			p.StorageProof[0][5] ^= 1
			return &p
		}, ErrCheckpoint},
		{"huge answer", func(m string, a any) any {
			return bytes.Repeat([]byte("x"), 5<<20)
		}, ErrResponse},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := f.server(t, tc.lie)
			c := openClient(t, f, srv.URL, t.TempDir(), Limits{})
			p, err := c.Account(context.Background(), childID, user)
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v (proof %+v), want %v", err, p, tc.want)
			}
			t.Logf("caught: %v", err)
		})
	}

	t.Run("message proof for another message", func(t *testing.T) {
		srv := f.server(t, func(m string, a any) any {
			if m != "aspen_getCrossMsgProof" {
				return nil
			}
			other := f.cp.Messages[1]
			p, _ := xnet.ProveMessage(f.cp, other.ID)
			pj, _ := json.Marshal(p)
			return &rawCrossMsgProof{Proof: pj, Checkpoint: f.cpEnc, Parent: string(rootID)}
		})
		c := openClient(t, f, srv.URL, "", Limits{})
		if _, err := c.Message(context.Background(), f.msg.ID); !errors.Is(err, ErrMessageProof) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("message proof with a forged path", func(t *testing.T) {
		srv := f.server(t, func(m string, a any) any {
			if m != "aspen_getCrossMsgProof" {
				return nil
			}
			p, _ := xnet.ProveMessage(f.cp, f.msg.ID)
			p.Message.Value = (*hexutil.Big)(hexutil.MustDecodeBig("0x1000"))
			pj, _ := json.Marshal(p)
			return &rawCrossMsgProof{Proof: pj, Checkpoint: f.cpEnc, Parent: string(rootID)}
		})
		c := openClient(t, f, srv.URL, "", Limits{})
		if _, err := c.Message(context.Background(), f.msg.ID); !errors.Is(err, ErrMessageProof) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("slow answer", func(t *testing.T) {
		release := make(chan struct{})
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select { // answers only after the client gave up
			case <-r.Context().Done():
			case <-release:
			}
		}))
		defer srv.Close()
		defer close(release)
		c := openClient(t, f, srv.URL, "", Limits{Timeout: 100 * time.Millisecond})
		if _, err := c.Account(context.Background(), childID, user); !errors.Is(err, ErrResponse) {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("a header from below what was verified", func(t *testing.T) {
		dir := t.TempDir()
		honest := f.server(t, nil)
		if _, err := openClient(t, f, honest.URL, dir, Limits{}).Sync(context.Background()); err != nil {
			t.Fatal(err)
		}
		stale := f.server(t, func(m string, a any) any {
			if m == "aspen_getLightBlock" {
				return f.lightBlock(headAt - 5)
			}
			return nil
		})
		if _, err := openClient(t, f, stale.URL, dir, Limits{}).Sync(context.Background()); !errors.Is(err, ErrResponse) {
			t.Fatalf("got %v", err)
		}
	})
}
