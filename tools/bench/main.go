package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// budget is what a mode runs.
type budget struct {
	execTimes, gwTimes string        // -benchtime of the Go benchmarks
	execPattern        string        // which execution benchmarks
	soloRates          []int         // offered tx/s, one load each; profiled at profileRate
	soloTxs            int           // per load
	profileRate        int           // the solo load that is profiled
	bftTxs             int           // at 2k tx/s offered
	idleWindow, settle time.Duration // idle measurement
}

var budgets = map[string]budget{
	"quick": {execTimes: "5x", gwTimes: "10x", execPattern: "BuildTransfers|GethInsertChain/Transfers",
		soloRates: []int{10000}, soloTxs: 30000, profileRate: 10000, bftTxs: 10000,
		idleWindow: 20 * time.Second, settle: 20 * time.Second},
	"full": {execTimes: "20x", gwTimes: "50x", execPattern: "BuildTransfers|BuildContractMix|GethInsertChain",
		soloRates: []int{5000, 10000, 20000}, soloTxs: 60000, profileRate: 10000, bftTxs: 40000,
		idleWindow: 120 * time.Second, settle: 40 * time.Second},
}

const bftRate = 2000 // offered tx/s on the bft subnet (issue 18)

func main() {
	mode := flag.String("mode", "quick", "quick (about 5 minutes) or full")
	bin := flag.String("bin", "bin/aspen", "the aspen binary (make build)")
	goBin := flag.String("go", "go", "the go command")
	outDir := flag.String("out", "bench-out", "directory for profiles, logs and bench.json")
	jsonOut := flag.String("json", "", "write the table as JSON here (default OUT/bench.json)")
	idleWindow := flag.Duration("idle-window", 0, "idle measurement window (default 20s quick, 120s full)")
	cometRPC := flag.String("comet-rpc", "", "instead of the table, load this CometBFT node (tools/measure/cometbft.sh)")
	cometRate := flag.Float64("comet-rate", bftRate, "with -comet-rpc: offered tx/s")
	cometTxs := flag.Int("comet-txs", 10000, "with -comet-rpc: transactions")
	flag.Parse()
	if *cometRPC != "" {
		if err := cometLoad(context.Background(), *cometRPC, *cometRate, *cometTxs, os.Stderr); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	b, ok := budgets[*mode]
	if !ok {
		fmt.Fprintf(os.Stderr, "bench: -mode %q: want quick or full\n", *mode)
		os.Exit(2)
	}
	if *idleWindow > 0 {
		b.idleWindow = *idleWindow
	}
	if *jsonOut == "" {
		*jsonOut = filepath.Join(*outDir, "bench.json")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *mode, b, *bin, *goBin, *outDir, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, mode string, b budget, bin, goBin, outDir, jsonOut string) error {
	if _, err := os.Stat(bin); err != nil {
		return fmt.Errorf("%s: %w (run make build, or pass -bin)", bin, err)
	}
	bin, _ = filepath.Abs(bin)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	outDir, _ = filepath.Abs(outDir)
	logf, err := os.Create(filepath.Join(outDir, "bench.log"))
	if err != nil {
		return err
	}
	defer logf.Close()
	log := io.MultiWriter(os.Stderr, logf)
	started := time.Now()
	step := func(s string) { fmt.Fprintf(log, "\n== %s (%s in) ==\n", s, time.Since(started).Round(time.Second)) }
	var rows []row
	profiles := map[string]string{}

	step("in-process execution: Aspen build+commit vs go-ethereum InsertChain, same blocks")
	gethTPS := math.NaN()
	ex, err := goBench(ctx, goBin, "./execution/evm", b.execPattern, b.execTimes, log)
	for _, load := range []string{"Transfers", "ContractMix"} {
		if load == "ContractMix" && !strings.Contains(b.execPattern, "ContractMix") {
			continue
		}
		fig := "exec " + strings.ToLower(load) + ": build+commit"
		aspen, err1 := metricOr(ex, err, "Build"+load, "tx/s")
		def, err2 := metricOr(ex, err, "GethInsertChain/"+load+"/default", "tx/s")
		arch, err3 := metricOr(ex, err, "GethInsertChain/"+load+"/archive", "tx/s")
		if e := errors.Join(err1, err2, err3); e != nil {
			rows = append(rows, missing(fig, "tx/s", "geth InsertChain", goal{}, e.Error()))
			continue
		}
		if load == "Transfers" {
			gethTPS = def
		}
		rows = append(rows,
			newRow(fig, "tx/s", aspen, def, "geth InsertChain default", goal{text: "≥ 1.5× (4+ cores)", onRatio: true, bound: 1.5}),
			newRow(fig, "tx/s", aspen, arch, "geth InsertChain archive", goal{}))
	}

	step("bottom-up: the parent's work per checkpoint (gateway benchmarks)")
	const cpMsgs = 1000
	gw, err := goBench(ctx, goBin, "./gateway",
		fmt.Sprintf("SubmitCheckpoint/validators=100/messages=%d$|VerifyQuorum/validators=100/signing=100%%/", cpMsgs), b.gwTimes, log)
	cpNs, err1 := metricOr(gw, err, fmt.Sprintf("SubmitCheckpoint/validators=100/messages=%d", cpMsgs), "ns/op")
	cpGas, err2 := metricOr(gw, err, fmt.Sprintf("SubmitCheckpoint/validators=100/messages=%d", cpMsgs), "gas/op")
	vCached, err3 := metricOr(gw, err, "VerifyQuorum/validators=100/signing=100%/cache=true", "ns/op")
	vCold, err4 := metricOr(gw, err, "VerifyQuorum/validators=100/signing=100%/cache=false", "ns/op")
	if e := errors.Join(err1, err2); e != nil {
		rows = append(rows, missing("bottom-up: released msgs/s, 1 parent", "msg/s", "", goal{text: "≥ 5000 msg/s", bound: 5000}, e.Error()))
	} else {
		rows = append(rows,
			newRow(fmt.Sprintf("bottom-up: released msgs/s, 1 parent (checkpoint of %d, 100 validators)", cpMsgs), "msg/s",
				cpMsgs/(cpNs/1e9), gethTPS, "geth InsertChain transfers", goal{text: "≥ 5000 msg/s", bound: 5000}),
			newRow("bottom-up: gas per released msg", "gas", cpGas/cpMsgs, 21000, "(a transfer)", goal{}))
	}
	if e := errors.Join(err3, err4); e != nil {
		rows = append(rows, missing("checkpoint verify, 100 validators", "ms", "", goal{text: "≤ 1 ms", atMost: true, bound: 1}, e.Error()))
	} else {
		rows = append(rows, newRow("checkpoint verify, 100 validators (cached keys)", "ms", vCached/1e6, vCold/1e6, "uncached keys",
			goal{text: "≤ 1 ms", atMost: true, bound: 1}))
	}

	step("solo devnet under the outside load generator")
	for _, rate := range b.soloRates {
		fig := fmt.Sprintf("solo: committed tx/s @ %dk offered", rate/1000)
		prof := ""
		if rate == b.profileRate {
			prof = filepath.Join(outDir, "solo.pprof")
		}
		r, err := loadDevnet(ctx, bin, goBin, filepath.Join(outDir, fmt.Sprintf("solo-%d", rate)), 1, loadSpec{
			txs: b.soloTxs, rate: float64(rate), accounts: 400, profile: prof, profSecs: profSeconds(b.soloTxs, rate)},
			log, "--engine", "solo", "--validators", "1", "--subnets", "none", "--block-time", "100ms")
		if err != nil {
			rows = append(rows, missing(fig, "tx/s", "geth InsertChain", goal{text: "≥ 1.0×", onRatio: true, bound: 1}, err.Error()))
			continue
		}
		if prof != "" {
			profiles["solo"] = prof + ".top.txt"
		}
		rows = append(rows,
			newRow(fig, "tx/s", r.CommittedTPS, gethTPS, "geth InsertChain default", goal{text: "≥ 1.0×", onRatio: true, bound: 1}),
			newRow(fmt.Sprintf("solo: p50 inclusion @ %dk offered", rate/1000), "ms", r.LatencyP50Ms, math.NaN(), "-", goal{}))
	}

	step("bft devnet, 4 validators at 200 ms, under the outside load generator")
	comet, cometErr := cometbft(ctx, outDir, b.bftTxs, log)
	prof := filepath.Join(outDir, "bft.pprof")
	r, err := loadDevnet(ctx, bin, goBin, filepath.Join(outDir, "bft"), 4, loadSpec{
		txs: b.bftTxs, rate: bftRate, accounts: 400, profile: prof, profSecs: profSeconds(b.bftTxs, bftRate)},
		log, "--engine", "bft", "--subnets", "none", "--block-time", "200ms")
	tpsGoal := goal{text: "≥ 1.0×", onRatio: true, bound: 1}
	latGoal := goal{text: "≤ 250 ms", atMost: true, bound: 250}
	if err != nil {
		rows = append(rows, missing("bft 4 validators 200 ms: committed tx/s @ 2k offered", "tx/s", "CometBFT", tpsGoal, err.Error()),
			missing("bft 4 validators 200 ms: p50 inclusion @ 2k offered", "ms", "CometBFT", latGoal, err.Error()))
	} else {
		profiles["bft"] = prof + ".top.txt"
		tps := newRow("bft 4 validators 200 ms: committed tx/s @ 2k offered", "tx/s", r.CommittedTPS, comet.tps, "CometBFT localnet kvstore", tpsGoal)
		lat := newRow("bft 4 validators 200 ms: p50 inclusion @ 2k offered", "ms", r.LatencyP50Ms, comet.p50, "CometBFT localnet kvstore", latGoal)
		if cometErr != nil {
			tps.RefLabel, tps.Status, tps.Note = "CometBFT: n/a", "n/a", cometErr.Error()
			lat.RefLabel, lat.Note = "CometBFT: n/a", cometErr.Error()
		}
		rows = append(rows, tps, lat)
	}

	step(fmt.Sprintf("idle: node0 with the root alone, then with 10 idle bft subnets (%v each)", b.idleWindow))
	idle, err := measureIdle(ctx, bin, filepath.Join(outDir, "idle"), 10, b.idleWindow, b.settle, log)
	if err != nil {
		rows = append(rows, missing("idle: 10 bft subnets, node0 CPU", "% core", "root alone", goal{text: "≤ 1 % for the 10", atMost: true, bound: 1}, err.Error()))
	} else {
		cpu := newRow("idle: 10 bft subnets, node0 CPU", "% core", idle.subnetsCPU, idle.rootCPU, "root alone", goal{})
		cpu.Goal = "≤ 1 % for the 10"
		cpu.Status = "pass"
		if idle.subnetsCPU-idle.rootCPU > 1 {
			cpu.Status = "miss"
		}
		cpu.Note = fmt.Sprintf("the 10 cost %+.2f %%", idle.subnetsCPU-idle.rootCPU)
		rows = append(rows, cpu, newRow("idle: 10 bft subnets, node0 RSS", "MB", idle.subnetsRSS, idle.rootRSS, "root alone",
			goal{text: "≤ 150 MB", atMost: true, bound: 150}))
	}

	fmt.Printf("\nAspen bench, mode %s, %d cores, load average at the end %s, %s\n\n", mode, runtime.NumCPU(), loadAvg(), time.Since(started).Round(time.Second))
	printTable(os.Stdout, rows)
	fmt.Println()
	for _, k := range []string{"solo", "bft"} {
		if p, ok := profiles[k]; ok {
			fmt.Printf("pprof top 10 of the %s node under load: %s\n", k, p)
		}
	}
	fmt.Printf("table as JSON: %s; log: %s\n", jsonOut, logf.Name())
	return writeJSON(jsonOut, report{Mode: mode, Cores: runtime.NumCPU(), Load: loadAvg(), Started: started.UTC().Format(time.RFC3339),
		Seconds: time.Since(started).Seconds(), Profiles: profiles}, rows)
}

// loadDevnet starts a devnet in dir, loads node0 with spec and stops it.
func loadDevnet(ctx context.Context, bin, goBin, dir string, nodes int, spec loadSpec, log io.Writer, args ...string) (*loadResult, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	d, err := startDevnet(ctx, bin, dir, nodes, args...)
	if err != nil {
		return nil, err
	}
	defer d.stop()
	spec.rpc = d.nodes[0].RPC
	r, err := runLoad(ctx, bin, goBin, spec, log)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "committed %.0f tx/s, p50 %.0f ms, p99 %.0f ms, %d rejected, %d blocks\n", r.CommittedTPS, r.LatencyP50Ms, r.LatencyP99Ms, r.Rejected, r.Blocks)
	return r, nil
}

// profSeconds covers the offered load's span (at least 3 s).
func profSeconds(txs, rate int) int {
	return max(3, (txs+rate-1)/rate)
}

func metricOr(res map[string]benchLine, err error, name, unit string) (float64, error) {
	if err != nil {
		return 0, err
	}
	return metric(res, name, unit)
}

// cometResult is what tools/measure/cometbft.sh measured, NaN if not run.
type cometResult struct{ tps, p50 float64 }

var cometLine = regexp.MustCompile(`cometbft committed_tps=([0-9.]+) p50_ms=([0-9.]+)`)

// cometbft runs tools/measure/cometbft.sh at the bft load when cometbft is
// on PATH (the script installs it; this program never does).
func cometbft(ctx context.Context, outDir string, txs int, log io.Writer) (cometResult, error) {
	nan := cometResult{math.NaN(), math.NaN()}
	if _, err := exec.LookPath("cometbft"); err != nil {
		return nan, errors.New("cometbft not on PATH; tools/measure/cometbft.sh installs v1.0.1")
	}
	cmd := exec.CommandContext(ctx, "tools/measure/cometbft.sh")
	cmd.Env = append(os.Environ(), "RATE="+strconv.Itoa(bftRate), "TXS="+strconv.Itoa(txs), "OUT="+filepath.Join(outDir, "cometbft"))
	var out strings.Builder
	cmd.Stdout, cmd.Stderr = io.MultiWriter(&out, log), log
	if err := cmd.Run(); err != nil {
		return nan, fmt.Errorf("tools/measure/cometbft.sh: %w", err)
	}
	m := cometLine.FindStringSubmatch(out.String())
	if m == nil {
		return nan, errors.New("tools/measure/cometbft.sh printed no result line")
	}
	tps, _ := strconv.ParseFloat(m[1], 64)
	p50, _ := strconv.ParseFloat(m[2], 64)
	return cometResult{tps, p50}, nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}
