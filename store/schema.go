package store

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/ethereum/go-ethereum/ethdb"
	"github.com/ethereum/go-ethereum/rlp"

	gethtypes "github.com/ethereum/go-ethereum/core/types"

	"github.com/aspen-chain/aspen/types"
)

// Every Aspen key starts with "a/". The EVM state shares the database through
// go-ethereum's hash-based trie database, which stores trie nodes under their
// raw 32-byte hash and contract code under "c"+hash. Our keys start with a
// two-byte ASCII prefix and none is 32 bytes long, so none can be taken for a
// trie node or code entry (the reverse would need a keccak hash that starts
// with "a/" and matches the rest of one of our keys).
var (
	headKey      = []byte("a/head")    // -> hash of the newest committed block (final or not)
	finalKey     = []byte("a/final")   // -> hash of the newest final block; absent: the head (a store from before tentative blocks)
	safeKey      = []byte("a/safe")    // -> hash of the newest safe block; absent: the finalized block
	genesisKey   = []byte("a/genesis") // -> genesis blob (the config package's canonical JSON)
	blockPrefix  = []byte("a/b")       // + hash -> rlp(types.Block)
	commitPrefix = []byte("a/c")       // + hash -> rlp(types.Commit)
	rcptPrefix   = []byte("a/r")       // + hash -> rlp([]ReceiptForStorage), consensus fields only
	sysLogPrefix = []byte("a/s")       // + hash -> rlp([]Log) of the block's system logs, consensus fields only
	lookupPrefix = []byte("a/l")       // + tx hash -> rlp(TxLocation)
	canonPrefix  = []byte("a/n")       // + 8-byte big-endian height -> block hash
	ckptPrefix   = []byte("a/k")       // + 8-byte big-endian height -> hash of the checkpoint this node's BLS key signed there
	addrTxPrefix = []byte("a/x")       // + address + 8-byte big-endian ^height + 4-byte big-endian ^index -> tx hash (newest first)
)

// ErrNotFound is returned when a key is absent.
var ErrNotFound = errors.New("store: not found")

// TxLocation is where a committed transaction is: the tx lookup entry.
type TxLocation struct {
	BlockHash common.Hash
	Height    uint64
	Index     uint64
}

func key(prefix []byte, suffix []byte) []byte {
	k := make([]byte, 0, len(prefix)+len(suffix))
	return append(append(k, prefix...), suffix...)
}

func heightKey(height uint64) []byte {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], height)
	return key(canonPrefix, b[:])
}

// get reads a key and maps a missing key to ErrNotFound.
func get(db ethdb.KeyValueReader, k []byte) ([]byte, error) {
	ok, err := db.Has(k)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNotFound
	}
	return db.Get(k)
}

// ReadHeadHash returns the hash of the newest committed block.
func ReadHeadHash(db ethdb.KeyValueReader) (common.Hash, error) {
	v, err := get(db, headKey)
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(v), nil
}

// WriteHeadHash stores the hash of the newest committed block.
func WriteHeadHash(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Put(headKey, hash.Bytes())
}

// DeleteHeadHash removes the head pointer.
func DeleteHeadHash(db ethdb.KeyValueWriter) error { return db.Delete(headKey) }

// ReadFinalizedHash returns the hash of the newest final block.
func ReadFinalizedHash(db ethdb.KeyValueReader) (common.Hash, error) {
	v, err := get(db, finalKey)
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(v), nil
}

// WriteFinalizedHash stores the hash of the newest final block.
func WriteFinalizedHash(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Put(finalKey, hash.Bytes())
}

// DeleteFinalizedHash removes the finalized pointer.
func DeleteFinalizedHash(db ethdb.KeyValueWriter) error { return db.Delete(finalKey) }

// ReadSafeHash returns the hash of the newest safe block.
func ReadSafeHash(db ethdb.KeyValueReader) (common.Hash, error) {
	v, err := get(db, safeKey)
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(v), nil
}

// WriteSafeHash stores the hash of the newest safe block.
func WriteSafeHash(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Put(safeKey, hash.Bytes())
}

// DeleteSafeHash removes the safe pointer.
func DeleteSafeHash(db ethdb.KeyValueWriter) error { return db.Delete(safeKey) }

// ReadGenesis returns the genesis blob.
func ReadGenesis(db ethdb.KeyValueReader) ([]byte, error) { return get(db, genesisKey) }

// WriteGenesis stores the genesis blob.
func WriteGenesis(db ethdb.KeyValueWriter, blob []byte) error { return db.Put(genesisKey, blob) }

