package consensus

import (
	"errors"
	"strings"
	"testing"

	"github.com/aspen-chain/aspen/types"
)

func fakeKind(name string) Kind {
	return Kind{Name: name, New: func(Config) (Engine, error) { return nil, nil }}
}

// TestRegistry: registered kinds are found by name and listed sorted; an
// unknown name is ErrUnknownKind naming what is there; a duplicate or
// nameless registration panics at start-up.
func TestRegistry(t *testing.T) {
	Register(fakeKind("zz-test"))
	Register(fakeKind("aa-test"))
	k, err := LookupKind("zz-test")
	if err != nil || k.Name != "zz-test" {
		t.Fatalf("lookup: %+v, %v", k, err)
	}
	names := KindNames()
	if len(names) < 2 || names[0] != "aa-test" || names[len(names)-1] != "zz-test" {
		t.Fatalf("names %v not sorted", names)
	}
	_, err = LookupKind("raft")
	if !errors.Is(err, ErrUnknownKind) || !strings.Contains(err.Error(), `"raft"`) || !strings.Contains(err.Error(), "aa-test, zz-test") {
		t.Fatalf("unknown kind: %v", err)
	}
	for name, k := range map[string]Kind{"duplicate": fakeKind("aa-test"), "no name": fakeKind(""), "upper case": fakeKind("BFT"), "no constructor": {Name: "x-test"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: Register did not panic", name)
				}
			}()
			Register(k)
		}()
	}
}

// TestKindEvidence: evidence goes to the named kind's decoder and its
// Verify; a kind without evidence and an unknown kind are errors.
func TestKindEvidence(t *testing.T) {
	verified := false
	ev := Kind{Name: "votes", Evidence: func(subnet types.SubnetID, payload []byte) (Offence, error) {
		if string(payload) != "ok" {
			return Offence{}, errors.New("bad payload")
		}
		return Offence{Key: []byte{7}, Height: 9, What: "double " + string(subnet), Verify: func() error { verified = true; return nil }}, nil
	}}
	ks := KindEvidence{fakeKind("quiet"), ev}
	key, height, what, err := ks.DecodeEvidence("votes", "/n/c", []byte("ok"))
	if err != nil || string(key) != "\x07" || height != 9 || what != "double /n/c" || verified {
		t.Fatalf("decode: %x %d %q %v (verified before asked: %v)", key, height, what, err, verified)
	}
	if err := ks.VerifyEvidence("votes", "/n/c", []byte("ok")); err != nil || !verified {
		t.Fatalf("verify: %v, verified %v", err, verified)
	}
	if _, _, _, err := ks.DecodeEvidence("votes", "/n/c", []byte("no")); err == nil {
		t.Fatal("the kind's decoder was not consulted")
	}
	if _, _, _, err := ks.DecodeEvidence("quiet", "/n/c", []byte("ok")); !errors.Is(err, ErrNoEvidence) {
		t.Fatalf("kind without evidence: %v", err)
	}
	if _, _, _, err := ks.DecodeEvidence("pow", "/n/c", []byte("ok")); !errors.Is(err, ErrUnknownKind) {
		t.Fatalf("unknown kind: %v", err)
	}
}

// TestCheckBlockBody: a kind's own body check is used when it has one (so
// an engine's limits apply); without one the engine-neutral types.CheckBody
// checks the evidence and the application's part.
func TestCheckBlockBody(t *testing.T) {
	b := &types.Block{Header: &types.Header{Height: 1}}
	limit := errors.New("engine limit")
	own := Kind{CheckBody: func(*types.Block, func(*types.Block) error) error { return limit }}
	if err := own.CheckBlockBody(b, nil); !errors.Is(err, limit) {
		t.Fatalf("the kind's own check was not used: %v", err)
	}
	var neutral Kind
	if err := neutral.CheckBlockBody(b, nil); err != nil {
		t.Fatalf("genuine body: %v", err)
	}
	swapped := &types.Block{Header: b.Header, Evidence: [][]byte{{0xc0}}}
	if err := neutral.CheckBlockBody(swapped, nil); !errors.Is(err, ErrBadBody) {
		t.Fatalf("evidence the header does not commit to: %v", err)
	}
	app := errors.New("app")
	if err := neutral.CheckBlockBody(b, func(*types.Block) error { return app }); !errors.Is(err, ErrBadBody) || !errors.Is(err, app) {
		t.Fatalf("the application's check was not run: %v", err)
	}
}
