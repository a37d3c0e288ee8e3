package config

// A genesis names its engine; the node registers the built-in ones
// (consensus/engines) before it reads one, and so do these tests.
import _ "github.com/aspen-chain/aspen/consensus/engines"
