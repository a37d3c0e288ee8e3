package main

import (
	"context"
	"crypto/ecdsa"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/common/hexutil"
	gethtypes "github.com/ethereum/go-ethereum/core/types"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
	"github.com/spf13/cobra"

	"github.com/aspen-chain/aspen/internal/progress"
)

type benchOptions struct {
	RPC      string
	Txs      int
	Accounts int
	Conns    int
	Batch    int
	Window   int
	FundKey  string
	Timeout  time.Duration
	JSON     bool
	// ReleaseTo, when set, is the parent chain's RPC URL: every transaction
	// is a release of 1 gwei to one account there, and the bench waits
	// until the parent paid them all (cross-messages through checkpoints).
	ReleaseTo string
	// Rate, when positive, paces submission to this many transactions per
	// second in all (the offered load); 0 submits as fast as the window allows.
	Rate float64
	// PprofOut, when set, is where a CPU profile of the loaded node goes,
	// taken over PprofSeconds from the first submission (the node runs
	// with ASPEN_PPROF=1).
	PprofOut     string
	PprofSeconds int
}

// benchResult is what `aspen bench --json` prints.
type benchResult struct {
	Txs            int     `json:"txs"`
	OfferedTPS     float64 `json:"offeredTps,omitempty"`
	Accounts       int     `json:"accounts"`
	Connections    int     `json:"connections"`
	Batch          int     `json:"batch"`
	Rejected       int     `json:"rejected"`
	Committed      int     `json:"committed"`
	SubmitSeconds  float64 `json:"submitSeconds"`
	SubmittedTPS   float64 `json:"submittedTps"`
	CommitSeconds  float64 `json:"commitSeconds"`
	CommittedTPS   float64 `json:"committedTps"`
	Blocks         int     `json:"blocks"`
	LatencyP50Ms   float64 `json:"latencyP50Ms"`
	LatencyP99Ms   float64 `json:"latencyP99Ms"`
	SignedPerSec   float64 `json:"signedPerSec"`
	FirstRejection string  `json:"firstRejection,omitempty"`
	// With --release-to: when the parent had paid every release, counted
	// from the first submission, and the rate of cross-messages applied.
	AppliedSeconds float64 `json:"appliedSeconds,omitempty"`
	AppliedPerSec  float64 `json:"appliedPerSec,omitempty"`
}

