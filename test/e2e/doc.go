// Package e2e holds end-to-end tests that drive real `aspen` processes: a
// devnet started as a user starts it, nodes killed with SIGKILL and restarted
// with the command devnet.json gives, and raw JSON-RPC over HTTP. The binary
// comes from ASPEN_BIN, or is built once per run. Every test runs its own
// devnet in its own directory on its own run of ports (freePort), so the
// tests run in parallel (go test's -parallel, GOMAXPROCS by default): a
// devnet mostly waits for block times, and two at once roughly halve the
// package's wall time on two cores. A devnet is not free, though: one
// takes seconds to start (the default tree over half a minute on a loaded
// machine) and nearly half a core while it runs, so tests that stop no node
// and use children and accounts of their own share one, one after the
// other (TestSharedRoot, TestSharedTree in a_shared_test.go); a test that
// kills, pauses or wipes a node keeps its own, or runs last on the shared one.
package e2e
