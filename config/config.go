package config

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ErrInvalidConfig wraps every reason Validate rejects a node config.
var ErrInvalidConfig = errors.New("config: invalid node config")

// Duration is a time.Duration written as "1s", "200ms" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w (write it like \"1s\" or \"200ms\")", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText writes the duration as a Go duration string.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Node is a node's config.toml. Relative paths are relative to Home.
type Node struct {
	Home string `toml:"-"`
	Name string `toml:"name"`

	Genesis string `toml:"genesis"` // genesis JSON of the root chain

	RPC struct {
		Listen        string   `toml:"listen"`          // host:port; one port for HTTP and WS
		MaxBodyBytes  int      `toml:"max_body_bytes"`  // 0: default
		MaxBatchItems int      `toml:"max_batch_items"` // 0: default
		CallGasCap    uint64   `toml:"call_gas_cap"`    // 0: default
		CallTimeout   Duration `toml:"call_timeout"`    // 0: default
		// WSOrigins are the browser origins (pages) allowed to open a
		// WebSocket, e.g. ["https://app.example"]; empty: pages on this
		// machine only (localhost, 127.0.0.1, [::1]); ["*"]: any page.
		WSOrigins []string `toml:"ws_origins"`
	} `toml:"rpc"`

	Consensus struct {
		BlockTime    Duration `toml:"block_time"`    // solo: seal every block time while txs wait
		IdleInterval Duration `toml:"idle_interval"` // solo: empty block at most this often
	} `toml:"consensus"`

	// Mining is what this node does on proof-of-work chains (any node of
	// one may mine; the reward and priority fees go to its account).
	Mining struct {
		Enabled bool `toml:"enabled"` // mine on every pow chain this node runs
		Threads int  `toml:"threads"` // cores the search uses per chain; default 1
	} `toml:"mining"`

	Keys struct {
		Account      string `toml:"account"`       // go-ethereum keystore v3 file
		PasswordFile string `toml:"password_file"` // empty: the empty password (devnets)
		Validator    string `toml:"validator"`     // BLS12-381 key
		Identity     string `toml:"identity"`      // libp2p Ed25519 identity
	} `toml:"keys"`

	P2P struct {
		Listen    []string `toml:"listen"`    // multiaddrs, e.g. /ip4/127.0.0.1/tcp/26656
		Bootstrap []string `toml:"bootstrap"` // multiaddrs ending in /p2p/<peer id>
		// Announce, when set, is what the node advertises to peers instead
		// of its listen addresses (a NAT, a proxy, a port forward), and the
		// address a join publishes. Multiaddrs without /p2p/.
		Announce []string `toml:"announce,omitempty"`
	} `toml:"p2p"`

	Log struct {
		Level  string `toml:"level"`  // debug, info, warn, error
		Format string `toml:"format"` // text or json
	} `toml:"log"`
}

// MaxMiningThreads bounds mining.threads (per proof-of-work chain).
const MaxMiningThreads = 256

// ConfigFile is the name of a node's config inside its home.
const ConfigFile = "config.toml"

// DefaultNode returns a config with every default filled in for home.
func DefaultNode(home string) *Node {
	n := &Node{Home: home, Name: filepath.Base(home), Genesis: "genesis.json"}
	n.RPC.Listen = "127.0.0.1:8545"
	n.Consensus.BlockTime = Duration{time.Second}
	n.Consensus.IdleInterval = Duration{10 * time.Second}
	n.Mining.Threads = 1
	n.Keys.Account = "keys/account.json"
	n.Keys.Validator = "keys/validator.json"
	n.Keys.Identity = "keys/identity.key"
	n.Log.Level, n.Log.Format = "info", "text"
	return n
}

// LoadNode reads home/config.toml over the defaults and validates it.
func LoadNode(home string) (*Node, error) {
	n := DefaultNode(home)
	path := filepath.Join(home, ConfigFile)
	if _, err := toml.DecodeFile(path, n); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("config: %s not found: create the home with `aspen init --home %s`", path, home)
		}
		return nil, fmt.Errorf("config: %s: %w", path, err)
	}
	n.Home = home
	return n, n.Validate()
}

// Save writes the config to home/config.toml.
func (n *Node) Save() error {
	f, err := os.Create(filepath.Join(n.Home, ConfigFile))
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	defer f.Close()
	if err := toml.NewEncoder(f).Encode(n); err != nil {
		return fmt.Errorf("config: write %s: %w", f.Name(), err)
	}
	return f.Close()
}

// Validate reports the first setting the node cannot run with.
func (n *Node) Validate() error {
	if _, _, err := net.SplitHostPort(n.RPC.Listen); err != nil {
		return fmt.Errorf("%w: rpc.listen %q is not host:port", ErrInvalidConfig, n.RPC.Listen)
	}
	if n.Mining.Threads < 1 || n.Mining.Threads > MaxMiningThreads {
		return fmt.Errorf("%w: mining.threads %d must be between 1 and %d", ErrInvalidConfig, n.Mining.Threads, MaxMiningThreads)
	}
	if n.Consensus.BlockTime.Duration < 10*time.Millisecond {
		return fmt.Errorf("%w: consensus.block_time %s is below the 10ms minimum", ErrInvalidConfig, n.Consensus.BlockTime)
	}
	if n.Consensus.IdleInterval.Duration < n.Consensus.BlockTime.Duration {
		return fmt.Errorf("%w: consensus.idle_interval %s is shorter than block_time %s", ErrInvalidConfig, n.Consensus.IdleInterval, n.Consensus.BlockTime)
	}
	switch n.Log.Format {
	case "text", "json":
	default:
		return fmt.Errorf("%w: log.format %q must be text or json", ErrInvalidConfig, n.Log.Format)
	}
	if n.Genesis == "" || n.Keys.Account == "" {
		return fmt.Errorf("%w: genesis and keys.account must be set", ErrInvalidConfig)
	}
	return nil
}

// Path resolves p against the home directory.
func (n *Node) Path(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(n.Home, p)
}

// Password is the keystore password: the contents of keys.password_file
// without a trailing newline, or "" (devnets) when none is set or readable.
func (n *Node) Password() string {
	if n.Keys.PasswordFile == "" {
		return ""
	}
	b, err := os.ReadFile(n.Path(n.Keys.PasswordFile))
	if err != nil {
		return ""
	}
	return strings.TrimRight(string(b), "\r\n")
}
