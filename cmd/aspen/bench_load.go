package main

import (
	"context"
	"crypto/ecdsa"
	"fmt"
	"math/big"
	"net/http"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"

	"github.com/aspen-chain/aspen/gateway"
	"github.com/aspen-chain/aspen/internal/progress"
)

// releaseCall is the calldata of IGateway.release(to).
func releaseCall(to common.Address) []byte {
	gw, err := gateway.ParseABI()
	if err != nil {
		panic(err) // the embedded ABI is checked by the gateway's tests
	}
	data, err := gw.Pack("release", to)
	if err != nil {
		panic(err)
	}
	return data
}

func newHTTPClient() *http.Client {
	return &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4, DisableCompression: true}}
}

func signTx(signer gethtypes.Signer, key *ecdsa.PrivateKey, nonce uint64, to common.Address, value, feeCap, tip *big.Int) (*gethtypes.Transaction, error) {
	return signCall(signer, key, nonce, to, value, feeCap, tip, 21000, nil)
}

func signCall(signer gethtypes.Signer, key *ecdsa.PrivateKey, nonce uint64, to common.Address, value, feeCap, tip *big.Int, gas uint64, data []byte) (*gethtypes.Transaction, error) {
	return gethtypes.SignNewTx(key, signer, &gethtypes.DynamicFeeTx{
		ChainID: signer.ChainID(), Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
		Gas: gas, To: &to, Value: value, Data: data,
	})
}

// releaseGas is the gas limit of a bench release (it uses about 196k).
const releaseGas = 300_000

// fundBenchAccounts sends every key enough for txsEach transfers and waits
// until the last funding transaction is included.
func fundBenchAccounts(ctx context.Context, c *gethrpc.Client, signer gethtypes.Signer, funder *ecdsa.PrivateKey, keys []*ecdsa.PrivateKey, feeCap, tip *big.Int, txsEach int, gasEach uint64) error {
	from := gethcrypto.PubkeyToAddress(funder.PublicKey)
	var nonce hexutil.Uint64
	if err := c.CallContext(ctx, &nonce, "eth_getTransactionCount", from, "pending"); err != nil {
		return fmt.Errorf("nonce of funder %s: %w", from, err)
	}
	each := new(big.Int).Mul(big.NewInt(int64(txsEach)), new(big.Int).Add(new(big.Int).Mul(feeCap, new(big.Int).SetUint64(gasEach)), big.NewInt(1e9)))
	var batch []gethrpc.BatchElem
	var last common.Hash
	for i, k := range keys {
		tx, err := signTx(signer, funder, uint64(nonce)+uint64(i), gethcrypto.PubkeyToAddress(k.PublicKey), each, feeCap, tip)
		if err != nil {
			return err
		}
		raw, _ := tx.MarshalBinary()
		batch = append(batch, gethrpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{hexutil.Bytes(raw)}, Result: new(common.Hash)})
		last = tx.Hash()
	}
	for len(batch) > 0 {
		n := min(len(batch), 100)
		if err := c.BatchCallContext(ctx, batch[:n]); err != nil {
			return fmt.Errorf("send funding transactions: %w", err)
		}
		for _, e := range batch[:n] {
			if e.Error != nil {
				return fmt.Errorf("funding transaction rejected: %w (is --fund-key funded on this chain?)", e.Error)
			}
		}
		batch = batch[n:]
	}
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		var r map[string]any
		if err := c.CallContext(ctx, &r, "eth_getTransactionReceipt", last); err != nil {
			return fmt.Errorf("wait for funding: %w", err)
		}
		if r != nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("funding transactions not included: %w", ctx.Err())
		case <-tick.C:
		}
	}
}

