package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// idleResult is node0's cost over a window: CPU in percent of one core, RSS in MB.
type idleResult struct {
	rootCPU, rootRSS       float64 // the root alone
	subnetsCPU, subnetsRSS float64 // the root and n idle subnets
}

// clockTicks is USER_HZ, 100 on every Linux the Go toolchain supports.
const clockTicks = 100

// measureIdle is tools/measure/idle.sh in one devnet: three bft validators
// of the root, node0's cost over window with the root alone, then with n idle
// bft subnets every node validates (1 s blocks, 30 s heartbeats) once they
// rested for settle.
func measureIdle(ctx context.Context, bin, dir string, n int, window, settle time.Duration, log io.Writer) (*idleResult, error) {
	d, err := startDevnet(ctx, bin, dir, 3, "--subnets", "none", "--validators", "3", "--block-time", "1s", "--idle-interval", "30s")
	if err != nil {
		return nil, err
	}
	defer d.stop()
	node0 := d.nodes[0]
	var r idleResult
	sleep(ctx, settle/2)
	if r.rootCPU, r.rootRSS, err = nodeCost(ctx, node0.PID, window); err != nil {
		return nil, err
	}
	fmt.Fprintf(log, "idle: root alone %.2f%% of a core, %.0f MB; creating %d bft subnets…\n", r.rootCPU, r.rootRSS, n)
	for k := 1; k <= n; k++ {
		id := fmt.Sprintf("/devnet/s%d", k)
		if out, err := exec.CommandContext(ctx, bin, "subnet", "create", id, "--engine", "bft", "--min-validators", "3", "--min-collateral", "3",
			"--block-time", "1s", "--home", filepath.Join(d.home, "node0"), "--json").CombinedOutput(); err != nil {
			return nil, fmt.Errorf("subnet create %s: %w: %s", id, err, out)
		}
		var wg sync.WaitGroup
		errs := make([]error, 3)
		for i := range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				out, err := exec.CommandContext(ctx, bin, "subnet", "join", id, "--collateral", "1",
					"--home", filepath.Join(d.home, fmt.Sprintf("node%d", i)), "--json").CombinedOutput()
				if err != nil {
					errs[i] = fmt.Errorf("node%d: subnet join %s: %w: %s", i, id, err, out)
				}
			}()
		}
		wg.Wait()
		for _, err := range errs {
			if err != nil {
				return nil, err
			}
		}
	}
	deadline := time.Now().Add(5 * time.Minute)
	for served(ctx, node0.RPC) < n {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("node0 serves %d of %d subnets after 5 minutes; log: %s", served(ctx, node0.RPC), n, filepath.Join(dir, "devnet.log"))
		}
		sleep(ctx, time.Second)
	}
	fmt.Fprintf(log, "idle: node0 serves %d subnets; letting them rest %v, then measuring %v…\n", n, settle, window)
	sleep(ctx, settle)
	if r.subnetsCPU, r.subnetsRSS, err = nodeCost(ctx, node0.PID, window); err != nil {
		return nil, err
	}
	return &r, nil
}

var subnetName = regexp.MustCompile(`"/devnet/s[0-9]+"`)

// served counts the idle subnets node0's aspen_subnets lists.
func served(ctx context.Context, rpc string) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimSuffix(rpc, "/")+"/",
		strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"aspen_subnets","params":[]}`))
	if err != nil {
		return 0
	}
	req.Header.Set("content-type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	seen := map[string]bool{}
	for _, m := range subnetName.FindAll(b, -1) {
		seen[string(m)] = true
	}
	return len(seen)
}

// nodeCost is a process's CPU time over window in percent of one core
// (/proc/PID/stat) and its RSS in MB at the end.
func nodeCost(ctx context.Context, pid int, window time.Duration) (cpu, rssMB float64, err error) {
	t0, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	start := time.Now()
	sleep(ctx, window)
	t1, err := cpuTicks(pid)
	if err != nil {
		return 0, 0, err
	}
	cpu = 100 * float64(t1-t0) / clockTicks / time.Since(start).Seconds()
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0, err
	}
	for _, l := range strings.Split(string(status), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return cpu, kb / 1024, ctx.Err()
		}
	}
	return 0, 0, fmt.Errorf("no VmRSS in /proc/%d/status", pid)
}

// cpuTicks is utime+stime of pid, fields 14 and 15 of /proc/PID/stat.
func cpuTicks(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("node process %d: %w (is this Linux?)", pid, err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])) // the name may hold spaces
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	u, err1 := strconv.ParseInt(f[11], 10, 64)
	s, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad utime/stime %q %q", pid, f[11], f[12])
	}
	return u + s, nil
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
	case <-t.C:
	}
}
