package crypto

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"

	"github.com/ethereum/go-ethereum/common/hexutil"
)

// blsKeyFile is the on-disk form of a validator key. The public key is stored
// too so that a person can see which validator a file belongs to, and so that
// loading detects a file whose halves do not match.
type blsKeyFile struct {
	PublicKey hexutil.Bytes `json:"publicKey"`
	SecretKey hexutil.Bytes `json:"secretKey"`
}

// SaveBLSKey writes key to path as JSON with hex fields, mode 0600, atomically.
// The secret is not encrypted: protect the file like any validator key.
func SaveBLSKey(path string, key *BLSSecretKey) error {
	if key == nil {
		return fmt.Errorf("%w: nil BLS key for %s", ErrKeyFile, path)
	}
	data, err := json.MarshalIndent(blsKeyFile{
		PublicKey: key.pub.Bytes(),
		SecretKey: key.Bytes(),
	}, "", "  ")
	if err != nil {
		return fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	return writeSecretFile(path, append(data, '\n'))
}

// LoadBLSKey reads a key written by SaveBLSKey.
func LoadBLSKey(path string) (*BLSSecretKey, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrKeyFile, err)
	}
	var f blsKeyFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrKeyFile, path, err)
	}
	key, err := BLSSecretKeyFromBytes(f.SecretKey)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(f.PublicKey) != 0 && !bytes.Equal(f.PublicKey, key.pub[:]) {
		return nil, fmt.Errorf("%w: %s: publicKey does not match secretKey", ErrKeyFile, path)
	}
	return key, nil
}
