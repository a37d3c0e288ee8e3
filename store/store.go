package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/ethereum/go-ethereum/common"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/ethdb/pebble"

	"github.com/aspen-chain/aspen/types"
)

// cacheMB is Pebble's block cache (a quarter of it goes to memtables).
const (
	cacheMB = 64
	handles = 256
)

// Store is one subnet's database. Readers may run concurrently with one writer.
type Store struct {
	db    *pebble.Database
	state *stateKV

	writeMu sync.Mutex // serializes WriteBlock

	mu struct {
		sync.RWMutex
		// head is the newest committed block, final or not; final the
		// newest final one; safe the newest the engine called safe. On one
		// chain: final <= safe <= head.
		head, final, safe pointer
		ok                bool
	}
}

// pointer names a committed block.
type pointer struct {
	hash   common.Hash
	height uint64
}

// Open opens (creating if needed) the database in dir and loads the head.
func Open(dir string) (*Store, error) {
	db, err := pebble.New(dir, cacheMB, handles, "", false)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s := &Store{db: db, state: newStateKV(db)}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// load reads the head, finalized and safe pointers. A store written before
// blocks could be tentative has only a head, and every block in it is final.
func (s *Store) load() error {
	head, err := s.pointerAt(ReadHeadHash)
	switch {
	case errors.Is(err, ErrNotFound):
		return nil
	case err != nil:
		return fmt.Errorf("store: head block: %w", err)
	}
	final, err := s.pointerAt(ReadFinalizedHash)
	if errors.Is(err, ErrNotFound) {
		final, err = head, nil
	}
	if err != nil {
		return fmt.Errorf("store: finalized block: %w", err)
	}
	safe, err := s.pointerAt(ReadSafeHash)
	if errors.Is(err, ErrNotFound) {
		safe, err = final, nil
	}
	if err != nil {
		return fmt.Errorf("store: safe block: %w", err)
	}
	s.mu.Lock()
	s.mu.head, s.mu.final, s.mu.safe, s.mu.ok = head, final, safe, true
	s.mu.Unlock()
	return nil
}

// pointerAt reads a block hash with read and the height of that block.
func (s *Store) pointerAt(read func(ethdb.KeyValueReader) (common.Hash, error)) (pointer, error) {
	hash, err := read(s.db)
	if err != nil {
		return pointer{}, err
	}
	b, err := ReadBlock(s.db, hash)
	if err != nil {
		return pointer{}, fmt.Errorf("block %s: %w", hash, err)
	}
	return pointer{hash: hash, height: b.Height()}, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// KV is the key-value store the EVM state lives in (give it to the trie and
// code databases). Writes made through it during WriteBlock's writeState are
// part of that block's batch.
func (s *Store) KV() ethdb.KeyValueStore { return s.state }

// Head returns the newest committed block, final or not; ok is false on an
// empty store.
func (s *Store) Head() (hash common.Hash, height uint64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.head.hash, s.mu.head.height, s.mu.ok
}

// Finalized returns the newest final block: it and every block below it can
// never be rewound. For engines with instant finality it is the head.
func (s *Store) Finalized() (hash common.Hash, height uint64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.final.hash, s.mu.final.height, s.mu.ok
}

// Safe returns the newest block the engine considers unlikely to be rewound
// (Ethereum's "safe"): between the finalized block and the head.
func (s *Store) Safe() (hash common.Hash, height uint64, ok bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.mu.safe.hash, s.mu.safe.height, s.mu.ok
}

// BlockByHash returns a committed block.
func (s *Store) BlockByHash(hash common.Hash) (*types.Block, error) { return ReadBlock(s.db, hash) }

// CanonicalHash returns the hash of the committed block at height.
func (s *Store) CanonicalHash(height uint64) (common.Hash, error) {
	return ReadCanonicalHash(s.db, height)
}

// BlockByNumber returns the committed block at height.
func (s *Store) BlockByNumber(height uint64) (*types.Block, error) {
	hash, err := ReadCanonicalHash(s.db, height)
	if err != nil {
		return nil, err
	}
	return ReadBlock(s.db, hash)
}

// HeaderByHash returns a committed block's header.
func (s *Store) HeaderByHash(hash common.Hash) (*types.Header, error) {
	b, err := ReadBlock(s.db, hash)
	if err != nil {
		return nil, err
	}
	return b.Header, nil
}

// HeaderByNumber returns the header of the committed block at height.
func (s *Store) HeaderByNumber(height uint64) (*types.Header, error) {
	b, err := s.BlockByNumber(height)
	if err != nil {
		return nil, err
	}
	return b.Header, nil
}

// Commit returns a committed block's commit certificate.
func (s *Store) Commit(hash common.Hash) (*types.Commit, error) { return ReadCommit(s.db, hash) }

// Genesis returns the genesis blob written with block 0.
func (s *Store) Genesis() ([]byte, error) { return ReadGenesis(s.db) }

// Receipts returns a committed block's receipts with every derived field
// filled (tx hash, block hash and number, indexes, gas used, effective gas
// price, contract address). signer recovers the sender of contract creations
// whose sender is not cached; use the chain's types.LatestSignerForChainID.
func (s *Store) Receipts(hash common.Hash, signer gethtypes.Signer) (gethtypes.Receipts, error) {
	b, err := ReadBlock(s.db, hash)
	if err != nil {
		return nil, err
	}
	rs, err := ReadRawReceipts(s.db, hash)
	if err != nil {
		return nil, err
	}
	if err := DeriveReceiptFields(rs, b, signer); err != nil {
		return nil, err
	}
	return rs, nil
}

// DeriveReceiptFields fills the non-consensus fields of a block's receipts.
func DeriveReceiptFields(rs gethtypes.Receipts, b *types.Block, signer gethtypes.Signer) error {
	if len(rs) != len(b.Txs) {
		return fmt.Errorf("store: block %s has %d transactions but %d receipts", b.Hash(), len(b.Txs), len(rs))
	}
	var logIndex uint
	hash := b.Hash()
	for i, r := range rs {
		var prev uint64
		if i > 0 {
			prev = rs[i-1].CumulativeGasUsed
		}
		r.DeriveFields(signer, gethtypes.DeriveReceiptContext{
			BlockHash:   hash,
			BlockNumber: b.Height(),
			BlockTime:   b.Header.Time(),
			BaseFee:     b.Header.BaseFee,
			GasUsed:     r.CumulativeGasUsed - prev,
			LogIndex:    logIndex,
			Tx:          b.Txs[i],
			TxIndex:     uint(i),
		})
		logIndex += uint(len(r.Logs))
	}
	return nil
}

// SystemLogs returns a committed block's system logs (logs of no
// transaction) with their derived fields set; none is not an error.
func (s *Store) SystemLogs(hash common.Hash) ([]*gethtypes.Log, error) {
	logs, err := ReadSystemLogs(s.db, hash)
	if err != nil || len(logs) == 0 {
		return nil, err
	}
	b, err := ReadBlock(s.db, hash)
	if err != nil {
		return nil, err
	}
	rs, err := ReadRawReceipts(s.db, hash)
	if err != nil {
		return nil, err
	}
	var n uint
	for _, r := range rs {
		n += uint(len(r.Logs))
	}
	DeriveSystemLogFields(logs, b.Header, len(b.Txs), n)
	return logs, nil
}

// DeriveSystemLogFields fills the non-consensus fields of a block's system
// logs: they follow the block's transactions in log order (txs transactions
// with txLogs logs), although they were executed before them.
func DeriveSystemLogFields(logs []*gethtypes.Log, h *types.Header, txs int, txLogs uint) {
	hash := h.Hash()
	for i, l := range logs {
		l.BlockNumber, l.BlockHash, l.BlockTimestamp = h.Height, hash, h.Time()
		l.TxHash, l.TxIndex, l.Index = types.SystemTxHash(hash), uint(txs), txLogs+uint(i)
	}
}

// AddressTxs lists up to limit of the committed transactions that address
// a sent, received or created, newest first, from the entry at from (nil:
// the newest); next is where the following page starts (nil: no more).
func (s *Store) AddressTxs(a common.Address, from *AddrTx, limit int) (txs []AddrTx, next *AddrTx, err error) {
	return ReadAddrTxs(s.db, a, from, limit)
}

// TxLookup finds a committed transaction; found is false if it is unknown.
func (s *Store) TxLookup(txHash common.Hash) (loc TxLocation, found bool, err error) {
	l, err := ReadTxLookup(s.db, txHash)
	if errors.Is(err, ErrNotFound) {
		return TxLocation{}, false, nil
	}
	if err != nil {
		return TxLocation{}, false, err
	}
	return *l, true, nil
}

// PutSignedCheckpoint records, durably, that this node's key signed the
// checkpoint hash at height. It returns only once the record is synced: the
// signature may leave the process after that, never before.
func (s *Store) PutSignedCheckpoint(height uint64, hash common.Hash) error {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], height)
	if err := s.db.Put(key(ckptPrefix, b[:]), hash[:]); err != nil {
		return err
	}
	return s.db.SyncKeyValue()
}

// SignedCheckpoints lists the checkpoints this node's key signed at heights
// above `above`, in height order.
func (s *Store) SignedCheckpoints(above uint64) (heights []uint64, hashes []common.Hash, err error) {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], above+1)
	it := s.db.NewIterator(ckptPrefix, b[:])
	defer it.Release()
	for it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(ckptPrefix)+8 || len(v) != common.HashLength {
			return nil, nil, fmt.Errorf("store: malformed signed-checkpoint record %x", k)
		}
		heights = append(heights, binary.BigEndian.Uint64(k[len(ckptPrefix):]))
		hashes = append(hashes, common.BytesToHash(v))
	}
	return heights, hashes, it.Error()
}
