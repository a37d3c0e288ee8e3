package store

import (
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethdb"

	"github.com/aspen-chain/aspen/types"
)

// A chain whose engine has probabilistic finality commits blocks before they
// are final (BlockWrite.Tentative), moves the finalized and safe pointers up
// as the engine decides, and can rewind blocks above the finalized one when
// the engine switches branch. The EVM state needs nothing here: its trie
// nodes are stored under their own hash and nothing deletes them, so the
// state root in an older header still opens after a rewind.

var (
	// ErrBelowFinalized is returned by Rewind for a height below the
	// finalized block: final blocks are never taken back.
	ErrBelowFinalized = errors.New("store: cannot rewind below the finalized block")
	// ErrNotCanonical is returned when a block to mark final or safe is not
	// on the committed chain.
	ErrNotCanonical = errors.New("store: block is not on the committed chain")
	// ErrFinalityConflict is returned by Finalize for a block that conflicts
	// with the finalized chain (another block is final at its height).
	ErrFinalityConflict = errors.New("store: block conflicts with the finalized chain")
)

// canonical returns the height of hash if it is the committed block at its
// height.
func (s *Store) canonical(hash common.Hash) (uint64, error) {
	b, err := ReadBlock(s.db, hash)
	if errors.Is(err, ErrNotFound) {
		return 0, fmt.Errorf("%w: %s is unknown", ErrNotCanonical, hash)
	}
	if err != nil {
		return 0, err
	}
	c, err := ReadCanonicalHash(s.db, b.Height())
	if err != nil && !errors.Is(err, ErrNotFound) {
		return 0, err
	}
	if c != hash {
		return 0, fmt.Errorf("%w: %s at height %d", ErrNotCanonical, hash, b.Height())
	}
	return b.Height(), nil
}

// Finalize makes the committed block hash, and so every block below it,
// final (and safe, if the safe block was lower), storing its certificate if
// commit is not nil, in one synced batch. Finalizing the finalized block or
// one below it again does nothing: finality never moves backwards. A block
// that is not on the committed chain is refused (ErrNotCanonical, or
// ErrFinalityConflict at or below the finalized height).
func (s *Store) Finalize(hash common.Hash, commit *types.Commit) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	_, finalHeight, _ := s.Finalized()
	height, err := s.canonical(hash)
	if err != nil {
		if errors.Is(err, ErrNotCanonical) {
			if b, rerr := ReadBlock(s.db, hash); rerr == nil && b.Height() <= finalHeight {
				return fmt.Errorf("%w: %w", ErrFinalityConflict, err)
			}
		}
		return err
	}
	if height <= finalHeight {
		return nil
	}
	batch := s.db.NewBatch()
	defer batch.Close()
	if commit != nil {
		if err := WriteCommit(batch, hash, commit); err != nil {
			return err
		}
	}
	if err := WriteFinalizedHash(batch, hash); err != nil {
		return err
	}
	_, safeHeight, _ := s.Safe()
	if safeHeight < height {
		if err := WriteSafeHash(batch, hash); err != nil {
			return err
		}
	}
	if err := s.writeSynced(batch.Write); err != nil {
		return fmt.Errorf("store: finalize block %d: %w", height, err)
	}
	p := pointer{hash: hash, height: height}
	s.mu.Lock()
	s.mu.final = p
	if s.mu.safe.height < height {
		s.mu.safe = p
	}
	s.mu.Unlock()
	return nil
}

// SetSafe makes the committed block hash the safe block. It must be on the
// committed chain and not below the finalized block.
func (s *Store) SetSafe(hash common.Hash) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	height, err := s.canonical(hash)
	if err != nil {
		return err
	}
	if _, finalHeight, _ := s.Finalized(); height < finalHeight {
		return fmt.Errorf("store: safe block %d is below the finalized block %d", height, finalHeight)
	}
	if err := s.writeSynced(func() error { return WriteSafeHash(s.db, hash) }); err != nil {
		return err
	}
	s.mu.Lock()
	s.mu.safe = pointer{hash: hash, height: height}
	s.mu.Unlock()
	return nil
}

// Rewind drops every committed block above height — block, certificate,
// receipts, system logs, transaction index and canonical entry — and makes
// the block at height the head again, in one synced batch. It returns the
// dropped blocks, lowest first. None of them may be final: a height below the
// finalized block is refused with ErrBelowFinalized and nothing changes. The
// safe block comes down to the new head if it was above it.
func (s *Store) Rewind(height uint64) ([]*types.Block, error) {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()
	head, final, safe, ok := s.pointers()
	if !ok {
		return nil, ErrNotFound
	}
	if height < final.height {
		return nil, fmt.Errorf("%w: rewind to %d, finalized is %d", ErrBelowFinalized, height, final.height)
	}
	if height >= head.height {
		return nil, nil
	}
	to, err := ReadCanonicalHash(s.db, height)
	if err != nil {
		return nil, fmt.Errorf("store: rewind target %d: %w", height, err)
	}
	batch := s.db.NewBatch()
	defer batch.Close()
	dropped := make([]*types.Block, 0, head.height-height)
	for h := height + 1; h <= head.height; h++ {
		hash, err := ReadCanonicalHash(s.db, h)
		if err != nil {
			return nil, fmt.Errorf("store: rewind block %d: %w", h, err)
		}
		b, err := ReadBlock(s.db, hash)
		if err != nil {
			return nil, fmt.Errorf("store: rewind block %d: %w", h, err)
		}
		if err := s.deleteBlock(batch, b); err != nil {
			return nil, err
		}
		dropped = append(dropped, b)
	}
	if err := WriteHeadHash(batch, to); err != nil {
		return nil, err
	}
	newHead := pointer{hash: to, height: height}
	if safe.height > height {
		if err := WriteSafeHash(batch, to); err != nil {
			return nil, err
		}
		safe = newHead
	}
	if err := s.writeSynced(batch.Write); err != nil {
		return nil, fmt.Errorf("store: rewind to %d: %w", height, err)
	}
	s.mu.Lock()
	s.mu.head, s.mu.safe = newHead, safe
	s.mu.Unlock()
	return dropped, nil
}

// deleteBlock removes everything WriteBlock wrote for b except the state
// (a tx lookup only if it still points at b; the address index entries at
// b's height, which no other block holds).
func (s *Store) deleteBlock(batch ethdb.KeyValueWriter, b *types.Block) error {
	hash := b.Hash()
	for i, tx := range b.Txs {
		for _, a := range txAddresses(tx) {
			if err := DeleteAddrTx(batch, a, b.Height(), uint32(i)); err != nil {
				return err
			}
		}
		loc, err := ReadTxLookup(s.db, tx.Hash())
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		if loc.BlockHash == hash {
			if err := DeleteTxLookup(batch, tx.Hash()); err != nil {
				return err
			}
		}
	}
	return errors.Join(DeleteBlock(batch, hash), DeleteCommit(batch, hash), DeleteReceipts(batch, hash),
		DeleteSystemLogs(batch, hash), DeleteCanonicalHash(batch, b.Height()))
}

func (s *Store) pointers() (head, final, safe pointer, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.head, s.mu.final, s.mu.safe, s.mu.ok
}

// writeSynced runs write and then syncs Pebble's log, as WriteBlock does:
// geth's Pebble wrapper writes without fsync.
func (s *Store) writeSynced(write func() error) error {
	if err := write(); err != nil {
		return err
	}
	return s.db.SyncKeyValue()
}