// DeleteGenesis removes the genesis blob.
func DeleteGenesis(db ethdb.KeyValueWriter) error { return db.Delete(genesisKey) }

// ReadBlock returns the block with the given hash.
func ReadBlock(db ethdb.KeyValueReader, hash common.Hash) (*types.Block, error) {
	v, err := get(db, key(blockPrefix, hash[:]))
	if err != nil {
		return nil, err
	}
	b, err := types.DecodeBlock(v)
	if err != nil {
		return nil, fmt.Errorf("store: block %s is corrupt: %w", hash, err)
	}
	return b, nil
}

// WriteBlock stores a block under its hash.
func WriteBlock(db ethdb.KeyValueWriter, b *types.Block) error {
	enc, err := types.EncodeBlock(b)
	if err != nil {
		return err
	}
	h := b.Hash()
	return db.Put(key(blockPrefix, h[:]), enc)
}

// DeleteBlock removes a block.
func DeleteBlock(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Delete(key(blockPrefix, hash[:]))
}

// ReadCommit returns the commit certificate of the block with the given hash.
func ReadCommit(db ethdb.KeyValueReader, hash common.Hash) (*types.Commit, error) {
	v, err := get(db, key(commitPrefix, hash[:]))
	if err != nil {
		return nil, err
	}
	return types.DecodeCommit(v)
}

// WriteCommit stores a commit certificate under its block's hash.
func WriteCommit(db ethdb.KeyValueWriter, hash common.Hash, c *types.Commit) error {
	enc, err := types.EncodeCommit(c)
	if err != nil {
		return err
	}
	return db.Put(key(commitPrefix, hash[:]), enc)
}

// DeleteCommit removes a commit certificate.
func DeleteCommit(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Delete(key(commitPrefix, hash[:]))
}

// ReadRawReceipts returns a block's receipts with only their consensus fields
// (status, cumulative gas, logs) set; see Store.Receipts for the full ones.
func ReadRawReceipts(db ethdb.KeyValueReader, hash common.Hash) (gethtypes.Receipts, error) {
	v, err := get(db, key(rcptPrefix, hash[:]))
	if err != nil {
		return nil, err
	}
	var stored []*gethtypes.ReceiptForStorage
	if err := rlp.DecodeBytes(v, &stored); err != nil {
		return nil, fmt.Errorf("store: receipts of %s are corrupt: %w", hash, err)
	}
	rs := make(gethtypes.Receipts, len(stored))
	for i, r := range stored {
		rs[i] = (*gethtypes.Receipt)(r)
	}
	return rs, nil
}

// WriteReceipts stores the consensus fields of a block's receipts.
func WriteReceipts(db ethdb.KeyValueWriter, hash common.Hash, rs gethtypes.Receipts) error {
	stored := make([]*gethtypes.ReceiptForStorage, len(rs))
	for i, r := range rs {
		stored[i] = (*gethtypes.ReceiptForStorage)(r)
	}
	enc, err := rlp.EncodeToBytes(stored)
	if err != nil {
		return err
	}
	return db.Put(key(rcptPrefix, hash[:]), enc)
}

// DeleteReceipts removes a block's receipts.
func DeleteReceipts(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Delete(key(rcptPrefix, hash[:]))
}

// ReadTxLookup returns where a committed transaction is.
func ReadTxLookup(db ethdb.KeyValueReader, txHash common.Hash) (*TxLocation, error) {
	v, err := get(db, key(lookupPrefix, txHash[:]))
	if err != nil {
		return nil, err
	}
	loc := new(TxLocation)
	if err := rlp.DecodeBytes(v, loc); err != nil {
		return nil, fmt.Errorf("store: tx lookup of %s is corrupt: %w", txHash, err)
	}
	return loc, nil
}

// WriteTxLookup stores where a committed transaction is.
func WriteTxLookup(db ethdb.KeyValueWriter, txHash common.Hash, loc TxLocation) error {
	enc, err := rlp.EncodeToBytes(&loc)
	if err != nil {
		return err
	}
	return db.Put(key(lookupPrefix, txHash[:]), enc)
}

// DeleteTxLookup removes a transaction's lookup entry.
func DeleteTxLookup(db ethdb.KeyValueWriter, txHash common.Hash) error {
	return db.Delete(key(lookupPrefix, txHash[:]))
}

// ReadCanonicalHash returns the hash of the canonical block at height.
func ReadCanonicalHash(db ethdb.KeyValueReader, height uint64) (common.Hash, error) {
	v, err := get(db, heightKey(height))
	if err != nil {
		return common.Hash{}, err
	}
	return common.BytesToHash(v), nil
}

