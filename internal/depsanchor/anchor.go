//go:build depsanchor

// Package depsanchor only pins modules while the tree is being built up.
package depsanchor

import (
	_ "github.com/BurntSushi/toml"
	_ "github.com/ethereum/go-ethereum/accounts/abi"
	_ "github.com/ethereum/go-ethereum/accounts/keystore"
	_ "github.com/ethereum/go-ethereum/consensus/beacon"
	_ "github.com/ethereum/go-ethereum/consensus/ethash"
	_ "github.com/ethereum/go-ethereum/core"
	_ "github.com/ethereum/go-ethereum/core/rawdb"
	_ "github.com/ethereum/go-ethereum/core/state"
	_ "github.com/ethereum/go-ethereum/core/txpool/legacypool"
	_ "github.com/ethereum/go-ethereum/core/vm"
	_ "github.com/ethereum/go-ethereum/eth/tracers/logger"
	_ "github.com/ethereum/go-ethereum/ethclient"
	_ "github.com/ethereum/go-ethereum/ethdb/pebble"
	_ "github.com/ethereum/go-ethereum/rpc"
	_ "github.com/ethereum/go-ethereum/triedb"
	_ "github.com/gorilla/websocket"
	_ "github.com/libp2p/go-libp2p/core/crypto"
	_ "github.com/prometheus/client_golang/prometheus"
	_ "github.com/santhosh-tekuri/jsonschema/v6"
	_ "github.com/spf13/cobra"
	_ "github.com/supranational/blst/bindings/go"
	_ "github.com/tyler-smith/go-bip39"
	_ "gopkg.in/yaml.v3"
)
