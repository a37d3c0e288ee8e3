package faults

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// ErrStillRunning: a killed process did not go away in time.
var ErrStillRunning = errors.New("faults: process still running after SIGKILL")

// Pause stops every process with SIGSTOP: it keeps its sockets and
// memory but runs no code, as a hung or swapped-out machine.
func Pause(pids ...int) error { return signalAll(syscall.SIGSTOP, pids) }

// Resume continues paused processes (SIGCONT).
func Resume(pids ...int) error { return signalAll(syscall.SIGCONT, pids) }

func signalAll(sig syscall.Signal, pids []int) error {
	var errs []error
	for _, pid := range pids {
		if err := syscall.Kill(pid, sig); err != nil {
			errs = append(errs, fmt.Errorf("faults: %s to %d: %w", sig, pid, err))
		}
	}
	return errors.Join(errs...)
}

// Kill sends SIGKILL to pid and waits up to timeout until it is gone: no
// shutdown code runs, as on a power cut. The caller must reap the process
// if it is its child (exec.Cmd.Wait); until then it counts as gone once it
// is a zombie.
func Kill(pid int, timeout time.Duration) error {
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("faults: kill %d: %w", pid, err)
	}
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if gone(pid) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("%w: pid %d", ErrStillRunning, pid)
}

// gone reports whether pid no longer runs (absent, or a zombie).
func gone(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return true
	}
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	// The state follows the command name in parentheses: "pid (comm) S ...".
	for i := len(stat) - 1; i > 0; i-- {
		if stat[i] == ')' && i+2 < len(stat) {
			return stat[i+2] == 'Z' || stat[i+2] == 'X'
		}
	}
	return false
}

// DataDir is where a node keeps its chains under its home: every
// subnet's blocks, state and consensus WAL. The keys, config and
// genesis stay beside it.
const DataDir = "subnets"

// WipeData deletes the data directory of the (stopped) node at home, as a
// disk replaced after a failure: the node must catch up from its peers.
// It refuses a home without a config.toml, so a wrong path deletes nothing.
func WipeData(home string) error {
	if _, err := os.Stat(filepath.Join(home, "config.toml")); err != nil {
		return fmt.Errorf("faults: %s is not a node's home: %w", home, err)
	}
	if err := os.RemoveAll(filepath.Join(home, DataDir)); err != nil {
		return fmt.Errorf("faults: wipe %s: %w", home, err)
	}
	return nil
}
