package libp2p

import (
	"crypto/rand"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	libp2pcrypto "github.com/libp2p/go-libp2p/core/crypto"
	"github.com/libp2p/go-libp2p/core/peer"
)

var (
	// ErrIdentityExists reports that GenerateIdentity would overwrite a key:
	// a node's peer ID is how others know it, so replacing it must be a
	// deliberate act (delete the file first).
	ErrIdentityExists = errors.New("libp2p: identity file already exists")
	// ErrIdentityFile reports an identity file that cannot be read or parsed.
	ErrIdentityFile = errors.New("libp2p: identity file")
)

// GenerateIdentity makes a new Ed25519 libp2p key, writes it to path (the
// protobuf encoding of crypto.MarshalPrivateKey, mode 0600, parent directory
// created) and returns its peer ID. It never overwrites an existing file.
func GenerateIdentity(path string) (peerID string, err error) {
	key, _, err := libp2pcrypto.GenerateEd25519Key(rand.Reader)
	if err != nil {
		return "", fmt.Errorf("libp2p: generate identity: %w", err)
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("libp2p: peer id: %w", err)
	}
	data, err := libp2pcrypto.MarshalPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("libp2p: marshal identity: %w", err)
	}
	if err := writeNewSecretFile(path, data); err != nil {
		return "", err
	}
	return id.String(), nil
}

// LoadIdentity returns the peer ID of the key in path.
func LoadIdentity(path string) (peerID string, err error) {
	key, err := LoadIdentityKey(path)
	if err != nil {
		return "", err
	}
	id, err := peer.IDFromPrivateKey(key)
	if err != nil {
		return "", fmt.Errorf("%w: %s: peer id: %w", ErrIdentityFile, path, err)
	}
	return id.String(), nil
}

// LoadIdentityKey returns the private key in path, for the libp2p host.
func LoadIdentityKey(path string) (libp2pcrypto.PrivKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrIdentityFile, err)
	}
	key, err := libp2pcrypto.UnmarshalPrivateKey(data)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrIdentityFile, path, err)
	}
	return key, nil
}

// LoadOrGenerateIdentityKey returns the key in path, creating it first if the
// file does not exist. It is what a node calls at start-up.
func LoadOrGenerateIdentityKey(path string) (libp2pcrypto.PrivKey, error) {
	key, err := LoadIdentityKey(path)
	if err == nil || !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	if _, err := GenerateIdentity(path); err != nil && !errors.Is(err, ErrIdentityExists) {
		return nil, err
	}
	return LoadIdentityKey(path)
}

// writeNewSecretFile writes data to path with mode 0600 without ever leaving a
// partial file there: it writes a temporary file, syncs it, and hard-links it
// into place, which fails if path already exists.
func writeNewSecretFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrIdentityFile, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrIdentityFile, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp)
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Chmod(0o600)
	}
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr != nil {
		return fmt.Errorf("%w: %w", ErrIdentityFile, werr)
	}
	if err := os.Link(tmp, path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%w: %s", ErrIdentityExists, path)
		}
		return fmt.Errorf("%w: %w", ErrIdentityFile, err)
	}
	return nil
}
