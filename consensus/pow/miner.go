package pow

import (
	"math"
	"sync"
	"sync/atomic"

	"github.com/ethereum/go-ethereum/crypto"
	"github.com/holiman/uint256"

	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/types"
)

// Miner searches nonces for the driver: the consensus.Sealer of a node that
// mines. Each request runs threads workers over disjoint ranges of the
// nonce space until one finds a nonce, a newer request replaces it, or Stop.
// These workers are the package's only goroutines; each runs on an OS
// thread of the lowest priority (lowerPriority), so mining uses idle cycles.
type Miner struct {
	threads int
	hashes  atomic.Uint64 // hashes tried, for rates

	mu struct {
		sync.Mutex
		stop chan struct{} // closed to end the current request's workers
		wg   *sync.WaitGroup
	}
}

var _ consensus.Sealer = (*Miner)(nil)

// NewMiner returns a miner with threads workers (at least one).
func NewMiner(threads int) *Miner { return &Miner{threads: max(threads, 1)} }

// Hashes is how many nonces the miner has tried.
func (m *Miner) Hashes() uint64 { return m.hashes.Load() }

// Seal starts searching a nonce for b, abandoning the current search. found
// gets a copy of b with the nonce in its seal, once, from a worker.
func (m *Miner) Seal(b *types.Block, found func(*types.Block)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopLocked()
	if b == nil {
		return
	}
	stop := make(chan struct{})
	wg := new(sync.WaitGroup)
	m.mu.stop, m.mu.wg = stop, wg
	d := b.Header.Difficulty
	if d <= 1 {
		// Every nonce does (difficulty 0 none does; CheckWork says why).
		found(withNonce(b, 0))
		return
	}
	hash := b.Hash()
	target := target256(d)
	var done atomic.Bool
	span := math.MaxUint64 / uint64(m.threads)
	for i := range m.threads {
		wg.Add(1)
		go func(first uint64) {
			defer wg.Done()
			lowerPriority()
			nonce, ok := m.search(hash[:], target, first, span, stop, &done)
			if ok && done.CompareAndSwap(false, true) {
				found(withNonce(b, nonce))
			}
		}(uint64(i) * span)
	}
}

// Stop ends the current search and waits for its workers.
func (m *Miner) Stop() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.stopLocked()
}

func (m *Miner) stopLocked() {
	if m.mu.stop == nil {
		return
	}
	close(m.mu.stop)
	m.mu.wg.Wait()
	m.mu.stop, m.mu.wg = nil, nil
}

// search tries nonces first, first+1, … (span of them) against target.
func (m *Miner) search(hash []byte, target *uint256.Int, first, span uint64, stop <-chan struct{}, done *atomic.Bool) (uint64, bool) {
	const batch = 1024
	kh := crypto.NewKeccakState()
	var buf [32 + NonceSize]byte
	copy(buf[:], hash)
	var out [32]byte
	var w uint256.Int
	for tried := uint64(0); tried < span; {
		select {
		case <-stop:
			return 0, false
		default:
		}
		if done.Load() {
			return 0, false
		}
		n := min(batch, span-tried)
		for j := uint64(0); j < n; j++ {
			nonce := first + tried + j
			putNonce(buf[32:], nonce)
			kh.Reset()
			kh.Write(buf[:])
			kh.Read(out[:])
			if !w.SetBytes32(out[:]).Gt(target) {
				m.hashes.Add(j + 1)
				return nonce, true
			}
		}
		m.hashes.Add(n)
		tried += n
	}
	return 0, false
}

func putNonce(b []byte, n uint64) {
	for i := NonceSize - 1; i >= 0; i-- {
		b[i] = byte(n)
		n >>= 8
	}
}

// withNonce returns a copy of b whose seal is nonce.
func withNonce(b *types.Block, nonce uint64) *types.Block {
	h := b.Header.Copy()
	h.Seal = Nonce(nonce)
	return &types.Block{Header: h, Txs: b.Txs, Evidence: b.Evidence}
}
