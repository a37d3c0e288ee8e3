package faults

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// state is the scheduler state letter of pid (R, S, T for stopped, Z...).
func state(t *testing.T, pid int) string {
	t.Helper()
	stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(stat)
	return s[strings.LastIndexByte(s, ')')+2:][:1]
}

// TestPauseResumeKill: a paused process is stopped (T) until resumed; a
// killed one is gone; signalling a missing process is an error.
func TestPauseResumeKill(t *testing.T) {
	cmd := exec.Command("sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	pid := cmd.Process.Pid
	if err := Pause(pid); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, "T")
	if err := Resume(pid); err != nil {
		t.Fatal(err)
	}
	waitState(t, pid, "S")
	if err := Kill(pid, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := Pause(pid); err == nil {
		t.Fatal("pausing a reaped process succeeded")
	}
}

// waitState waits, up to a deadline, for the kernel to show pid in state
// want: a signal is delivered asynchronously, so the state is checked
// again on each tick rather than read once.
func waitState(t *testing.T, pid int, want string) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for state(t, pid) != want {
		select {
		case <-deadline.C:
			t.Fatalf("process %d in state %s, want %s", pid, state(t, pid), want)
		case <-tick.C:
		}
	}
}

// TestWipeData: the data directory goes, keys and config stay; a
// directory that is no node's home is refused untouched.
func TestWipeData(t *testing.T) {
	home := t.TempDir()
	for _, f := range []string{"config.toml", "keys/validator.key", DataDir + "/devnet/000001.log"} {
		os.MkdirAll(filepath.Dir(filepath.Join(home, f)), 0o755)
		os.WriteFile(filepath.Join(home, f), []byte("x"), 0o644)
	}
	if err := WipeData(home); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(home, DataDir)); !os.IsNotExist(err) {
		t.Fatalf("data dir still there: %v", err)
	}
	for _, f := range []string{"config.toml", "keys/validator.key"} {
		if _, err := os.Stat(filepath.Join(home, f)); err != nil {
			t.Fatalf("%s gone: %v", f, err)
		}
	}
	other := t.TempDir()
	os.MkdirAll(filepath.Join(other, DataDir), 0o755)
	if err := WipeData(other); err == nil {
		t.Fatal("wiped a directory without config.toml")
	}
	if _, err := os.Stat(filepath.Join(other, DataDir)); err != nil {
		t.Fatal("a refused wipe deleted data")
	}
}
