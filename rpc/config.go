package rpc

import (
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	gethrpc "github.com/ethereum/go-ethereum/rpc"
)

// Defaults for Config fields left zero.
const (
	DefaultBodyLimit         = 5 << 20 // 5 MiB
	DefaultBatchItemLimit    = 1000
	DefaultBatchResponseSize = 25 << 20 // 25 MB, as geth
	DefaultGasCap            = 50_000_000
	DefaultCallTimeout       = 5 * time.Second
	DefaultLogRangeLimit     = 10_000
	DefaultFilterTimeout     = 5 * time.Minute
	// Filters and subscriptions: per connection, and over every client and
	// subnet path of the node. A filter costs a few hundred bytes plus its
	// query (at most 1,000 addresses and 4×1,000 topics); a subscription a
	// goroutine and a 256-event buffer.
	DefaultMaxFilters              = 4096
	DefaultMaxFiltersPerConn       = 256
	DefaultMaxSubscriptions        = 4096
	DefaultMaxSubscriptionsPerConn = 256
	// HTTP server timeouts (geth's values); WriteTimeout also bounds one call.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
	DefaultWriteTimeout      = 30 * time.Second
	DefaultIdleTimeout       = 120 * time.Second
	DefaultVersion           = "v0.1.0"
)

// Clock tells the time. Filters expire by it; tests inject a manual one.
type Clock interface {
	Now() time.Time
}

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Config tunes the JSON-RPC layer. The zero value is usable: every zero field
// takes the default named beside it.
type Config struct {
	// BodyLimit is the largest HTTP request body accepted, in bytes (DefaultBodyLimit).
	BodyLimit int
	// BatchItemLimit is the most calls one batch may carry (DefaultBatchItemLimit).
	BatchItemLimit int
	// BatchResponseSize caps the bytes of one batch's responses (DefaultBatchResponseSize).
	BatchResponseSize int
	// GasCap bounds the gas of eth_call and eth_estimateGas (DefaultGasCap).
	GasCap uint64
	// CallTimeout bounds one eth_call / eth_estimateGas (DefaultCallTimeout).
	CallTimeout time.Duration
	// LogRangeLimit is the widest block range eth_getLogs scans (DefaultLogRangeLimit).
	LogRangeLimit uint64
	// FilterTimeout uninstalls a filter nobody polled for this long (DefaultFilterTimeout).
	FilterTimeout time.Duration
	// MaxFilters caps installed filters over every client and subnet path
	// (DefaultMaxFilters); MaxFiltersPerConn caps them per client connection
	// (DefaultMaxFiltersPerConn). Beyond either, eth_new*Filter answers -32005.
	MaxFilters        int
	MaxFiltersPerConn int
	// MaxSubscriptions and MaxSubscriptionsPerConn do the same for
	// eth_subscribe (DefaultMaxSubscriptions, DefaultMaxSubscriptionsPerConn).
	MaxSubscriptions        int
	MaxSubscriptionsPerConn int
	// WSOrigins are the browser origins allowed to open a WebSocket
	// (DefaultWSOrigins: pages served from this machine). A request without
	// an Origin header (not a browser) is always let in; "*" lets every
	// origin in. Entries are as geth takes them: "localhost" matches any
	// scheme and port, "https://app.example:8080" only that one.
	WSOrigins []string
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout are the
	// HTTP server's (NewHTTPServer); WebSocket connections clear them after
	// the upgrade and keep themselves alive with pings.
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration
	// Coinbase is what eth_coinbase reports: the node's validator account, or zero.
	Coinbase common.Address
	// Version is the node version in web3_clientVersion (DefaultVersion).
	Version string
	// Clock drives filter expiry (the system clock).
	Clock Clock
	// Aspen, if set, is served as the aspen_ namespace on every subnet path:
	// its exported methods become aspen_<method> (geth rpc conventions). It is
	// the node's own view (subnets served, peers), the same on every path.
	Aspen any

	idgen func() gethrpc.ID // filter IDs; random when nil
}

func (c Config) withDefaults() Config {
	if c.BodyLimit <= 0 {
		c.BodyLimit = DefaultBodyLimit
	}
	if c.BatchItemLimit <= 0 {
		c.BatchItemLimit = DefaultBatchItemLimit
	}
	if c.BatchResponseSize <= 0 {
		c.BatchResponseSize = DefaultBatchResponseSize
	}
	if c.GasCap == 0 {
		c.GasCap = DefaultGasCap
	}
	if c.CallTimeout <= 0 {
		c.CallTimeout = DefaultCallTimeout
	}
	if c.LogRangeLimit == 0 {
		c.LogRangeLimit = DefaultLogRangeLimit
	}
	if c.FilterTimeout <= 0 {
		c.FilterTimeout = DefaultFilterTimeout
	}
	if c.MaxFilters <= 0 {
		c.MaxFilters = DefaultMaxFilters
	}
	if c.MaxFiltersPerConn <= 0 {
		c.MaxFiltersPerConn = DefaultMaxFiltersPerConn
	}
	if c.MaxSubscriptions <= 0 {
		c.MaxSubscriptions = DefaultMaxSubscriptions
	}
	if c.MaxSubscriptionsPerConn <= 0 {
		c.MaxSubscriptionsPerConn = DefaultMaxSubscriptionsPerConn
	}
	if len(c.WSOrigins) == 0 {
		c.WSOrigins = DefaultWSOrigins()
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.ReadTimeout <= 0 {
		c.ReadTimeout = DefaultReadTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	// A call that runs to its own limit must still be able to answer.
	if c.WriteTimeout < c.CallTimeout+time.Second {
		c.WriteTimeout = c.CallTimeout + time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	if c.Version == "" {
		c.Version = DefaultVersion
	}
	if c.Clock == nil {
		c.Clock = systemClock{}
	}
	return c
}

// DefaultWSOrigins are the browser origins a WebSocket accepts when none are
// configured: pages served from this machine, on any port. A page on another
// site cannot drive a local node's WebSocket from a visitor's browser.
func DefaultWSOrigins() []string {
	return []string{"localhost", "127.0.0.1", "http://[::1]", "https://[::1]"}
}

// clientVersion is web3_clientVersion: aspen/v0.1.0/linux-amd64/go1.26.
func (c Config) clientVersion() string {
	goVersion := runtime.Version()
	if parts := strings.SplitN(goVersion, ".", 3); len(parts) == 3 {
		goVersion = parts[0] + "." + parts[1]
	}
	return fmt.Sprintf("aspen/%s/%s-%s/%s", c.Version, runtime.GOOS, runtime.GOARCH, goVersion)
}

// newID returns a fresh filter ID; tests in this package fix the generator.
func (c Config) newID() gethrpc.ID {
	if c.idgen != nil {
		return c.idgen()
	}
	return gethrpc.NewID()
}
