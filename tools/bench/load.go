package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
)

// loadResult is what this program reads of `aspen bench --json`.
type loadResult struct {
	Txs          int     `json:"txs"`
	Rejected     int     `json:"rejected"`
	Committed    int     `json:"committed"`
	SubmittedTPS float64 `json:"submittedTps"`
	CommittedTPS float64 `json:"committedTps"`
	Blocks       int     `json:"blocks"`
	LatencyP50Ms float64 `json:"latencyP50Ms"`
	LatencyP99Ms float64 `json:"latencyP99Ms"`
}

// loadSpec is one run of the outside load generator.
type loadSpec struct {
	rpc      string
	txs      int
	rate     float64 // offered tx/s
	accounts int
	profile  string // CPU profile of the node over the load, "" for none
	profSecs int
}

// runLoad runs `bin bench` against spec.rpc and, with a profile, writes the
// profile's top 10 beside it (PROFILE.top.txt).
func runLoad(ctx context.Context, bin, goBin string, spec loadSpec, log io.Writer) (*loadResult, error) {
	args := []string{"bench", "--json", "--rpc", spec.rpc, "--txs", strconv.Itoa(spec.txs),
		"--accounts", strconv.Itoa(spec.accounts), "--rate", strconv.FormatFloat(spec.rate, 'f', 0, 64), "--timeout", "5m"}
	if spec.profile != "" {
		args = append(args, "--pprof-out", spec.profile, "--pprof-seconds", strconv.Itoa(spec.profSecs))
	}
	cmd := exec.CommandContext(ctx, bin, args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("%s %v: %w", bin, args, err)
	}
	var r loadResult
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return nil, fmt.Errorf("aspen bench printed %q: %w", out.String(), err)
	}
	if spec.profile != "" {
		if err := profileTop(ctx, goBin, bin, spec.profile); err != nil {
			return nil, err
		}
	}
	return &r, nil
}

// profileTop writes `go tool pprof -top -nodecount=10` of profile to
// profile.top.txt: by own time (flat), then by time including callees (-cum).
func profileTop(ctx context.Context, goBin, bin, profile string) error {
	var all []byte
	for _, extra := range [][]string{nil, {"-cum"}} {
		args := append([]string{"tool", "pprof", "-top", "-nodecount=10"}, extra...)
		top, err := exec.CommandContext(ctx, goBin, append(args, bin, profile)...).Output()
		if err != nil {
			return fmt.Errorf("go tool pprof %s: %w", profile, err)
		}
		all = append(append(all, top...), '\n')
	}
	return os.WriteFile(profile+".top.txt", all, 0o644)
}
