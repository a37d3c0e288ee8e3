package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"sort"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/consensus"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/explorer"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/rpc"
	"github.com/aspen-chain/aspen/types"
	"github.com/aspen-chain/aspen/witnesssync"
)

// Version is reported by web3_clientVersion and the logs.
const Version = "v0.1.0"

// Node is one running Aspen node.
type Node struct {
	cfg     *config.Node
	log     *slog.Logger
	metrics *metrics
	keys    engineKeys
	root    *runtime
	mu      struct {
		sync.Mutex
		runtimes map[types.SubnetID]*runtime
	}
	managerWake chan struct{}
	children    *reconciler
	rpc         *rpc.Handler
	listener    net.Listener
	server      *http.Server
	host        *libp2p.Host         // nil without p2p.listen
	witnesses   *witnesssync.Fetcher // nil without p2p.listen
	failed      chan error
}

// hostOrNil returns the host as a p2p.Host, or a nil interface (not a typed nil).
func (n *Node) hostOrNil() p2p.Host {
	if n.host == nil {
		return nil
	}
	return n.host
}

func (n *Node) closeHost() {
	if n.host != nil {
		n.host.Close()
	}
}

func openHost(cfg *config.Node, log *slog.Logger, reg prometheus.Registerer) (*libp2p.Host, error) {
	key, err := libp2p.LoadOrGenerateIdentityKey(cfg.Path(cfg.Keys.Identity))
	if err != nil {
		return nil, err
	}
	h, err := libp2p.New(context.Background(), libp2p.Config{
		Key: key, ListenAddrs: cfg.P2P.Listen, AnnounceAddrs: cfg.P2P.Announce, Bootstrap: cfg.P2P.Bootstrap, Registerer: reg, Log: log,
	})
	if err != nil {
		return nil, fmt.Errorf("start p2p on %v: %w", cfg.P2P.Listen, err)
	}
	return h, nil
}

// New opens the node's home: keys, genesis, every subnet's storage, and binds
// the RPC port. Nothing runs until Run.
func New(cfg *config.Node, log *slog.Logger) (*Node, error) {
	gen, err := config.LoadGenesis(cfg.Path(cfg.Genesis))
	if err != nil {
		return nil, err
	}
	key, err := crypto.LoadAccountKey(cfg.Path(cfg.Keys.Account), cfg.Password())
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, metrics: newMetrics(), managerWake: make(chan struct{}, 1)}
	n.metrics.tree.source(n.childQueues)
	n.children = newReconciler(reconcilerConfig{seated: n.holdsSeat, running: func(id types.SubnetID) bool { return n.runtime(id) != nil },
		start: n.startChild, stop: func(id types.SubnetID) { n.stopChild(id, true) }, now: time.Now, log: log})
	n.mu.runtimes = map[types.SubnetID]*runtime{}
	seq := sequencerKey{key: key, address: gethcrypto.PubkeyToAddress(key.PublicKey)}
	keys := engineKeys{account: seq}
	kind, err := consensus.LookupKind(gen.Engine)
	if err != nil {
		return nil, err
	}
	// A root whose engine does not vote (solo, pow) needs no BLS key, but
	// a node with one can still hold seats in subnets that vote.
	if blsPath := cfg.Path(cfg.Keys.Validator); kind.ValidatorKeys || fileExists(blsPath) {
		if keys.bls, err = crypto.LoadBLSKey(blsPath); err != nil {
			return nil, err
		}
	}
	if len(cfg.P2P.Listen) > 0 {
		if n.host, err = openHost(cfg, log, n.metrics.reg); err != nil {
			return nil, err
		}
		n.serveWitnesses()
	}
	rt, err := openRuntime(cfg, gen, keys, n.hostOrNil(), log, n.metrics, nil)
	if err != nil {
		n.closeHost()
		return nil, err
	}
	n.keys = keys
	n.root = rt
	rt.onHead = func() { n.wakeManager(); n.wakeChildren(rt.id) }
	backends := map[types.SubnetID]rpc.Backend{rt.id: &backend{rt: rt}}
	rcfg := rpcConfig(cfg, seq.address)
	rcfg.Aspen = &aspenAPI{n: n}
	n.rpc, err = rpc.NewHandler(backends, rt.id, rcfg)
	if err != nil {
		rt.close()
		n.closeHost()
		return nil, err
	}
	n.listener, err = net.Listen("tcp", cfg.RPC.Listen)
	if err != nil {
		rt.close()
		n.closeHost()
		return nil, fmt.Errorf("listen for RPC on %s: %w (is another node using the port? set rpc.listen in %s)", cfg.RPC.Listen, err, cfg.Path(config.ConfigFile))
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(n.metrics.reg, promhttp.HandlerOpts{}))
	if os.Getenv("ASPEN_PPROF") == "1" { // profiling on the RPC port, for engineers only
		mux.HandleFunc("/debug/pprof/", pprof.Index)
		mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	}
	mux.Handle(explorer.Prefix, explorer.Handler())
	mux.Handle("/", n.rpc)
	n.server = rpc.NewHTTPServer(mux, rcfg)
	return n, nil
}

