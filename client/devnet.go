package client

import (
	"crypto/ecdsa"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ethereum/go-ethereum/common"
	gethcrypto "github.com/ethereum/go-ethereum/crypto"
)

// DevnetFile is the manifest's name in a devnet's home.
const DevnetFile = "devnet.json"

// ErrNoSubnet: the manifest does not list the subnet asked for.
var ErrNoSubnet = errors.New("client: devnet.json lists no such subnet")

// Devnet is devnet.json: everything a script or test needs to use a local
// network that `aspen devnet` runs.
type Devnet struct {
	Network string `json:"network"`
	// Profile is the shape of the tree: "default", "layered" (a pow
	// subnet with bft subnets below it), "disjoint" (no validator of the
	// root validates /NET/alpha's subtree), "topology" (a --topology
	// file) or "" for the root alone.
	Profile  string          `json:"profile,omitempty"`
	Gateway  string          `json:"gateway"`
	Mnemonic string          `json:"mnemonic"`
	Accounts []DevnetAccount `json:"accounts"`
	Nodes    []DevnetNode    `json:"nodes"`
	Subnets  []DevnetSubnet  `json:"subnets"`
	// Jury is the jury pool `aspen devnet --jury` bonded (nil without it).
	Jury *DevnetJury `json:"jury,omitempty"`
}

// DevnetJury: with --jury, every node's account bonded as a juror on the
// root with its validator BLS key, so the root's children's checkpoints are
// held until a jury of them attests.
type DevnetJury struct {
	Chain  string           `json:"chain"`  // where they bonded: the root
	Bond   string           `json:"bond"`   // coins each
	Jurors []common.Address `json:"jurors"` // the node accounts in the pool when devnet.json was written
}

// DevnetAccount is a prefunded account of the standard test mnemonic.
type DevnetAccount struct {
	Address    common.Address `json:"address"`
	PrivateKey string         `json:"privateKey"`
}

// Key parses the account's private key.
func (a DevnetAccount) Key() (*ecdsa.PrivateKey, error) {
	k, err := gethcrypto.HexToECDSA(strings.TrimPrefix(a.PrivateKey, "0x"))
	if err != nil {
		return nil, fmt.Errorf("client: devnet account %s: %w", a.Address, err)
	}
	return k, nil
}

// DevnetNode is one node process of the devnet.
type DevnetNode struct {
	Name    string         `json:"name"`
	Home    string         `json:"home"`
	PID     int            `json:"pid"`
	RPC     string         `json:"rpc"`
	WS      string         `json:"ws"`
	Account common.Address `json:"account"`
	PeerID  string         `json:"peerId"`
	P2P     string         `json:"p2p,omitempty"`
	// ValidatorOf lists the chains the node validates (root first, then
	// parents before children); Follows those it runs without a seat:
	// the root if it does not validate it, and the parent of each subnet
	// it validates (it verifies their commits to execute top-down
	// messages). The node runs no other chain.
	ValidatorOf []string `json:"validatorOf"`
	Follows     []string `json:"follows"`
	// Mines says the node mines on the devnet's proof-of-work chains.
	Mines bool   `json:"mines,omitempty"`
	Log   string `json:"log"`
	// Restart is the exact command line that starts this node again.
	Restart []string `json:"restart"`
}

// DevnetSubnet is one chain of the devnet and the URLs that serve it.
type DevnetSubnet struct {
	ID          string `json:"id"`
	Engine      string `json:"engine"`
	ChainID     uint64 `json:"chainId"`
	BlockTimeMs uint64 `json:"blockTimeMs,omitempty"`
	// Confirmations is how deep a block of a pow chain is final.
	Confirmations uint64   `json:"confirmations,omitempty"`
	RPC           []string `json:"rpc"`
	WS            []string `json:"ws"`
}

// ReadDevnet reads the manifest at path, or at path/devnet.json when path
// is a directory (a devnet's home).
func ReadDevnet(path string) (*Devnet, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, DevnetFile)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("client: %w (is `aspen devnet` running with that --home?)", err)
	}
	var d Devnet
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("client: %s is not a devnet manifest: %w", path, err)
	}
	return &d, nil
}

// Subnet returns the entry of subnet id.
func (d *Devnet) Subnet(id string) (DevnetSubnet, error) {
	for _, s := range d.Subnets {
		if s.ID == id {
			return s, nil
		}
	}
	return DevnetSubnet{}, fmt.Errorf("%w: %s", ErrNoSubnet, id)
}
