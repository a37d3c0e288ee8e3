package private

import (
	"errors"
	"testing"
)

func TestSharedStateCommitment(t *testing.T) {
	a, b := addr(t, 1), addr(t, 2)
	state := []Entry{{[]byte("alice"), []byte{10}}, {[]byte("bob"), []byte{20}}, {[]byte("carol"), nil}}
	mine, err := CommitSharedState(testCtx, 100, a, b, state)
	if err != nil {
		t.Fatal(err)
	}
	reordered := []Entry{state[2], state[0], state[1]}
	theirs, err := CommitSharedState(testCtx, 100, b, a, reordered)
	if err != nil {
		t.Fatal(err)
	}
	if err := CompareCommitments(mine, theirs); err != nil {
		t.Fatalf("same state, other order and other side: %v", err)
	}
	if string(state[0].Key) != "alice" {
		t.Fatal("CommitSharedState reordered its input")
	}

	changed := []Entry{state[0], {[]byte("bob"), []byte{21}}, state[2]}
	diverged, _ := CommitSharedState(testCtx, 100, b, a, changed)
	if err := CompareCommitments(mine, diverged); !errors.Is(err, ErrStateDiverged) {
		t.Fatalf("one value differs: %v, want ErrStateDiverged", err)
	}
	dropped, _ := CommitSharedState(testCtx, 100, a, b, state[:2])
	if err := CompareCommitments(mine, dropped); !errors.Is(err, ErrStateDiverged) {
		t.Fatalf("one entry missing: %v, want ErrStateDiverged", err)
	}
	// Length prefixes: moving a byte from a key to its value changes the root.
	x, _ := CommitSharedState(testCtx, 1, a, b, []Entry{{[]byte("ab"), []byte("c")}})
	y, _ := CommitSharedState(testCtx, 1, a, b, []Entry{{[]byte("a"), []byte("bc")}})
	if x.Root == y.Root {
		t.Fatal("ambiguous encoding: (ab,c) and (a,bc) commit alike")
	}
	later, _ := CommitSharedState(testCtx, 101, a, b, state)
	if err := CompareCommitments(mine, later); !errors.Is(err, ErrNotComparable) {
		t.Fatalf("different heights: %v, want ErrNotComparable", err)
	}
	if later.Root == mine.Root {
		t.Fatal("the height is not committed")
	}
	if _, err := CommitSharedState(testCtx, 1, a, b, []Entry{{[]byte("k"), nil}, {[]byte("k"), []byte{1}}}); !errors.Is(err, ErrDuplicateKey) {
		t.Fatalf("duplicate key: %v", err)
	}
	if _, err := CommitSharedState(testCtx, 1, a, a, nil); !errors.Is(err, ErrSelfCommitment) {
		t.Fatalf("pair of one: %v", err)
	}
}
