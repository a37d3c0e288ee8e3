package main

import (
	"math"
	"os"
	"strings"
	"testing"
	"time"
)

func TestParseBench(t *testing.T) {
	out := `goos: linux
BenchmarkBuildTransfers-2          	       5	 201234567 ns/op	      4969 tx/s	       104.4 Mgas/s
BenchmarkGethInsertChain/Transfers/default-2         	       5	 90000000 ns/op	     11111 tx/s	       233.3 Mgas/s
BenchmarkVerifyQuorum/validators=100/signing=100%/cache=true-2 	      20	    812345 ns/op
PASS
ok  	github.com/aspen-chain/aspen/execution/evm	12.3s
`
	res := parseBench(strings.NewReader(out))
	for _, c := range []struct {
		name, unit string
		want       float64
	}{
		{"BuildTransfers", "tx/s", 4969},
		{"GethInsertChain/Transfers/default", "tx/s", 11111},
		{"VerifyQuorum/validators=100/signing=100%/cache=true", "ns/op", 812345},
	} {
		got, err := metric(res, c.name, c.unit)
		if err != nil || got != c.want {
			t.Errorf("%s %s = %v, %v; want %v", c.name, c.unit, got, err, c.want)
		}
	}
	if _, err := metric(res, "BuildContractMix", "tx/s"); err == nil {
		t.Error("a benchmark that did not run has a result")
	}
}

func TestGoalJudgesRatioOrValue(t *testing.T) {
	atLeast := goal{text: "≥ 1.0×", onRatio: true, bound: 1}
	atMost := goal{text: "≤ 250 ms", atMost: true, bound: 250}
	for _, c := range []struct {
		r    row
		want string
	}{
		{newRow("x", "tx/s", 900, 1000, "", atLeast), "miss"},
		{newRow("x", "tx/s", 1000, 1000, "", atLeast), "pass"},
		{newRow("x", "ms", 300, math.NaN(), "", atMost), "miss"},
		{newRow("x", "ms", 200, math.NaN(), "", atMost), "pass"},
		{newRow("x", "tx/s", 900, math.NaN(), "", atLeast), "n/a"},
		{newRow("x", "tx/s", 900, 1000, "", goal{}), "-"},
	} {
		if c.r.Status != c.want {
			t.Errorf("%v %s: got %s, want %s", c.r.Value, c.r.Goal, c.r.Status, c.want)
		}
	}
}

func TestCPUTicksReadsThisProcess(t *testing.T) {
	for time.Since(testStart) < 20*time.Millisecond { // burn a couple of ticks
	}
	n, err := cpuTicks(os.Getpid())
	if err != nil || n <= 0 {
		t.Fatalf("cpuTicks(self) = %d, %v; want > 0", n, err)
	}
	if _, err := cpuTicks(1 << 30); err == nil {
		t.Fatal("a process that does not exist has CPU time")
	}
}

var testStart = time.Now()
