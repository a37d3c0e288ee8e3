package wal

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func entries(es ...string) [][]byte {
	out := make([][]byte, len(es))
	for i, e := range es {
		out[i] = []byte(e)
	}
	return out
}

func equal(a, b [][]byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !bytes.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

func TestAppendReopenTruncate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consensus.wal")
	w, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	must(t, w.Append(5, entries("prevote 5/0")))
	must(t, w.Append(5, entries("precommit 5/0", "prevote 5/1")))
	must(t, w.Append(6, entries("prevote 6/0")))
	w.Close()

	w, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.Entries(4); !equal(got, entries("prevote 5/0", "precommit 5/0", "prevote 5/1", "prevote 6/0")) {
		t.Fatalf("after reopen: %q", got)
	}
	if got := w.Entries(5); !equal(got, entries("prevote 6/0")) {
		t.Fatalf("entries after height 5: %q", got)
	}
	must(t, w.Truncate(5))
	must(t, w.Append(6, entries("precommit 6/0")))
	w.Close()
	w, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if got := w.Entries(0); !equal(got, entries("prevote 6/0", "precommit 6/0")) {
		t.Fatalf("after truncate and reopen: %q", got)
	}
	must(t, w.Truncate(6))
	if info, _ := os.Stat(path); info.Size() != 0 {
		t.Fatalf("log is %d bytes after truncating everything", info.Size())
	}
}

// TestTornTailIsCut: a crash mid-append loses only the record being written;
// everything synced before it survives and appends continue cleanly.
func TestTornTailIsCut(t *testing.T) {
	for cut := 1; cut < 20; cut++ {
		path := filepath.Join(t.TempDir(), "consensus.wal")
		w, _ := Open(path)
		must(t, w.Append(1, entries("vote a")))
		must(t, w.Append(1, entries("vote b, which will be torn")))
		w.Close()
		info, _ := os.Stat(path)
		must(t, os.Truncate(path, info.Size()-int64(cut)))
		w, err := Open(path)
		if err != nil {
			t.Fatalf("cut %d: %v", cut, err)
		}
		if got := w.Entries(0); !equal(got, entries("vote a")) {
			t.Fatalf("cut %d: entries %q, want only the whole record", cut, got)
		}
		must(t, w.Append(1, entries("vote c")))
		w.Close()
		w, _ = Open(path)
		if got := w.Entries(0); !equal(got, entries("vote a", "vote c")) {
			t.Fatalf("cut %d: after append %q", cut, got)
		}
		w.Close()
	}
}

func TestCorruptionInTheMiddleIsRefused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "consensus.wal")
	w, _ := Open(path)
	must(t, w.Append(1, entries("vote a", "vote b")))
	w.Close()
	data, _ := os.ReadFile(path)
	data[10] ^= 0xff // inside the first record's body
	must(t, os.WriteFile(path, data, 0o600))
	if _, err := Open(path); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Open of a corrupt log: %v, want ErrCorrupt", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
