package e2e

import (
	"bufio"
	"context"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aspen-chain/aspen/client"
)

var aspenBin string

func TestMain(m *testing.M) {
	flag.Parse()
	if testing.Short() {
		os.Exit(0)
	}
	aspenBin = os.Getenv("ASPEN_BIN")
	if aspenBin == "" {
		dir, err := os.MkdirTemp("", "aspen-e2e-bin")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		aspenBin = filepath.Join(dir, "aspen")
		cmd := exec.Command("go", "build", "-o", aspenBin, "../../cmd/aspen")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build aspen:", err)
			os.Exit(1)
		}
		code := m.Run()
		os.RemoveAll(dir)
		os.Exit(code)
	}
	os.Exit(m.Run())
}

// devnet is a running `aspen devnet` process.
type devnet struct {
	t    *testing.T
	home string
	cmd  *exec.Cmd
	out  *strings.Builder
	done chan error
	m    *client.Devnet
}

// freePort returns the first of portSpan consecutive ports that are free
// now and handed to no other test of this run: a devnet's node i listens on
// port+i (RPC and p2p alike), and tests run in parallel. Ports come from
// below Linux's ephemeral range (32768 up), so an outgoing connection of
// another process does not take one between this check and the bind.
func freePort(t *testing.T) int {
	t.Helper()
	ports.Lock()
	defer ports.Unlock()
	if ports.next == 0 {
		ports.next = 12000 + (os.Getpid()%200)*50 // apart from a concurrent run's
	}
	for tries := 0; tries < 400; tries++ {
		base := ports.next
		ports.next += portSpan
		if ports.next > 32000 {
			ports.next = 12000
		}
		if spanFree(base) {
			return base
		}
	}
	t.Fatal("no free run of ports below 32000")
	return 0
}

const portSpan = 10

var ports struct {
	sync.Mutex
	next int
}

func spanFree(base int) bool {
	for p := base; p < base+portSpan; p++ {
		l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
		if err != nil {
			return false
		}
		l.Close()
	}
	return true
}

// startDevnet runs `aspen devnet` in home and waits for devnet.json.
func startDevnet(t *testing.T, home string, args ...string) *devnet {
	t.Helper()
	return startDevnetEnv(t, home, nil, args...)
}

// startDevnetEnv is startDevnet with env added to the environment of the
// devnet and its nodes (fault injections such as ASPEN_FAULT_MINT).
func startDevnetEnv(t *testing.T, home string, env []string, args ...string) *devnet {
	t.Helper()
	os.Remove(filepath.Join(home, client.DevnetFile))
	args = append([]string{"devnet", "--home", home}, args...)
	cmd := exec.Command(aspenBin, args...)
	if len(env) > 0 {
		cmd.Env = append(os.Environ(), env...)
	}
	d := &devnet{t: t, home: home, cmd: cmd, out: &strings.Builder{}, done: make(chan error, 1)}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			d.out.WriteString(sc.Text() + "\n")
			if strings.HasPrefix(sc.Text(), "Wrote ") {
				close(ready)
			}
		}
		d.done <- cmd.Wait()
	}()
	t.Cleanup(func() { d.stop() })
	select {
	case <-ready:
	case err := <-d.done:
		d.done <- err
		t.Fatalf("devnet exited before it was ready (%v):\n%s", err, d.out.String())
	case <-time.After(3 * time.Minute): // a layered tree on a loaded 2-core CI machine has taken over 90 s
		t.Fatalf("devnet not ready after 3m:\n%s", d.out.String())
	}
	m, err := client.ReadDevnet(home)
	if err != nil {
		t.Fatal(err)
	}
	d.m = m
	return d
}

// stop sends SIGINT and waits; it returns the exit error.
func (d *devnet) stop() error {
	if d.cmd.ProcessState != nil {
		return nil
	}
	_ = d.cmd.Process.Signal(syscall.SIGINT)
	select {
	case err := <-d.done:
		d.done <- err
		return err
	case <-time.After(30 * time.Second):
		_ = d.cmd.Process.Kill()
		return fmt.Errorf("devnet did not stop within 30s")
	}
}

// startProcess runs args (a restart command from devnet.json) and stops it at cleanup.
func startProcess(t *testing.T, args []string, logPath string) *exec.Cmd {
	t.Helper()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	return cmd
}

// waitFor polls cond every 50ms until it holds or the deadline passes.
func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		case <-tick.C:
		}
	}
}

// processGone reports whether pid no longer exists.
func processGone(pid int) bool { return syscall.Kill(pid, 0) != nil }
