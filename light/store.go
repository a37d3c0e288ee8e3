package light

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
)

// Store keeps what the client verified of the root chain in one JSON file,
// so a client resumes from its newest trusted header instead of the genesis.
type Store struct{ path string }

// StoreFile is the file's name under the client's home.
const StoreFile = "light.json"

// NewStore keeps the client's state under dir.
func NewStore(dir string) *Store { return &Store{path: filepath.Join(dir, StoreFile)} }

// Load returns the saved state for the root whose genesis hashes to
// genesis, or nil if none is saved. A state saved for another genesis is
// an error: use another home.
func (s *Store) Load(genesis common.Hash) (*Trusted, error) {
	data, err := os.ReadFile(s.path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrStore, err)
	}
	t := new(Trusted)
	if err := json.Unmarshal(data, t); err != nil {
		return nil, fmt.Errorf("%w: %s: %v (delete it to start again from the genesis)", ErrStore, s.path, err)
	}
	if t.Genesis != genesis {
		return nil, fmt.Errorf("%w: %s was verified from genesis %s, not %s: use another --home", ErrStore, s.path, t.Genesis, genesis)
	}
	return t, nil
}

// Save writes t atomically: a crash leaves the old state or the new one.
func (s *Store) Save(t *Trusted) error {
	data, err := json.MarshalIndent(t, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(s.path), 0o700); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	tmp := s.path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	if err := os.Rename(tmp, s.path); err != nil {
		return fmt.Errorf("%w: %w", ErrStore, err)
	}
	return nil
}
