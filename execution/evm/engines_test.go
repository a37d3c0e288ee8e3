package evm

// Genesis files name their engine; register the built-in ones as the node does.
import _ "github.com/aspen-chain/aspen/consensus/engines"
