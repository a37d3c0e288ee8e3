package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
)

// benchLine is one result of `go test -bench`: its metrics by unit
// ("ns/op", "tx/s", "gas/op", ...).
type benchLine struct {
	name    string // without the "Benchmark" prefix and the -GOMAXPROCS suffix
	metrics map[string]float64
}

// goBench runs `go test -run ^$ -bench pattern -benchtime times` on pkg and
// returns its results by name. The output also goes to log.
func goBench(ctx context.Context, goBin, pkg, pattern, times string, log io.Writer) (map[string]benchLine, error) {
	cmd := exec.CommandContext(ctx, goBin, "test", "-count=1", "-run", "^$", "-bench", pattern, "-benchtime", times, pkg)
	var out bytes.Buffer
	cmd.Stdout = io.MultiWriter(&out, log)
	cmd.Stderr = log
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("go test -bench %s %s: %w", pattern, pkg, err)
	}
	res := parseBench(&out)
	if len(res) == 0 {
		return nil, fmt.Errorf("go test -bench %s %s: no benchmark results", pattern, pkg)
	}
	return res, nil
}

// parseBench reads lines such as
//
//	BenchmarkBuildTransfers-2   5   2e+08 ns/op   5012 tx/s   105 Mgas/s
func parseBench(r io.Reader) map[string]benchLine {
	res := map[string]benchLine{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		if _, err := strconv.Atoi(f[1]); err != nil {
			continue
		}
		name := strings.TrimPrefix(f[0], "Benchmark")
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			if _, err := strconv.Atoi(name[i+1:]); err == nil {
				name = name[:i]
			}
		}
		l := benchLine{name: name, metrics: map[string]float64{}}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				l.metrics[f[i+1]] = v
			}
		}
		res[name] = l
	}
	return res
}

// metric is one result's metric, or an error naming what is missing.
func metric(res map[string]benchLine, name, unit string) (float64, error) {
	l, ok := res[name]
	if !ok {
		return 0, fmt.Errorf("no result for benchmark %s", name)
	}
	v, ok := l.metrics[unit]
	if !ok {
		return 0, fmt.Errorf("benchmark %s reported no %s", name, unit)
	}
	return v, nil
}
