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
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aspen-chain/aspen/config"
	"github.com/aspen-chain/aspen/crypto"
	"github.com/aspen-chain/aspen/p2p"
	"github.com/aspen-chain/aspen/p2p/libp2p"
	"github.com/aspen-chain/aspen/rpc"
	"github.com/aspen-chain/aspen/types"
)

// Version is reported by web3_clientVersion and the logs.
const Version = "v0.1.0"

// Node is one running Aspen node.
type Node struct {
	cfg      *config.Node
	log      *slog.Logger
	metrics  *metrics
	root     *runtime
	runtimes map[types.SubnetID]*runtime
	rpc      *rpc.Handler
	listener net.Listener
	server   *http.Server
	host     *libp2p.Host // nil without p2p.listen
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
		Key: key, ListenAddrs: cfg.P2P.Listen, Bootstrap: cfg.P2P.Bootstrap, Registerer: reg, Log: log,
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
	key, err := crypto.LoadAccountKey(cfg.Path(cfg.Keys.Account), password(cfg))
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, metrics: newMetrics(), runtimes: map[types.SubnetID]*runtime{}}
	seq := sequencerKey{key: key, address: gethcrypto.PubkeyToAddress(key.PublicKey)}
	keys := engineKeys{account: seq}
	if gen.Engine != "solo" {
		if keys.bls, err = crypto.LoadBLSKey(cfg.Path(cfg.Keys.Validator)); err != nil {
			return nil, err
		}
	}
	if len(cfg.P2P.Listen) > 0 {
		if n.host, err = openHost(cfg, log, n.metrics.reg); err != nil {
			return nil, err
		}
	}
	rt, err := openRuntime(cfg, gen, keys, n.hostOrNil(), log, n.metrics)
	if err != nil {
		n.closeHost()
		return nil, err
	}
	n.root = rt
	n.runtimes[rt.id] = rt
	backends := map[types.SubnetID]rpc.Backend{rt.id: &backend{rt: rt, gasCap: cfg.RPC.CallGasCap}}
	n.rpc, err = rpc.NewHandler(backends, rt.id, rpcConfig(cfg, seq.address))
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
	mux.Handle("/", n.rpc)
	n.server = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	return n, nil
}

func rpcConfig(cfg *config.Node, coinbase common.Address) rpc.Config {
	return rpc.Config{
		BodyLimit:      cfg.RPC.MaxBodyBytes,
		BatchItemLimit: cfg.RPC.MaxBatchItems,
		GasCap:         cfg.RPC.CallGasCap,
		CallTimeout:    cfg.RPC.CallTimeout.Duration,
		Coinbase:       coinbase,
		Version:        Version,
	}
}

func password(cfg *config.Node) string {
	if cfg.Keys.PasswordFile == "" {
		return ""
	}
	b, err := os.ReadFile(cfg.Path(cfg.Keys.PasswordFile))
	if err != nil {
		return ""
	}
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return string(b)
}

// RPCAddr is the address the RPC server listens on.
func (n *Node) RPCAddr() string { return n.listener.Addr().String() }

// Run serves RPC and drives every subnet until ctx ends or a subnet fails,
// then shuts down: RPC first (no new work), then the drivers, then storage.
func (n *Node) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(n.runtimes)+1)
	go func() {
		if err := n.server.Serve(n.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("rpc server: %w", err)
		}
	}()
	done := make(chan struct{}, len(n.runtimes))
	for _, rt := range n.runtimes {
		go func(rt *runtime) {
			if err := rt.run(ctx); err != nil {
				errs <- fmt.Errorf("subnet %s: %w", rt.id, err)
			}
			done <- struct{}{}
		}(rt)
	}
	n.log.Info("node running", "version", Version, "rpc", "http://"+n.RPCAddr(), "subnets", len(n.runtimes))
	var err error
	select {
	case <-ctx.Done():
	case err = <-errs:
		n.log.Error("stopping after failure", "err", err)
	}
	shutdownCtx, stop := context.WithTimeout(context.Background(), 5*time.Second)
	defer stop()
	_ = n.server.Shutdown(shutdownCtx)
	n.rpc.Close()
	cancel()
	for range n.runtimes {
		<-done
	}
	for _, rt := range n.runtimes {
		if cerr := rt.close(); cerr != nil && err == nil {
			err = cerr
		}
	}
	n.closeHost()
	n.log.Info("node stopped")
	return err
}
