package archtest

// layers orders the module's packages from the leaves up (ARCHITECTURE.md §3).
// A package's own files may import module packages of lower layers only, so no
// import runs back up; `go test -v -run TestLayers ./internal/archtest` prints
// them. Every package of the module must be named here exactly once: a new
// package fails the tests until someone decides where it belongs.
var layers = [][]string{
	// 0: leaves and packages that import nothing of Aspen.
	{"types", "crypto", "consensus/wal", "rpc/rpctest", "internal/archtest", "internal/progress", "internal/faults", "internal/slots"},
	// 1: contracts and plain stores over the leaves.
	{"consensus", "execution", "execution/witness", "store", "p2p", "xnet", "internal/testkeys", "private", "optimistic"},
	// 2: engines, the gateway, transports, pools, configuration.
	{"consensus/solo", "consensus/bft", "consensus/pow", "consensus/consensustest",
		"gateway", "htlc", "objects", "private/registry", "mempool", "p2p/libp2p", "blocksync", "witnesssync", "rpc/internal/memback", "config"},
	// 3: what composes one chain: execution, the driver, the RPC server, the
	// client, and the registry of built-in engines.
	{"execution/evm", "periodcheck", "consensus/driver", "rpc", "client", "consensus/engines", "explorer", "light"},
	// 4: whole nodes and the whole-network simulator.
	{"node", "sim"},
	// 5: programs and tests that drive real processes.
	{"cmd/aspen", "test/e2e", "docs/examples/dvp", "tools/bench"},
}

// allowed lists, for every package, the module packages its non-test files may
// import. It is narrower than the layers: a package sees only what its job
// needs. Engines see only the engine contract, types and crypto; the gateway
// sees no engine (it is handed an evidence verifier); rpc sees the node only
// through the execution contract.
var allowed = map[string][]string{
	"types":             {},
	"crypto":            {},
	"consensus/wal":     {},
	"rpc/rpctest":       {},
	"internal/archtest": {},
	"internal/progress": {},
	"internal/faults":   {},
	"internal/slots":    {},

	"consensus":         {"types", "crypto"},
	"execution":         {"types"},
	"execution/witness": {"types"},
	"store":             {"types"},
	"p2p":               {"types"},
	"xnet":              {"types", "crypto"},
	"internal/testkeys": {"types", "crypto"},
	"private":           {"types"},

	"consensus/solo":          {"consensus", "types", "crypto"},
	"consensus/bft":           {"consensus", "types", "crypto"},
	"consensus/pow":           {"consensus", "types", "crypto"},
	"consensus/consensustest": {"consensus", "types", "crypto"},
	"gateway":                 {"types", "crypto", "xnet", "internal/slots"},
	"htlc":                    {"types"},
	"private/registry":        {"types", "private"},
	"optimistic":              {"types", "internal/slots"},
	"objects":                 {"types", "optimistic"},
	"mempool":                 {"execution", "types"},
	"p2p/libp2p":              {"p2p", "types"},
	"blocksync":               {"p2p", "types"},
	"witnesssync":             {"p2p", "types"},
	"rpc/internal/memback":    {"execution", "types"},
	"config":                  {"types", "consensus"},

	"execution/evm":     {"config", "execution", "execution/witness", "gateway", "htlc", "objects", "private", "private/registry", "store", "types", "xnet", "crypto", "consensus"},
	"consensus/driver":  {"consensus", "execution", "types"},
	"periodcheck":       {"gateway", "types", "witnesssync"},
	"consensus/engines": {"consensus", "consensus/solo", "consensus/bft", "consensus/pow"},
	"rpc":               {"execution", "types", "rpc/internal/memback"},
	"client":            {"types", "gateway", "crypto", "xnet"},
	"explorer":          {"gateway"},
	"light":             {"types", "config", "consensus", "execution", "gateway", "xnet"},

	"node": {"private", "private/registry", "blocksync", "config", "consensus", "consensus/engines",
		"consensus/driver", "consensus/wal", "crypto", "execution", "execution/evm", "gateway",
		"objects", "optimistic", "mempool", "p2p", "p2p/libp2p", "rpc", "store", "types", "xnet", "explorer", "internal/progress", "periodcheck", "witnesssync"},
	"sim": {"consensus", "consensus/bft", "consensus/solo", "consensus/pow", "consensus/driver", "consensus/engines",
		"consensus/wal", "crypto", "types", "config", "execution", "execution/evm", "gateway", "store", "xnet",
		"mempool"},

	"cmd/aspen":   {"node", "private/registry", "client", "light", "config", "execution", "execution/evm", "consensus", "consensus/engines", "crypto", "gateway", "htlc", "p2p/libp2p", "types", "xnet", "internal/progress"},
	"test/e2e":    {"client", "types", "crypto", "gateway", "htlc", "xnet", "config", "light"},
	"tools/bench": {},
	// An example program: go-ethereum only.
	"docs/examples/dvp": {},
}

// testAllowed adds, per package, what its _test.go files may import beyond
// allowed. Tests may reach across layers (an engine's tests run the shared
// suite; the WAL's tests replay real bft votes), but only where named here.
var testAllowed = map[string][]string{
	"blocksync":        {"p2p/libp2p"},
	"witnesssync":      {"p2p/libp2p"},
	"consensus/bft":    {"consensus/consensustest", "internal/testkeys"},
	"consensus/solo":   {"consensus/consensustest", "internal/testkeys"},
	"consensus/pow":    {"consensus/consensustest", "internal/testkeys"},
	"consensus/driver": {"config", "consensus/solo", "consensus/bft", "execution/evm", "mempool", "store", "internal/testkeys", "consensus/engines"},
	"consensus/consensustest": {"consensus/driver", "consensus/solo", "consensus/bft", "consensus/pow", "execution/evm",
		"store", "mempool", "config", "execution", "internal/testkeys", "consensus/engines"},
	"consensus/wal":     {"consensus", "consensus/bft", "crypto", "types", "internal/testkeys"},
	"consensus":         {"internal/testkeys"},
	"crypto":            {"internal/testkeys"},
	"types":             {"internal/testkeys"},
	"execution/evm":     {"consensus/bft", "internal/testkeys", "consensus/engines", "optimistic", "periodcheck", "witnesssync"},
	"gateway":           {"consensus", "consensus/bft", "consensus/solo", "consensus/pow", "internal/testkeys", "xnet"},
	"xnet":              {"gateway", "internal/testkeys"},
	"mempool":           {"internal/testkeys"},
	"store":             {"internal/testkeys"},
	"rpc":               {"rpc/rpctest", "internal/testkeys"},
	"node":              {"rpc/rpctest", "internal/testkeys", "sim", "consensus/consensustest", "consensus/bft", "execution/witness"},
	"p2p/libp2p":        {"internal/testkeys"},
	"config":            {"internal/testkeys", "crypto", "consensus/engines"},
	"client":            {"internal/testkeys", "config"},
	"light":             {"internal/testkeys", "consensus/bft", "consensus/engines", "crypto", "execution/evm"},
	"sim":               {"internal/testkeys"},
	"cmd/aspen":         {"internal/testkeys"},
	"test/e2e":          {"internal/testkeys", "internal/faults", "consensus", "consensus/bft", "p2p", "p2p/libp2p", "blocksync"},
	"internal/archtest": {},
	"private":           {},
}
