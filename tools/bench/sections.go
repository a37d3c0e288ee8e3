package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strings"
)

// runner holds what the sections share: gethTPS is the reference the exec
// section measured (NaN if it did not run), profiles the top-10 files by node.
type runner struct {
	ctx                context.Context
	b                  budget
	bin, goBin, outDir string
	log                io.Writer
	gethTPS            float64
	profiles           map[string]string
}

func (r *runner) exec() []row {
	var rows []row
	ex, err := goBench(r.ctx, r.goBin, "./execution/evm", r.b.execPattern, r.b.execTimes, r.log)
	for _, load := range []string{"Transfers", "ContractMix"} {
		if load == "ContractMix" && !strings.Contains(r.b.execPattern, "ContractMix") {
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
			r.gethTPS = def
		}
		rows = append(rows,
			newRow(fig, "tx/s", aspen, def, "geth InsertChain default", goal{text: "≥ 1.5× (4+ cores)", onRatio: true, bound: 1.5}),
			newRow(fig, "tx/s", aspen, arch, "geth InsertChain archive", goal{}))
	}
	return rows
}

func (r *runner) bottomup() []row {
	var rows []row
	const cpMsgs = 1000
	gw, err := goBench(r.ctx, r.goBin, "./gateway",
		fmt.Sprintf("SubmitCheckpoint/validators=100/messages=%d$|VerifyQuorum/validators=100/signing=100%%/", cpMsgs), r.b.gwTimes, r.log)
	cpNs, err1 := metricOr(gw, err, fmt.Sprintf("SubmitCheckpoint/validators=100/messages=%d", cpMsgs), "ns/op")
	cpGas, err2 := metricOr(gw, err, fmt.Sprintf("SubmitCheckpoint/validators=100/messages=%d", cpMsgs), "gas/op")
	vCached, err3 := metricOr(gw, err, "VerifyQuorum/validators=100/signing=100%/cache=true", "ns/op")
	vCold, err4 := metricOr(gw, err, "VerifyQuorum/validators=100/signing=100%/cache=false", "ns/op")
	if e := errors.Join(err1, err2); e != nil {
		rows = append(rows, missing("bottom-up: released msgs/s, 1 parent", "msg/s", "", goal{text: "≥ 5000 msg/s", bound: 5000}, e.Error()))
	} else {
		rows = append(rows,
			withRefUnit(newRow(fmt.Sprintf("bottom-up: msgs/s paid, %d per checkpoint", cpMsgs), "msg/s",
				cpMsgs/(cpNs/1e9), r.gethTPS, "geth InsertChain transfers", goal{text: "≥ 5000 msg/s", bound: 5000}), "tx/s"),
			newRow("bottom-up: gas per released msg", "gas", cpGas/cpMsgs, 21000, "(a transfer)", goal{}))
	}
	if e := errors.Join(err3, err4); e != nil {
		rows = append(rows, missing("checkpoint verify, 100 validators", "ms", "", goal{text: "≤ 1 ms", atMost: true, bound: 1}, e.Error()))
	} else {
		rows = append(rows, newRow("checkpoint verify, 100 validators", "ms", vCached/1e6, vCold/1e6, "uncached keys",
			goal{text: "≤ 1 ms", atMost: true, bound: 1}))
	}
	return rows
}

