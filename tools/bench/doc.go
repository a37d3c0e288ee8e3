// Command bench is `make bench`: it runs every performance figure of issue 18
// on this machine in one go — in-process block execution beside go-ethereum's
// InsertChain on the same blocks, a solo and a 4-validator bft devnet under
// `aspen bench`'s outside load (with CPU profiles of the loaded node), the
// parent's checkpoint work for bottom-up messages, and the idle cost of 10 bft
// subnets — and prints one table: each figure beside its same-run reference,
// their ratio, the goal and whether it is met. BENCH=quick (the
// default, about 5 minutes) or BENCH=full; -json FILE writes the table for CI
// to diff. Progress goes to stderr, the table to stdout.
//
//	go run ./tools/bench -mode quick -bin bin/aspen -out bench-out
package main
