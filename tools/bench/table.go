package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strings"
	"text/tabwriter"
)

// row is one figure of the table. Value and Reference are NaN when not
// measured; Note says why.
type row struct {
	Figure    string  `json:"figure"`
	Unit      string  `json:"unit"`
	RefUnit   string  `json:"referenceUnit"`
	Value     float64 `json:"value"`
	Reference float64 `json:"reference"`
	RefLabel  string  `json:"referenceLabel"`
	Ratio     float64 `json:"ratio"` // Value / Reference
	Goal      string  `json:"goal"`
	Status    string  `json:"status"` // pass, miss, n/a or "-" (no goal)
	Note      string  `json:"note,omitempty"`
}

// goal is how a row is judged: against the ratio or against the value,
// at least or at most the bound. A zero goal has no bound ("-").
type goal struct {
	text    string
	onRatio bool
	atMost  bool
	bound   float64
}

func (g goal) judge(r *row) {
	r.Goal = g.text
	if g.text == "" {
		r.Goal, r.Status = "-", "-"
		return
	}
	x := r.Value
	if g.onRatio {
		x = r.Ratio
	}
	pass := x >= g.bound
	if g.atMost {
		pass = x <= g.bound
	}
	switch {
	case math.IsNaN(x):
		r.Status = "n/a"
	case pass:
		r.Status = "pass"
	default:
		r.Status = "miss"
	}
}

func newRow(figure, unit string, value, ref float64, refLabel string, g goal) row {
	r := row{Figure: figure, Unit: unit, RefUnit: unit, Value: value, Reference: ref, RefLabel: refLabel, Ratio: math.NaN()}
	if ref > 0 && !math.IsNaN(value) {
		r.Ratio = value / ref
	}
	g.judge(&r)
	return r
}

// withRefUnit is r with a reference counted in another unit (messages
// paid beside transfers executed).
func withRefUnit(r row, unit string) row {
	r.RefUnit = unit
	return r
}

// missing is a row that could not be measured this run.
func missing(figure, unit, refLabel string, g goal, why string) row {
	r := newRow(figure, unit, math.NaN(), math.NaN(), refLabel, g)
	r.Status, r.Note = "n/a", why
	return r
}

func num(x float64) string {
	switch {
	case math.IsNaN(x):
		return "n/a"
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.1f", x)
	default:
		return fmt.Sprintf("%.2f", x)
	}
}

func printTable(out io.Writer, rows []row) {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "figure\tAspen\treference (same run)\tratio\tgoal\tstatus")
	var notes []string
	for _, r := range rows {
		ratio := "-"
		if !math.IsNaN(r.Ratio) {
			ratio = fmt.Sprintf("%.2f×", r.Ratio)
		}
		ref := r.RefLabel
		if !math.IsNaN(r.Reference) {
			ref = num(r.Reference) + " " + r.RefUnit + " " + r.RefLabel
		}
		status := r.Status
		if r.Note != "" {
			notes = append(notes, r.Note)
			status += fmt.Sprintf(" [%d]", len(notes))
		}
		fmt.Fprintf(w, "%s\t%s %s\t%s\t%s\t%s\t%s\n", r.Figure, num(r.Value), r.Unit, strings.TrimSpace(ref), ratio, r.Goal, status)
	}
	w.Flush()
	for i, n := range notes {
		fmt.Fprintf(out, "[%d] %s\n", i+1, n)
	}
}

// report is what -json writes: NaN becomes null.
type report struct {
	Mode     string            `json:"mode"`
	Cores    int               `json:"cores"`
	Load     string            `json:"loadAverage"`
	Started  string            `json:"started"`
	Seconds  float64           `json:"seconds"`
	Rows     []jsonRow         `json:"rows"`
	Profiles map[string]string `json:"profiles"`
}

type jsonRow struct {
	row
	Value     *float64 `json:"value"`
	Reference *float64 `json:"reference"`
	Ratio     *float64 `json:"ratio"`
}

func ptr(x float64) *float64 {
	if math.IsNaN(x) {
		return nil
	}
	return &x
}

func writeJSON(path string, rep report, rows []row) error {
	for _, r := range rows {
		rep.Rows = append(rep.Rows, jsonRow{row: r, Value: ptr(r.Value), Reference: ptr(r.Reference), Ratio: ptr(r.Ratio)})
	}
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}