// signTransfers signs n transfers, round-robin over keys so that any prefix of
// the result is nonce-ordered per sender. Signing runs on every core.
// With release set, each transaction instead calls the gateway's
// release(release) with 1 gwei: a cross-message to the parent.
func signTransfers(ctx context.Context, c *gethrpc.Client, signer gethtypes.Signer, keys []*ecdsa.PrivateKey, n int, feeCap, tip *big.Int, release *common.Address) ([]*benchTx, error) {
	var releaseData []byte
	if release != nil {
		releaseData = releaseCall(*release)
	}
	nonces := make([]hexutil.Uint64, len(keys))
	batch := make([]gethrpc.BatchElem, len(keys))
	for i, k := range keys {
		batch[i] = gethrpc.BatchElem{Method: "eth_getTransactionCount", Args: []any{gethcrypto.PubkeyToAddress(k.PublicKey), "pending"}, Result: &nonces[i]}
	}
	if err := c.BatchCallContext(ctx, batch); err != nil {
		return nil, err
	}
	txs := make([]*benchTx, n)
	var wg sync.WaitGroup
	errs := make(chan error, runtime.NumCPU())
	workers := runtime.NumCPU()
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := w; i < n; i += workers {
				a := i % len(keys)
				to := common.BigToAddress(big.NewInt(int64(0x10000 + i)))
				nonce := uint64(nonces[a]) + uint64(i/len(keys))
				tx, err := signTx(signer, keys[a], nonce, to, big.NewInt(1), feeCap, tip)
				if release != nil {
					tx, err = signCall(signer, keys[a], nonce, gateway.Address, big.NewInt(1e9), feeCap, tip, releaseGas, releaseData)
				}
				if err != nil {
					errs <- err
					return
				}
				raw, _ := tx.MarshalBinary()
				txs[i] = &benchTx{raw: raw, hash: tx.Hash()}
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		return nil, err
	default:
	}
	return txs, nil
}

// submitAll sends txs in batches, keeping at most o.Window transactions
// submitted but not yet seen in a block. Each sender's transactions all go
// through one connection, in nonce order: spread over several, batches would
// overtake each other and park later nonces in the pool's queue, which is
// small (1024) and, once full, rejects what would have filled the gaps.
// It returns how many were rejected and how many can be included: a sender's
// transactions after its first rejected one never can.
func submitAll(ctx context.Context, clients []*gethrpc.Client, txs []*benchTx, accounts int, o benchOptions, w *inclusionWatcher, pace *pacer) (rejected, includable int, first string, err error) {
	lanes := make([][]int, len(clients)) // indexes into txs, per connection
	for i := range txs {
		l := (i % accounts) % len(clients)
		lanes[l] = append(lanes[l], i)
	}
	failed := make([]bool, len(txs))
	var mu sync.Mutex
	var wg sync.WaitGroup
	var sendErr error
	for l, c := range clients {
		wg.Add(1)
		go func(c *gethrpc.Client, lane []int) {
			defer wg.Done()
			for len(lane) > 0 {
				n := min(o.Batch, len(lane))
				b := lane[:n]
				lane = lane[n:]
				if !pace.wait(ctx, n) || !w.waitRoom(ctx, n, o.Window) {
					return
				}
				elems := make([]gethrpc.BatchElem, n)
				now := time.Now()
				for k, i := range b {
					txs[i].submitted = now
					elems[k] = gethrpc.BatchElem{Method: "eth_sendRawTransaction", Args: []any{txs[i].raw}, Result: new(common.Hash)}
				}
				w.submitted(n)
				if err := c.BatchCallContext(ctx, elems); err != nil {
					mu.Lock()
					sendErr = fmt.Errorf("submit batch: %w", err)
					mu.Unlock()
					return
				}
				mu.Lock()
				for k, e := range elems {
					if e.Error != nil {
						failed[b[k]] = true
						rejected++
						if first == "" {
							first = e.Error.Error()
						}
					}
				}
				mu.Unlock()
				if rejected > 0 {
					w.unsubmitted(countFailed(failed, b))
				}
			}
		}(c, lanes[l])
	}
	wg.Wait()
	if sendErr != nil {
		return 0, 0, "", sendErr
	}
	stuck := make([]bool, accounts)
	for i := range txs { // in nonce order per sender
		if failed[i] {
			stuck[i%accounts] = true
		}
		if !stuck[i%accounts] {
			includable++
		}
	}
	return rejected, includable, first, ctx.Err()
}

