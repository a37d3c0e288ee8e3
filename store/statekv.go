package store

import (
	"sync"

	"github.com/ethereum/go-ethereum/ethdb"
)

// stateKV is the key-value store the EVM state (trie database and contract
// code) is given. Outside WriteBlock it reads and writes the database
// directly. While WriteBlock runs, every write it receives, through a batch or
// not, lands in the block's own batch instead, so the state of a block is
// committed atomically with the block; until that batch is in the database,
// reads see those writes from memory (the trie database drops nodes from its
// own cache as soon as it has "written" them).
type stateKV struct {
	db ethdb.KeyValueStore

	mu struct {
		sync.RWMutex
		capture *capture // nil outside WriteBlock
	}
}

var _ ethdb.KeyValueStore = (*stateKV)(nil)

// capture collects state writes into a block batch.
type capture struct {
	batch  ethdb.Batch
	writes map[string][]byte // nil value: deleted
}

func newStateKV(db ethdb.KeyValueStore) *stateKV { return &stateKV{db: db} }

// begin routes every later write into batch until end.
func (s *stateKV) begin(batch ethdb.Batch) {
	s.mu.Lock()
	s.mu.capture = &capture{batch: batch, writes: make(map[string][]byte)}
	s.mu.Unlock()
}

// end stops routing writes into the batch; call it after the batch is written.
func (s *stateKV) end() {
	s.mu.Lock()
	s.mu.capture = nil
	s.mu.Unlock()
}

// pending returns a captured write of key.
func (s *stateKV) pending(key []byte) (val []byte, deleted, found bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.mu.capture == nil {
		return nil, false, false
	}
	v, ok := s.mu.capture.writes[string(key)]
	if !ok {
		return nil, false, false
	}
	return v, v == nil, true
}

func (s *stateKV) Has(key []byte) (bool, error) {
	if _, deleted, ok := s.pending(key); ok {
		return !deleted, nil
	}
	return s.db.Has(key)
}

func (s *stateKV) Get(key []byte) ([]byte, error) {
	if v, deleted, ok := s.pending(key); ok {
		if deleted {
			return nil, ErrNotFound
		}
		return append([]byte(nil), v...), nil
	}
	return s.db.Get(key)
}

func (s *stateKV) Put(key, value []byte) error {
	return s.apply([]kvOp{{key: append([]byte(nil), key...), val: append([]byte{}, value...)}})
}

func (s *stateKV) Delete(key []byte) error {
	return s.apply([]kvOp{{key: append([]byte(nil), key...), del: true}})
}

// apply writes ops into the captured batch if WriteBlock is running, else to the database.
func (s *stateKV) apply(ops []kvOp) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.mu.capture; c != nil {
		for _, op := range ops {
			if err := op.replay(c.batch); err != nil {
				return err
			}
			if op.del {
				c.writes[string(op.key)] = nil
			} else {
				c.writes[string(op.key)] = op.val
			}
		}
		return nil
	}
	b := s.db.NewBatch()
	defer b.Close()
	for _, op := range ops {
		if err := op.replay(b); err != nil {
			return err
		}
	}
	return b.Write()
}

func (s *stateKV) DeleteRange(start, end []byte) error { return s.db.DeleteRange(start, end) }
func (s *stateKV) Stat() (string, error)               { return s.db.Stat() }
func (s *stateKV) SyncKeyValue() error                 { return s.db.SyncKeyValue() }
func (s *stateKV) Compact(start, limit []byte) error   { return s.db.Compact(start, limit) }
func (s *stateKV) NewIterator(prefix, start []byte) ethdb.Iterator {
	return s.db.NewIterator(prefix, start)
}

// Close does nothing: the Store owns the database.
func (s *stateKV) Close() error { return nil }

func (s *stateKV) NewBatch() ethdb.Batch              { return &stateBatch{kv: s} }
func (s *stateKV) NewBatchWithSize(n int) ethdb.Batch { return &stateBatch{kv: s} }

type kvOp struct {
	key, val []byte
	del      bool
}

func (op kvOp) replay(w ethdb.KeyValueWriter) error {
	if op.del {
		return w.Delete(op.key)
	}
	return w.Put(op.key, op.val)
}

// stateBatch buffers writes for stateKV.apply.
type stateBatch struct {
	kv   *stateKV
	ops  []kvOp
	size int
}

func (b *stateBatch) Put(key, value []byte) error {
	b.ops = append(b.ops, kvOp{key: append([]byte(nil), key...), val: append([]byte{}, value...)})
	b.size += len(key) + len(value)
	return nil
}

func (b *stateBatch) Delete(key []byte) error {
	b.ops = append(b.ops, kvOp{key: append([]byte(nil), key...), del: true})
	b.size += len(key)
	return nil
}

func (b *stateBatch) DeleteRange(start, end []byte) error {
	return b.kv.db.DeleteRange(start, end) // the trie database never range-deletes state
}

func (b *stateBatch) ValueSize() int { return b.size }
func (b *stateBatch) Write() error   { return b.kv.apply(b.ops) }
func (b *stateBatch) Reset()         { b.ops, b.size = b.ops[:0], 0 }
func (b *stateBatch) Close()         {}

func (b *stateBatch) Replay(w ethdb.KeyValueWriter) error {
	for _, op := range b.ops {
		if err := op.replay(w); err != nil {
			return err
		}
	}
	return nil
}
