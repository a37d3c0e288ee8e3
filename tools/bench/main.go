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
	"slices"
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

var allSections = []string{"exec", "bottomup", "solo", "bft", "idle"}

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
	only := flag.String("only", "", "run only these sections, comma-separated: exec, bottomup, solo, bft, idle (rows needing a skipped reference say n/a)")
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
	sections := map[string]bool{}
	for _, s := range strings.Split(*only, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if !slices.Contains(allSections, s) {
				fmt.Fprintf(os.Stderr, "bench: -only %q: want some of %s\n", s, strings.Join(allSections, ", "))
				os.Exit(2)
			}
			sections[s] = true
		}
	}
	if len(sections) == 0 {
		for _, s := range allSections {
			sections[s] = true
		}
	}
	if err := run(ctx, *mode, b, sections, *bin, *goBin, *outDir, *jsonOut); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, mode string, b budget, sections map[string]bool, bin, goBin, outDir, jsonOut string) error {
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
	loadBefore := loadAvg()
	r := &runner{ctx: ctx, b: b, bin: bin, goBin: goBin, outDir: outDir, log: log, gethTPS: math.NaN(), profiles: map[string]string{}}
	var rows []row
	for _, s := range []struct {
		name, title string
		run         func() []row
	}{
		{"exec", "in-process execution: Aspen build+commit vs go-ethereum InsertChain, same blocks", r.exec},
		{"bottomup", "bottom-up: the parent's work per checkpoint (gateway benchmarks)", r.bottomup},
		{"solo", "solo devnet under the outside load generator", r.solo},
		{"bft", "bft devnet, 4 validators at 200 ms, under the outside load generator", r.bft},
		{"idle", fmt.Sprintf("idle: node0 with the root alone, then with 10 idle bft subnets (%v each)", b.idleWindow), r.idle},
	} {
		if sections[s.name] {
			fmt.Fprintf(log, "\n== %s (%s in) ==\n", s.title, time.Since(started).Round(time.Second))
			rows = append(rows, s.run()...)
		}
	}
	profiles := r.profiles

	fmt.Printf("\nAspen bench, mode %s, %d cores, load average %s at the start and %s at the end, %s\n\n",
		mode, runtime.NumCPU(), loadBefore, loadAvg(), time.Since(started).Round(time.Second))
	printTable(os.Stdout, rows)
	fmt.Println()
	for _, k := range []string{"solo", "bft"} {
		if p, ok := profiles[k]; ok {
			fmt.Printf("pprof top 10 of the %s node under load: %s\n", k, p)
		}
	}
	fmt.Printf("table as JSON: %s; log: %s\n", jsonOut, logf.Name())
	return writeJSON(jsonOut, report{Mode: mode, Cores: runtime.NumCPU(), Load: loadBefore + " / " + loadAvg(), Started: started.UTC().Format(time.RFC3339),
		Seconds: time.Since(started).Seconds(), Profiles: profiles}, rows)
}

// loadDevnet starts a devnet in dir, loads node0 with spec and stops it.
func loadDevnet(ctx context.Context, bin, goBin, dir string, nodes int, spec loadSpec, log io.Writer, args ...string) (*loadResult, error) {
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

// profSeconds covers twice the offered load's span (a loaded node commits
// behind the offer), at least 5 s.
func profSeconds(txs, rate int) int {
	return max(5, 2*((txs+rate-1)/rate))
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
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) } // its trap stops the nodes
	cmd.WaitDelay = 30 * time.Second
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