func benchCmd() *cobra.Command {
	var o benchOptions
	cmd := &cobra.Command{
		Use:   "bench --rpc URL",
		Short: "Load a chain with signed transfers and report throughput and inclusion latency",
		Long: "bench funds --accounts fresh accounts from --fund-key, signs --txs transfers spread over them,\n" +
			"submits them in JSON-RPC batches over --conns connections keeping at most --window in flight,\n" +
			"and reports submitted and committed tx/s and p50/p99 latency from submission to the first\n" +
			"observation of the block that includes the transaction.",
		RunE: func(cmd *cobra.Command, _ []string) error {
			r, err := runBench(cmd.Context(), cmd.ErrOrStderr(), o)
			if err != nil {
				return err
			}
			if o.JSON {
				return json.NewEncoder(cmd.OutOrStdout()).Encode(r)
			}
			printBench(cmd.OutOrStdout(), r)
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.RPC, "rpc", "http://127.0.0.1:8545", "JSON-RPC URL of the chain to load")
	f.IntVar(&o.Txs, "txs", 20000, "transfers to send")
	f.IntVar(&o.Accounts, "accounts", 200, "sending accounts")
	f.IntVar(&o.Conns, "conns", 4, "parallel RPC connections")
	f.IntVar(&o.Batch, "batch", 100, "transactions per JSON-RPC batch")
	f.IntVar(&o.Window, "window", 4000, "most transactions submitted but not yet included (the pool's capacity)")
	f.StringVar(&o.FundKey, "fund-key", "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80", "private key that funds the sending accounts (default: dev account 0)")
	f.DurationVar(&o.Timeout, "timeout", 5*time.Minute, "give up after this long")
	f.BoolVar(&o.JSON, "json", false, "print the result as JSON")
	f.Float64Var(&o.Rate, "rate", 0, "offered load: submit at most this many transactions per second in all (0: as fast as --window allows)")
	f.StringVar(&o.PprofOut, "pprof-out", "", "write a CPU profile of the node behind --rpc, taken from the first submission, to this file (the node must run with ASPEN_PPROF=1)")
	f.IntVar(&o.PprofSeconds, "pprof-seconds", 10, "length of the --pprof-out profile")
	f.StringVar(&o.ReleaseTo, "release-to", "", "send releases (1 gwei each) to the parent chain at this RPC URL instead of transfers, and time them until the parent paid them all")
	return cmd
}

type benchTx struct {
	raw       hexutil.Bytes
	hash      common.Hash
	submitted time.Time
}

func runBench(ctx context.Context, progressOut io.Writer, o benchOptions) (*benchResult, error) {
	if o.Txs <= 0 || o.Accounts <= 0 || o.Conns <= 0 || o.Batch <= 0 || o.Window < o.Batch {
		return nil, fmt.Errorf("--txs, --accounts, --conns and --batch must be positive and --window at least --batch")
	}
	if o.Rate < 0 || (o.PprofOut != "" && (o.PprofSeconds <= 0 || o.PprofSeconds > 600)) {
		return nil, fmt.Errorf("--rate must not be negative and --pprof-seconds must be between 1 and 600")
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	clients := make([]*gethrpc.Client, o.Conns)
	for i := range clients {
		c, err := gethrpc.DialOptions(ctx, o.RPC, gethrpc.WithHTTPClient(newHTTPClient()))
		if err != nil {
			return nil, fmt.Errorf("connect to %s: %w", o.RPC, err)
		}
		defer c.Close()
		clients[i] = c
	}
	c := clients[0]
	var chainID hexutil.Big
	if err := c.CallContext(ctx, &chainID, "eth_chainId"); err != nil {
		return nil, fmt.Errorf("eth_chainId on %s: %w", o.RPC, err)
	}
	signer := gethtypes.LatestSignerForChainID(chainID.ToInt())
	funder, err := gethcrypto.HexToECDSA(strings.TrimPrefix(o.FundKey, "0x"))
	if err != nil {
		return nil, fmt.Errorf("--fund-key: %w", err)
	}
	keys := benchKeys(o.Accounts)
	var baseFee hexutil.Big
	if err := c.CallContext(ctx, &baseFee, "eth_gasPrice"); err != nil {
		return nil, fmt.Errorf("eth_gasPrice: %w", err)
	}
	tip := big.NewInt(1_000_000_000)
	// Full blocks raise the base fee 12.5% each: 20x covers ~25 full blocks in a row.
	feeCap := new(big.Int).Add(new(big.Int).Mul(baseFee.ToInt(), big.NewInt(20)), tip)

	fmt.Fprintf(progressOut, "funding %d accounts…\n", o.Accounts)
	gasEach := uint64(21000)
	var release *common.Address
	var parent *gethrpc.Client
	var paidBefore *big.Int
	if o.ReleaseTo != "" {
		gasEach = releaseGas
		r := common.BytesToAddress(gethcrypto.Keccak256([]byte("aspen bench release recipient"))[:20])
		release = &r
		if parent, err = gethrpc.DialContext(ctx, o.ReleaseTo); err != nil {
			return nil, fmt.Errorf("connect to the parent at %s: %w", o.ReleaseTo, err)
		}
		defer parent.Close()
		if paidBefore, err = balanceOf(ctx, parent, r); err != nil {
			return nil, fmt.Errorf("parent at %s: %w", o.ReleaseTo, err)
		}
	}
	if err := fundBenchAccounts(ctx, c, signer, funder, keys, feeCap, tip, o.Txs/o.Accounts+1, gasEach); err != nil {
		return nil, err
	}

	fmt.Fprintf(progressOut, "signing %d transactions…\n", o.Txs)
	signStart := time.Now()
	txs, err := signTransfers(ctx, c, signer, keys, o.Txs, feeCap, tip, release)
	if err != nil {
		return nil, err
	}
	signRate := float64(len(txs)) / time.Since(signStart).Seconds()

	res := &benchResult{Txs: len(txs), OfferedTPS: o.Rate, Accounts: o.Accounts, Connections: o.Conns, Batch: o.Batch, SignedPerSec: signRate}
	w := newInclusionWatcher(c, txs)
	w.progress = progress.New(progressOut, "committed", "tx", int64(len(txs)), progress.Options{})
	start := time.Now()
	profErr := make(chan error, 1)
	if o.PprofOut != "" {
		go func() { profErr <- fetchProfile(ctx, o.RPC, o.PprofSeconds, o.PprofOut) }()
	} else {
		profErr <- nil
	}
	watchErr := make(chan error, 1)
	go func() { watchErr <- w.run(ctx) }()
	rejected, includable, firstRej, err := submitAll(ctx, clients, txs, o.Accounts, o, w, newPacer(start, o.Rate))
	if err != nil {
		return nil, err
	}
	res.SubmitSeconds = time.Since(start).Seconds()
	res.Rejected, res.FirstRejection = rejected, firstRej
	if rejected > 0 {
		fmt.Fprintf(progressOut, "\n%d transactions rejected (first: %s); waiting for the %d that can still be included\n", rejected, firstRej, includable)
	}
	w.progress.SetTotal(int64(includable))
	w.expect(includable)
	if err := <-watchErr; err != nil {
		return nil, err
	}
	w.progress.Finish()
	if err := <-profErr; err != nil {
		return nil, err
	}
	res.CommitSeconds = w.lastSeen.Sub(start).Seconds()
	res.SubmittedTPS = float64(len(txs)) / res.SubmitSeconds
	res.Committed = includable
	res.CommittedTPS = float64(includable) / res.CommitSeconds
	res.Blocks = w.blocks
	lat := w.latencies()
	res.LatencyP50Ms, res.LatencyP99Ms = percentile(lat, 50), percentile(lat, 99)
	if release != nil {
		want := new(big.Int).Add(paidBefore, new(big.Int).Mul(big.NewInt(int64(includable)), big.NewInt(1e9)))
		applied := progress.New(progressOut, "applied", "msgs", int64(includable), progress.Options{})
		for {
			got, err := balanceOf(ctx, parent, *release)
			if err != nil {
				return nil, err
			}
			if got.Cmp(want) >= 0 {
				break
			}
			done := new(big.Int).Div(new(big.Int).Sub(got, paidBefore), big.NewInt(1e9)).Int64()
			applied.Set(done)
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("the parent paid %d of %d releases before the timeout", done, includable)
			case <-time.After(100 * time.Millisecond):
			}
		}
		applied.Finish()
		res.AppliedSeconds = time.Since(start).Seconds()
		res.AppliedPerSec = float64(includable) / res.AppliedSeconds
	}
	return res, nil
}

func balanceOf(ctx context.Context, c *gethrpc.Client, a common.Address) (*big.Int, error) {
	var b hexutil.Big
	if err := c.CallContext(ctx, &b, "eth_getBalance", a, "latest"); err != nil {
		return nil, err
	}
	return b.ToInt(), nil
}

// benchKeys derives the sending keys from a fixed seed so reruns reuse accounts.
func benchKeys(n int) []*ecdsa.PrivateKey {
	keys := make([]*ecdsa.PrivateKey, n)
	for i := range keys {
		var seed [8]byte
		binary.BigEndian.PutUint64(seed[:], uint64(i))
		k, err := gethcrypto.ToECDSA(gethcrypto.Keccak256([]byte("aspen bench account"), seed[:]))
		if err != nil {
			panic(err) // a keccak output is a valid key with overwhelming probability
		}
		keys[i] = k
	}
	return keys
}

func printBench(out io.Writer, r *benchResult) {
	fmt.Fprintf(out, "transactions  %d from %d accounts over %d connections (batches of %d)\n", r.Txs, r.Accounts, r.Connections, r.Batch)
	fmt.Fprintf(out, "signed        %.0f tx/s\n", r.SignedPerSec)
	if r.OfferedTPS > 0 {
		fmt.Fprintf(out, "offered       %.0f tx/s\n", r.OfferedTPS)
	}
	fmt.Fprintf(out, "submitted     %.0f tx/s (%.2fs)\n", r.SubmittedTPS, r.SubmitSeconds)
	fmt.Fprintf(out, "committed     %.0f tx/s (%.2fs, %d blocks)\n", r.CommittedTPS, r.CommitSeconds, r.Blocks)
	fmt.Fprintf(out, "inclusion     p50 %.0f ms   p99 %.0f ms\n", r.LatencyP50Ms, r.LatencyP99Ms)
	if r.Rejected > 0 {
		fmt.Fprintf(out, "rejected      %d (first: %s)\n", r.Rejected, r.FirstRejection)
	}
	if r.AppliedSeconds > 0 {
		fmt.Fprintf(out, "applied       %.0f cross-messages/s on the parent (%.2fs from the first submission)\n", r.AppliedPerSec, r.AppliedSeconds)
	}
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted)-1) * p / 100)
	return float64(sorted[i].Microseconds()) / 1000
}
