// Package engines registers the consensus engines built into Aspen with
// consensus.Register, so that a genesis, the CLI and the node find them by
// name (consensus.LookupKind). Import it for its side effect. A new engine is
// one new package exporting its consensus.Kind and one line here.
package engines
