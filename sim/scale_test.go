package sim

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// flatTolerance is how far the tracked node's messages per block may move
// between tree sizes. Node 0 runs the same seven chains at every size (the
// home subnet and its five leaves with one other validator, node 1, and
// the root it follows, validated by nodes 2 and 3), so per block it gets
// the same proposal, prevote and precommit from each of them. Only the
// delay draws differ (one generator serves the whole tree), and a draw
// that pushes a height into a second round adds a proposal and votes:
// a few percent. Were it subscribed to every subnet's topic it would get
// every other chain's messages too, about 25 times as many at 100 subnets.
const flatTolerance = 0.25

// checkFlat reports whether the tracked node's messages per block at
// large stayed within flatTolerance of small; flooded adds what a node
// subscribed to every topic would get.
func checkFlat(small, large *ScaleReport, flooded bool) error {
	per := func(r *ScaleReport) float64 {
		l := r.Loads[0]
		if flooded {
			return l.PerBlock(l.Msgs + l.FloodedMsgs)
		}
		return l.PerBlock(l.Msgs)
	}
	a, b := per(small), per(large)
	if a == 0 || b > a*(1+flatTolerance) || b < a*(1-flatTolerance) {
		return fmt.Errorf("tracked node: %.2f messages per block at %d subnets, %.2f at %d (tolerance %.0f%%)", a, small.Subnets, b, large.Subnets, 100*flatTolerance)
	}
	return nil
}

// checkRootLoad reports whether the root's checkpoints per block stayed
// within a third between two trees with the same number of direct
// children. Each child checkpoints every checkpointPeriod of its heights,
// at the root's pace, so the root takes about RootChildren/3 per block
// whatever lies below; a third covers the lag of the last checkpoints of
// a short run. A root that took checkpoints from every subnet would grow
// with Subnets.
func checkRootLoad(a, b *ScaleReport) error {
	x, y := a.RootCheckpointsPerBlock(), b.RootCheckpointsPerBlock()
	if x == 0 || y > x*4/3 || y < x*2/3 {
		return fmt.Errorf("root: %.2f checkpoints per block with %d subnets, %.2f with %d", x, a.Subnets, y, b.Subnets)
	}
	return nil
}

// TestScaleFlat checks the two properties scale-out rests on: a node's
// traffic per block of its own subnets does not grow with the other
// subnets of the tree (10 vs 30 subnets, node 0's subnets fixed; 10 vs 100
// with ASPEN_SIM_SCALE=1), and the root's checkpoint load follows its
// direct children, not all subnets. Each check is shown to fail on the
// design it rules out: nodes subscribed to every subnet's topic (7 times
// the messages at 30 subnets, 26 times at 100), and a flat tree whose
// subnets are all children of the root. Wall time is measured, never
// asserted.
func TestScaleFlat(t *testing.T) {
	t.Parallel()
	small, err := runScale(1, ScaleScenario{Subnets: 10}, false)
	if err != nil {
		t.Fatal(err)
	}
	size := 30
	if os.Getenv("ASPEN_SIM_SCALE") != "" {
		size = 100
	}
	large, err := runScale(1, ScaleScenario{Subnets: size}, true)
	if err != nil {
		t.Fatal(err)
	}
	if l := large.Loads[0]; l.Validates != 1+homeKids || l.Runs != 2+homeKids {
		t.Fatalf("tracked node validates %d and runs %d subnets; want %d and %d", l.Validates, l.Runs, 1+homeKids, 2+homeKids)
	}
	for _, r := range []*ScaleReport{small, large} {
		l := r.Loads[0]
		t.Logf("%d subnets, %d nodes: tracked node %.2f msgs/block (%.2f subscribed to all), root %d checkpoints in %d blocks",
			r.Subnets, r.Nodes, l.PerBlock(l.Msgs), l.PerBlock(l.Msgs+l.FloodedMsgs), r.RootCheckpoints, r.RootBlocks)
	}
	if err := checkFlat(small, large, false); err != nil {
		t.Error(err)
	}
	if err := checkFlat(small, large, true); err == nil {
		t.Error("subscribed to every subnet's topic, the tracked node's load still looks flat: the check cannot fail")
	}
	if err := checkRootLoad(small, large); err != nil {
		t.Error(err)
	}
	flat, err := runScale(1, ScaleScenario{Subnets: 20, RootChildren: 13, Depth: 2}, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("flat tree: root %d checkpoints in %d blocks", flat.RootCheckpoints, flat.RootBlocks)
	if err := checkRootLoad(small, flat); err == nil {
		t.Error("a root with every subnet as a direct child takes no more checkpoints per block: the check cannot fail")
	}
}

// TestScaleReport prints the scale-out table (ASPEN_SIM_SCALE=1; sizes
// from ASPEN_SIM_SCALE_SIZES, default 10,100,1000). Slow: about a
// minute per 100 subnets of single-core BLS work at 1,000.
func TestScaleReport(t *testing.T) {
	if os.Getenv("ASPEN_SIM_SCALE") == "" {
		t.Skip("ASPEN_SIM_SCALE=1 runs the scale-out report")
	}
	sizes := []int{10, 100, 1000}
	if v := os.Getenv("ASPEN_SIM_SCALE_SIZES"); v != "" {
		sizes = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(f)
			if err != nil {
				t.Fatalf("ASPEN_SIM_SCALE_SIZES=%q: %v", v, err)
			}
			sizes = append(sizes, n)
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n%7s %5s %5s | %-24s | %-24s | %-22s | %8s | %6s %6s\n", "subnets", "nodes", "depth",
		"msgs/block med max trk", "bytes/block med max trk", "cpu/block med max trk", "root ck/b", "ticks", "wall")
	for _, n := range sizes {
		r, err := runScale(1, ScaleScenario{Subnets: n}, false)
		if err != nil {
			t.Fatalf("%d subnets: %v", n, err)
		}
		msgs, bytes, cpu := stat(r, func(l NodeLoad) float64 { return l.PerBlock(l.Msgs) }),
			stat(r, func(l NodeLoad) float64 { return l.PerBlock(l.Bytes) }),
			stat(r, func(l NodeLoad) float64 { return l.PerBlock(uint64(l.Handler)) / float64(time.Microsecond) })
		fmt.Fprintf(&b, "%7d %5d %5d | %6.2f %6.2f %6.2f     | %6.0f %6.0f %6.0f     | %5.0fus %5.0fus %5.0fus | %8.2f | %6d %6s\n",
			r.Subnets, r.Nodes, r.Depth, msgs[0], msgs[1], msgs[2], bytes[0], bytes[1], bytes[2], cpu[0], cpu[1], cpu[2],
			r.RootCheckpointsPerBlock(), r.Ticks, r.Wall.Round(time.Second))
	}
	t.Log(b.String())
}

// stat is the median and max of f over the nodes, and f of the tracked node.
func stat(r *ScaleReport, f func(NodeLoad) float64) [3]float64 {
	var xs []float64
	for _, l := range r.Loads {
		xs = append(xs, f(l))
	}
	slices.Sort(xs)
	return [3]float64{xs[len(xs)/2], xs[len(xs)-1], f(r.Loads[0])}
}
