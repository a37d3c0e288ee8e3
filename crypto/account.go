package crypto

import (
	"crypto/ecdsa"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/accounts/keystore"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/google/uuid"
)

var (
	// ErrKeyFile reports a key file that cannot be read, parsed or written.
	ErrKeyFile = errors.New("crypto: key file")
	// ErrKeyDecrypt reports a keystore file whose password does not match.
	ErrKeyDecrypt = errors.New("crypto: cannot decrypt keystore file (wrong password?)")
)

// Keystore scrypt parameters. Devnets use the empty password, so the light
// parameters keep start-up fast; a keystore file records its own parameters,
// so files written with the standard ones still load.
const (
	keystoreScryptN = keystore.LightScryptN
	keystoreScryptP = keystore.LightScryptP
)

// NewAccountKey returns a fresh secp256k1 account key from crypto/rand.
func NewAccountKey() (*ecdsa.PrivateKey, error) {
	key, err := gethcrypto.GenerateKey()
	if err != nil {
		return nil, fmt.Errorf("crypto: generate account key: %w", err)
	}
	return key, nil
}

// SaveAccountKey writes key to path as an encrypted keystore v3 file with mode
// 0600, creating the parent directory if needed. The write is atomic: a crash
// leaves either the old file or the new one.
func SaveAccountKey(path string, key *ecdsa.PrivateKey, password string) error {
	if key == nil {
		return fmt.Errorf("%w: nil key for %s", ErrKeyFile, path)
	}
	id, err := uuid.NewRandom()
	if err != nil {
		return fmt.Errorf("crypto: key id: %w", err)
	}
	k := &keystore.Key{
		Id:         id,
		Address:    gethcrypto.PubkeyToAddress(key.PublicKey),
		PrivateKey: key,
	}
	data, err := keystore.EncryptKey(k, password, keystoreScryptN, keystoreScryptP)
	if err != nil {
		return fmt.Errorf("crypto: encrypt account key: %w", err)
	}
	return writeSecretFile(path, data)
}

// LoadAccountKey reads and decrypts a keystore v3 file written by
// SaveAccountKey (or by geth, clef or any other keystore v3 writer).
func LoadAccountKey(path, password string) (*ecdsa.PrivateKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	k, err := keystore.DecryptKey(data, password)
	if err != nil {
		if errors.Is(err, keystore.ErrDecrypt) {
			return nil, fmt.Errorf("%w: %s", ErrKeyDecrypt, path)
		}
		return nil, fmt.Errorf("%w: %s: %w", ErrKeyFile, path, err)
	}
	return k.PrivateKey, nil
}

// writeSecretFile writes data to path with mode 0600 through a temporary file
// in the same directory and a rename, so readers never see a partial key.
func writeSecretFile(path string, data []byte) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after a successful rename
	if err := f.Chmod(0o600); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	return nil
}