// WriteCanonicalHash makes hash the canonical block at height.
func WriteCanonicalHash(db ethdb.KeyValueWriter, height uint64, hash common.Hash) error {
	return db.Put(heightKey(height), hash[:])
}

// DeleteCanonicalHash removes the canonical entry at height.
func DeleteCanonicalHash(db ethdb.KeyValueWriter, height uint64) error {
	return db.Delete(heightKey(height))
}

// ReadSystemLogs returns a block's system logs with only their consensus
// fields (address, topics, data); a block without any has none (no error).
func ReadSystemLogs(db ethdb.KeyValueReader, hash common.Hash) ([]*gethtypes.Log, error) {
	v, err := get(db, key(sysLogPrefix, hash[:]))
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var logs []*gethtypes.Log
	if err := rlp.DecodeBytes(v, &logs); err != nil {
		return nil, fmt.Errorf("store: system logs of %s are corrupt: %w", hash, err)
	}
	return logs, nil
}

// DeleteSystemLogs removes a block's system logs.
func DeleteSystemLogs(db ethdb.KeyValueWriter, hash common.Hash) error {
	return db.Delete(key(sysLogPrefix, hash[:]))
}

// WriteSystemLogs stores the consensus fields of a block's system logs;
// nothing is written for none.
func WriteSystemLogs(db ethdb.KeyValueWriter, hash common.Hash, logs []*gethtypes.Log) error {
	if len(logs) == 0 {
		return nil
	}
	enc, err := rlp.EncodeToBytes(logs)
	if err != nil {
		return err
	}
	return db.Put(key(sysLogPrefix, hash[:]), enc)
}

// AddrTx is one entry of the index of transactions by address: a
// transaction the address sent, received, or created as a contract.
type AddrTx struct {
	Height uint64
	Index  uint32
	Hash   common.Hash
}

// addrTxKey orders an address's entries newest first: heights and indexes
// are stored inverted, so an ascending scan walks back through the chain.
func addrTxKey(a common.Address, height uint64, index uint32) []byte {
	k := make([]byte, 0, len(addrTxPrefix)+common.AddressLength+12)
	k = append(append(k, addrTxPrefix...), a[:]...)
	k = binary.BigEndian.AppendUint64(k, ^height)
	return binary.BigEndian.AppendUint32(k, ^index)
}

// WriteAddrTx indexes e under address a.
func WriteAddrTx(db ethdb.KeyValueWriter, a common.Address, e AddrTx) error {
	return db.Put(addrTxKey(a, e.Height, e.Index), e.Hash[:])
}

// DeleteAddrTx removes a's entry at height and index.
func DeleteAddrTx(db ethdb.KeyValueWriter, a common.Address, height uint64, index uint32) error {
	return db.Delete(addrTxKey(a, height, index))
}

// ReadAddrTxs returns up to limit of a's entries, newest first, starting
// at the entry at (height, index) or the first older one; from nil starts
// at the newest. next is where the following page starts (nil: no more).
func ReadAddrTxs(db ethdb.Iteratee, a common.Address, from *AddrTx, limit int) (out []AddrTx, next *AddrTx, err error) {
	prefix := key(addrTxPrefix, a[:])
	var start []byte
	if from != nil {
		start = addrTxKey(a, from.Height, from.Index)[len(prefix):]
	}
	it := db.NewIterator(prefix, start)
	defer it.Release()
	for it.Next() {
		k, v := it.Key(), it.Value()
		if len(k) != len(prefix)+12 || len(v) != common.HashLength {
			return nil, nil, fmt.Errorf("store: index entry %x of %s is corrupt", k, a)
		}
		e := AddrTx{Height: ^binary.BigEndian.Uint64(k[len(prefix):]), Index: ^binary.BigEndian.Uint32(k[len(prefix)+8:]), Hash: common.BytesToHash(v)}
		if len(out) == limit {
			return out, &e, it.Error()
		}
		out = append(out, e)
	}
	return out, nil, it.Error()
}

// txAddresses are the addresses a transaction touches for the index: its
// sender (when its signature recovers one), its recipient, or the contract
// it creates; each once.
func txAddresses(tx *gethtypes.Transaction) []common.Address {
	var out []common.Address
	from, err := gethtypes.Sender(gethtypes.LatestSignerForChainID(tx.ChainId()), tx)
	if err == nil {
		out = append(out, from)
	}
	switch to := tx.To(); {
	case to != nil && (err != nil || *to != from):
		out = append(out, *to)
	case to == nil && err == nil:
		out = append(out, crypto.CreateAddress(from, tx.Nonce()))
	}
	return out
}