func rpcConfig(cfg *config.Node, coinbase common.Address) rpc.Config {
	return rpc.Config{
		BodyLimit:      cfg.RPC.MaxBodyBytes,
		BatchItemLimit: cfg.RPC.MaxBatchItems,
		GasCap:         cfg.RPC.CallGasCap,
		CallTimeout:    cfg.RPC.CallTimeout.Duration,
		WSOrigins:      cfg.RPC.WSOrigins,
		Coinbase:       coinbase,
		Version:        Version,
	}
}

// RPCAddr is the address the RPC server listens on.
func (n *Node) RPCAddr() string { return n.listener.Addr().String() }

// launch runs rt's driver in its own goroutine until ctx ends or rt is
// stopped. The root chain's failure stops the node (Run returns it); a
// child's failure stops that child alone (see childFailed).
func (n *Node) launch(ctx context.Context, rt *runtime) context.Context {
	rctx, cancel := context.WithCancel(ctx)
	rt.cancel, rt.done = cancel, make(chan struct{})
	n.mu.Lock()
	n.mu.runtimes[rt.id] = rt
	n.mu.Unlock()
	n.startJuror(rctx, rt)
	go func() {
		defer close(rt.done)
		err := rt.run(rctx)
		switch {
		case err == nil:
		case rt.parent == nil:
			n.log.Error("root chain stopped after failure", "subnet", rt.id, "err", err)
			n.fail(fmt.Errorf("subnet %s: %w", rt.id, err))
		default:
			n.childFailed(rctx, rt, err)
		}
	}()
	return rctx
}

// childFailed stops a child runtime whose driver failed, alone: the root
// and every other subnet go on. It is reported (log and
// aspen_subnet_failures_total) and the manager starts the child again after
// a backoff. A runtime already being stopped (stopChild, or Run shutting
// down: its context is done) is left to whoever stops it.
func (n *Node) childFailed(ctx context.Context, rt *runtime, err error) {
	n.log.Error("subnet stopped after failure; the node goes on", "subnet", rt.id, "err", err)
	n.metrics.subnetFailures.WithLabelValues(string(rt.id)).Inc()
	// The backoff first: once rt leaves the list the manager may look, and
	// must not reopen the subnet's storage before rt closed it.
	wait := n.children.failed(rt.id)
	n.mu.Lock()
	mine := ctx.Err() == nil && n.mu.runtimes[rt.id] == rt
	if mine {
		delete(n.mu.runtimes, rt.id)
	}
	n.mu.Unlock()
	if !mine {
		return
	}
	rt.cancel() // its relay and gossip readers
	// Its children on this node read its chain: they stop before its
	// storage closes, and the manager starts them again on the new runtime.
	n.stopDescendants(rt.id)
	if n.rpc != nil {
		_ = n.rpc.RemoveSubnet(rt.id)
	}
	if cerr := rt.close(); cerr != nil {
		n.log.Warn("closing failed subnet", "subnet", rt.id, "err", cerr)
	}
	n.log.Info("failed subnet will be restarted", "subnet", rt.id, "in", wait)
	n.wakeManager()
}

// stopDescendants stops, deepest first and without deleting storage, the
// runtimes on this node below parent.
func (n *Node) stopDescendants(parent types.SubnetID) {
	var kids []types.SubnetID
	n.mu.Lock()
	for id, rt := range n.mu.runtimes {
		if rt.parent != nil && rt.parent.ID() == parent {
			kids = append(kids, id)
		}
	}
	n.mu.Unlock()
	for _, id := range kids {
		n.stopDescendants(id)
		n.stopChild(id, false)
	}
}

// fail reports a fatal error of the root chain to Run.
func (n *Node) fail(err error) {
	select {
	case n.failed <- err:
	default:
	}
}

func (n *Node) runtimeList() []*runtime {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]*runtime, 0, len(n.mu.runtimes))
	for _, rt := range n.mu.runtimes {
		out = append(out, rt)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].id < out[j].id })
	return out
}

func (n *Node) runtime(id types.SubnetID) *runtime {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.mu.runtimes[id]
}

// Run serves RPC and drives every subnet until ctx ends or the root chain
// fails, then shuts down: RPC first (no new work), then the drivers, then
// storage.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	n.failed = make(chan error, 1)
	go func() {
		if err := n.server.Serve(n.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			n.fail(fmt.Errorf("rpc server: %w", err))
		}
	}()
	n.launch(ctx, n.root)
	go n.manage(ctx)
	n.wakeManager() // resume the subnets this node served before a restart
	n.log.Info("node running", "version", Version, "rpc", "http://"+n.RPCAddr())
	var err error
	select {
	case <-ctx.Done():
	case err = <-n.failed:
		n.log.Error("stopping after failure", "err", err)
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	_ = n.server.Shutdown(shutdownCtx)
	n.rpc.Close()
	cancel()
	for _, rt := range n.runtimeList() {
		<-rt.done
		if cerr := rt.close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	n.closeHost()
	n.log.Info("node stopped")
	return err
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}