func (r *runner) solo() []row {
	var rows []row
	for _, rate := range r.b.soloRates {
		fig := fmt.Sprintf("solo: committed @ %dk offered", rate/1000)
		prof := ""
		if rate == r.b.profileRate {
			prof = filepath.Join(r.outDir, "solo.pprof")
		}
		res, err := loadDevnet(r.ctx, r.bin, r.goBin, filepath.Join(r.outDir, fmt.Sprintf("solo-%d", rate)), 1, loadSpec{
			txs: r.b.soloTxs, rate: float64(rate), accounts: 400, profile: prof, profSecs: profSeconds(r.b.soloTxs, rate)},
			r.log, "--engine", "solo", "--validators", "1", "--subnets", "none", "--block-time", "100ms")
		if err != nil {
			rows = append(rows, missing(fig, "tx/s", "geth InsertChain", goal{text: "≥ 1.0×", onRatio: true, bound: 1}, err.Error()))
			continue
		}
		if prof != "" {
			r.profiles["solo"] = prof + ".top.txt"
		}
		rows = append(rows,
			newRow(fig, "tx/s", res.CommittedTPS, r.gethTPS, "geth InsertChain default", goal{text: "≥ 1.0×", onRatio: true, bound: 1}),
			newRow(fmt.Sprintf("solo: p50 inclusion @ %dk", rate/1000), "ms", res.LatencyP50Ms, math.NaN(), "-", goal{}))
	}
	return rows
}

func (r *runner) bft() []row {
	var rows []row
	comet, cometErr := cometbft(r.ctx, r.outDir, r.b.bftTxs, r.log)
	prof := filepath.Join(r.outDir, "bft.pprof")
	res, err := loadDevnet(r.ctx, r.bin, r.goBin, filepath.Join(r.outDir, "bft"), 4, loadSpec{
		txs: r.b.bftTxs, rate: bftRate, accounts: 400, profile: prof, profSecs: profSeconds(r.b.bftTxs, bftRate)},
		r.log, "--engine", "bft", "--subnets", "none", "--block-time", "200ms")
	tpsGoal := goal{text: "≥ 1.0×", onRatio: true, bound: 1}
	latGoal := goal{text: "≤ 250 ms", atMost: true, bound: 250}
	if err != nil {
		rows = append(rows, missing("bft 4x200ms: committed @ 2k offered", "tx/s", "CometBFT", tpsGoal, err.Error()),
			missing("bft 4x200ms: p50 inclusion @ 2k", "ms", "CometBFT", latGoal, err.Error()))
	} else {
		r.profiles["bft"] = prof + ".top.txt"
		tps := newRow("bft 4x200ms: committed @ 2k offered", "tx/s", res.CommittedTPS, comet.tps, "CometBFT localnet kvstore", tpsGoal)
		lat := newRow("bft 4x200ms: p50 inclusion @ 2k", "ms", res.LatencyP50Ms, comet.p50, "CometBFT localnet kvstore", latGoal)
		if cometErr != nil {
			tps.RefLabel, tps.Status, tps.Note = "CometBFT: n/a", "n/a", cometErr.Error()
			lat.RefLabel, lat.Note = "CometBFT: n/a", cometErr.Error()
		}
		rows = append(rows, tps, lat)
	}
	return rows
}

func (r *runner) idle() []row {
	var rows []row
	idle, err := measureIdle(r.ctx, r.bin, filepath.Join(r.outDir, "idle"), 10, r.b.idleWindow, r.b.settle, r.log)
	if err != nil {
		rows = append(rows, missing("idle: node0 CPU, 10 bft subnets", "% core", "root alone", goal{text: "≤ 1 % for the 10", atMost: true, bound: 1}, err.Error()))
	} else {
		cpu := newRow("idle: node0 CPU, 10 bft subnets", "% core", idle.subnetsCPU, idle.rootCPU, "root alone", goal{})
		cpu.Goal = "≤ 1 % for the 10"
		cpu.Status = "pass"
		if idle.subnetsCPU-idle.rootCPU > 1 {
			cpu.Status = "miss"
		}
		cpu.Note = fmt.Sprintf("the 10 cost %+.2f %%", idle.subnetsCPU-idle.rootCPU)
		rows = append(rows, cpu, newRow("idle: node0 RSS, 10 bft subnets", "MB", idle.subnetsRSS, idle.rootRSS, "root alone",
			goal{text: "≤ 150 MB", atMost: true, bound: 150}))
	}
	return rows
}
