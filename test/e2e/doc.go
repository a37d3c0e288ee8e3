// Package e2e holds end-to-end tests that drive real `aspen` processes: a
// devnet started as a user starts it, nodes killed with SIGKILL and restarted
// with the command devnet.json gives, and raw JSON-RPC over HTTP. The binary
// comes from ASPEN_BIN, or is built once per run.
package e2e
