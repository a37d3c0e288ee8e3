package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// devnet is an `aspen devnet` this program started in its own process
// group, on ports nobody else held when it started.
type devnet struct {
	cmd   *exec.Cmd
	home  string
	nodes []devnetNode
	done  chan error
}

// devnetNode is what this program reads of a node in devnet.json.
type devnetNode struct {
	Name string `json:"name"`
	PID  int    `json:"pid"`
	RPC  string `json:"rpc"`
}

// startDevnet runs `bin devnet --home DIR --port P --p2p-port Q args...` with
// ASPEN_PPROF=1 and waits until devnet.json is written (the first block).
func startDevnet(ctx context.Context, bin, dir string, nodes int, args ...string) (*devnet, error) {
	rpcPort, p2pPort, err := freePorts(nodes)
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home")
	// A fresh network each run: a home left by the last one would be
	// resumed, and its devnet.json (old ports) read as this one's.
	if err := os.RemoveAll(home); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "devnet.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	args = append([]string{"devnet", "--home", home, "--port", strconv.Itoa(rpcPort), "--p2p-port", strconv.Itoa(p2pPort)}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), "ASPEN_PPROF=1")
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s devnet: %w", bin, err)
	}
	d := &devnet{cmd: cmd, home: home, done: make(chan error, 1)}
	go func() { d.done <- cmd.Wait() }()
	deadline := time.After(3 * time.Minute)
	for {
		b, err := os.ReadFile(filepath.Join(home, "devnet.json"))
		var m struct {
			Nodes []devnetNode `json:"nodes"`
		}
		if err == nil && json.Unmarshal(b, &m) == nil && len(m.Nodes) > 0 {
			d.nodes = m.Nodes
			return d, nil
		}
		select {
		case err := <-d.done:
			return nil, fmt.Errorf("devnet exited before its first block (%v); log: %s", err, log.Name())
		case <-deadline:
			d.stop()
			return nil, fmt.Errorf("devnet wrote no devnet.json in 3 minutes; log: %s", log.Name())
		case <-ctx.Done():
			d.stop()
			return nil, ctx.Err()
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// stop sends SIGTERM to the devnet (which stops its nodes) and, if its
// process group is still there after 30 s, SIGKILL to the group.
func (d *devnet) stop() {
	pgid := d.cmd.Process.Pid
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-d.done:
	case <-time.After(30 * time.Second):
	}
	_ = syscall.Kill(-pgid, syscall.SIGKILL) // stragglers of this group only
	for _, n := range d.nodes {              // each node runs in a group of its own
		if n.PID > 0 && syscall.Kill(n.PID, 0) == nil {
			_ = syscall.Kill(n.PID, syscall.SIGKILL)
		}
	}
}

// freePorts finds n consecutive free TCP ports for RPC and n for p2p (node i
// listens on base+i).
func freePorts(n int) (rpc, p2p int, err error) {
	for range 50 {
		base := 20000 + rand.IntN(30000)
		if portsFree(base, n) && portsFree(base+1000, n) {
			return base, base + 1000, nil
		}
	}
	return 0, 0, errors.New("no free ports found for a devnet")
}

func portsFree(base, n int) bool {
	for p := base; p < base+n; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		l.Close()
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		u.Close()
	}
	return true
}
