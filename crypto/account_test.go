package crypto

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	gethcrypto "github.com/ethereum/go-ethereum/crypto"
)

func TestAccountKeyRoundTrip(t *testing.T) {
	key, err := NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "keys", "account.json")
	if err := SaveAccountKey(path, key, "pw"); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Fatalf("key file mode %o, want 600", mode)
	}
	got, err := LoadAccountKey(path, "pw")
	if err != nil {
		t.Fatal(err)
	}
	if got.D.Cmp(key.D) != 0 {
		t.Fatal("loaded key differs from saved key")
	}
	if gethcrypto.PubkeyToAddress(got.PublicKey) != gethcrypto.PubkeyToAddress(key.PublicKey) {
		t.Fatal("loaded address differs")
	}

	if _, err := LoadAccountKey(path, "wrong"); !errors.Is(err, ErrKeyDecrypt) {
		t.Fatalf("wrong password: got %v, want ErrKeyDecrypt", err)
	}
	if _, err := LoadAccountKey(filepath.Join(t.TempDir(), "missing"), ""); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("missing file: got %v, want ErrKeyFile", err)
	}
}

func TestAccountKeyEmptyPassword(t *testing.T) {
	key, err := NewAccountKey()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "k.json")
	if err := SaveAccountKey(path, key, ""); err != nil {
		t.Fatal(err)
	}
	// Overwriting an existing file must work (the write goes through a rename).
	if err := SaveAccountKey(path, key, ""); err != nil {
		t.Fatal(err)
	}
	got, err := LoadAccountKey(path, "")
	if err != nil {
		t.Fatal(err)
	}
	if got.D.Cmp(key.D) != 0 {
		t.Fatal("loaded key differs from saved key")
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want only the key file (temp files left behind?)", len(entries))
	}
}

func TestLoadAccountKeyGarbage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.json")
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadAccountKey(path, ""); !errors.Is(err, ErrKeyFile) {
		t.Fatalf("got %v, want ErrKeyFile", err)
	}
}