func countFailed(failed []bool, idx []int) int {
	n := 0
	for _, i := range idx {
		if failed[i] {
			n++
		}
	}
	return n
}

// inclusionWatcher follows new blocks and records when each transaction was
// first seen included.
type inclusionWatcher struct {
	c      *gethrpc.Client
	byHash map[common.Hash]*benchTx
	total  int

	mu struct {
		sync.Mutex
		cond      *sync.Cond
		submitted int
		included  int
		expected  int // -1 until submission is done
	}
	lat      []time.Duration
	lastSeen time.Time
	blocks   int
	progress *progress.Reporter // nil: none
}

func newInclusionWatcher(c *gethrpc.Client, txs []*benchTx) *inclusionWatcher {
	w := &inclusionWatcher{c: c, byHash: make(map[common.Hash]*benchTx, len(txs)), total: len(txs)}
	for _, t := range txs {
		w.byHash[t.hash] = t
	}
	w.mu.cond = sync.NewCond(&w.mu.Mutex)
	w.mu.expected = -1
	return w
}

func (w *inclusionWatcher) submitted(n int) {
	w.mu.Lock()
	w.mu.submitted += n
	w.mu.Unlock()
}

// unsubmitted takes back n rejected transactions from the window.
func (w *inclusionWatcher) unsubmitted(n int) {
	w.mu.Lock()
	w.mu.submitted -= n
	w.mu.cond.Broadcast()
	w.mu.Unlock()
}

// waitRoom blocks until n more transactions fit in the window.
func (w *inclusionWatcher) waitRoom(ctx context.Context, n, window int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.mu.submitted-w.mu.included+n > window {
		if ctx.Err() != nil {
			return false
		}
		w.mu.cond.Wait()
	}
	return true
}

func (w *inclusionWatcher) expect(n int) {
	w.mu.Lock()
	w.mu.expected = n
	w.mu.Unlock()
}

func (w *inclusionWatcher) run(ctx context.Context) error {
	var head hexutil.Uint64
	if err := w.c.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
		return err
	}
	seen := uint64(head)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	defer func() { w.mu.Lock(); w.mu.cond.Broadcast(); w.mu.Unlock() }()
	for {
		select {
		case <-ctx.Done():
			w.mu.Lock()
			inc, exp := w.mu.included, w.mu.expected
			w.mu.Unlock()
			return fmt.Errorf("stopped with %d of %d transactions included: %w", inc, exp, ctx.Err())
		case <-tick.C:
		}
		if err := w.c.CallContext(ctx, &head, "eth_blockNumber"); err != nil {
			continue
		}
		for ; seen < uint64(head); seen++ {
			var b struct {
				Transactions []common.Hash `json:"transactions"`
			}
			if err := w.c.CallContext(ctx, &b, "eth_getBlockByNumber", hexutil.Uint64(seen+1), false); err != nil {
				return fmt.Errorf("read block %d: %w", seen+1, err)
			}
			now := time.Now()
			n := 0
			w.mu.Lock() // orders the submitters' writes of t.submitted before these reads
			for _, h := range b.Transactions {
				if t, ok := w.byHash[h]; ok {
					w.lat = append(w.lat, now.Sub(t.submitted))
					n++
				}
			}
			if n > 0 {
				w.blocks++
				w.lastSeen = now
			}
			w.mu.included += n
			w.mu.cond.Broadcast()
			w.mu.Unlock()
		}
		w.mu.Lock()
		inc, exp := w.mu.included, w.mu.expected
		w.mu.Unlock()
		if w.progress != nil {
			w.progress.Set(int64(inc)) // it draws only as often as its output wants
		}
		if exp >= 0 && inc >= exp {
			return nil
		}
	}
}

func (w *inclusionWatcher) latencies() []time.Duration {
	slices.Sort(w.lat)
	return w.lat
}
