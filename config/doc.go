// Package config holds what an operator writes down: the node's TOML config
// and a root subnet's genesis JSON, each with a Validate that says what to fix.
// No globals: every value is passed to the package that needs it.
package config
