package store

import (
	"fmt"

	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/types"
)

// BlockWrite is everything WriteBlock makes durable besides the state.
type BlockWrite struct {
	Block    *types.Block
	Commit   *types.Commit // may be nil (genesis)
	Receipts gethtypes.Receipts
	// SystemLogs are logs of no transaction (execution.Executed.SystemLogs).
	SystemLogs []*gethtypes.Log
	Genesis    []byte // only with block 0: the genesis blob
	// Tentative leaves the block not final: the finalized and safe pointers
	// stay where they are and Rewind may drop it. Otherwise the block (and
	// so everything below it) is final, as with an instant-finality engine.
	Tentative bool
}

// WriteBlock makes w.Block the new head (and the finalized and safe block
// unless w.Tentative). It calls writeState (if not nil)
// with every write to KV() routed into the same batch as the block, its
// certificate, receipts, tx lookups, canonical index and head pointer, then
// writes that batch and syncs the write-ahead log. Either all of it survives a
// crash or none of it does.
//
// If it fails after writeState ran, the caller's state caches may already
// consider the state persisted: treat the error as fatal for the process.
func (s *Store) WriteBlock(w *BlockWrite, writeState func() error) error {
	s.writeMu.Lock()
	defer s.writeMu.Unlock()

	batch := s.db.NewBatch()
	defer batch.Close()
	s.state.begin(batch)
	defer s.state.end() // after batch.Write: readers see pending writes until they are in the database

	if writeState != nil {
		if err := writeState(); err != nil {
			return fmt.Errorf("store: writing state of block %d: %w", w.Block.Height(), err)
		}
	}
	b := w.Block
	hash := b.Hash()
	if err := WriteBlock(batch, b); err != nil {
		return err
	}
	if w.Commit != nil {
		if err := WriteCommit(batch, hash, w.Commit); err != nil {
			return err
		}
	}
	if err := WriteReceipts(batch, hash, w.Receipts); err != nil {
		return err
	}
	if err := WriteSystemLogs(batch, hash, w.SystemLogs); err != nil {
		return err
	}
	for i, tx := range b.Txs {
		if err := WriteTxLookup(batch, tx.Hash(), TxLocation{BlockHash: hash, Height: b.Height(), Index: uint64(i)}); err != nil {
			return err
		}
		for _, a := range txAddresses(tx) {
			if err := WriteAddrTx(batch, a, AddrTx{Height: b.Height(), Index: uint32(i), Hash: tx.Hash()}); err != nil {
				return err
			}
		}
	}
	if err := WriteCanonicalHash(batch, b.Height(), hash); err != nil {
		return err
	}
	if w.Genesis != nil {
		if err := WriteGenesis(batch, w.Genesis); err != nil {
			return err
		}
	}
	if err := WriteHeadHash(batch, hash); err != nil {
		return err
	}
	if !w.Tentative {
		if err := WriteFinalizedHash(batch, hash); err != nil {
			return err
		}
		if err := WriteSafeHash(batch, hash); err != nil {
			return err
		}
	}
	// geth's Pebble wrapper writes batches without fsync; one synced WAL
	// record after the batch makes the batch (and everything before it) durable.
	if err := batch.Write(); err != nil {
		return fmt.Errorf("store: write block %d: %w", b.Height(), err)
	}
	if err := s.db.SyncKeyValue(); err != nil {
		return fmt.Errorf("store: sync block %d: %w", b.Height(), err)
	}
	p := pointer{hash: hash, height: b.Height()}
	s.mu.Lock()
	s.mu.head, s.mu.ok = p, true
	if !w.Tentative {
		s.mu.final, s.mu.safe = p, p
	}
	s.mu.Unlock()
	return nil
}
