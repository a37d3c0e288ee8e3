package libp2p

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	libp2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

func TestIdentityRoundTrip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "p2p", "identity.key")
	id, err := GenerateIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := peer.Decode(id); err != nil {
		t.Fatalf("peer id %q does not decode: %v", id, err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if mode := st.Mode().Perm(); mode != 0o600 {
		t.Fatalf("identity file mode %o, want 600", mode)
	}
	loaded, err := LoadIdentity(path)
	if err != nil {
		t.Fatal(err)
	}
	if loaded != id {
		t.Fatalf("loaded peer id %s, want %s", loaded, id)
	}
	key, err := LoadIdentityKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if key.Type() != libp2pcrypto.Ed25519 {
		t.Fatalf("key type %v, want Ed25519", key.Type())
	}
	fromKey, err := peer.IDFromPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	if fromKey.String() != id {
		t.Fatalf("key gives peer id %s, want %s", fromKey, id)
	}
	// The loaded key signs for the peer ID's public key.
	sig, err := key.Sign([]byte("hello"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := fromKey.ExtractPublicKey()
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := pub.Verify([]byte("hello"), sig); err != nil || !ok {
		t.Fatalf("signature by the loaded key does not verify under the peer id: %v", err)
	}

	// A second identity at the same path is refused and the first survives.
	if _, err := GenerateIdentity(path); !errors.Is(err, ErrIdentityExists) {
		t.Fatalf("overwrite: got %v, want ErrIdentityExists", err)
	}
	if again, err := LoadIdentity(path); err != nil || again != id {
		t.Fatalf("after refused overwrite: %s, %v; want %s", again, err, id)
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Fatalf("directory holds %d entries, want 1 (temp files left behind?)", len(entries))
	}

	// Two generated identities differ.
	other, err := GenerateIdentity(filepath.Join(dir, "other.key"))
	if err != nil {
		t.Fatal(err)
	}
	if other == id {
		t.Fatal("two generated identities are equal")
	}
}

func TestLoadIdentityErrors(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadIdentity(filepath.Join(dir, "missing")); !errors.Is(err, ErrIdentityFile) {
		t.Fatalf("missing: got %v, want ErrIdentityFile", err)
	}
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("not a key"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadIdentityKey(bad); !errors.Is(err, ErrIdentityFile) {
		t.Fatalf("garbage: got %v, want ErrIdentityFile", err)
	}
}

func TestLoadOrGenerateIdentityKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "identity.key")
	k1, err := LoadOrGenerateIdentityKey(path)
	if err != nil {
		t.Fatal(err)
	}
	k2, err := LoadOrGenerateIdentityKey(path)
	if err != nil {
		t.Fatal(err)
	}
	if !k1.Equals(k2) {
		t.Fatal("second call made a new key instead of loading the first")
	}
	bad := filepath.Join(t.TempDir(), "bad")
	if err := os.WriteFile(bad, []byte("junk"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadOrGenerateIdentityKey(bad); !errors.Is(err, ErrIdentityFile) {
		t.Fatalf("corrupt file: got %v, want ErrIdentityFile (must not be replaced)", err)
	}
}
