package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadPlanExamples: the plan files of docs/examples parse, with the
// mediator their legs' lowest common ancestor and the total they carry.
func TestReadPlanExamples(t *testing.T) {
	for file, want := range map[string]struct {
		legs  int
		total string
	}{
		"atomic-siblings.json":      {2, "5000000000000000000"},
		"atomic-three-subnets.json": {3, "3000000000000000000"},
	} {
		legs, mediator, deadline, total, err := readPlan(filepath.Join("..", "..", "docs", "examples", file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if len(legs) != want.legs || mediator != "/devnet" || deadline != 300 || total.String() != want.total {
			t.Fatalf("%s: %d legs, mediator %s, deadline %d, total %s", file, len(legs), mediator, deadline, total)
		}
	}
}

// TestReadPlanRefusals: a bad plan file is refused saying what is wrong.
func TestReadPlanRefusals(t *testing.T) {
	dir := t.TempDir()
	leg := `{"subnet": "/devnet/alpha", "to": "0x0000000000000000000000000000000000000001", "value": "1"}`
	for plan, want := range map[string]string{
		`{"deadline": 5, "legs": []}`: "no legs",
		`{"legs": [` + leg + `]}`:     `give "deadline"`,
		`{"deadline": 5, "legs": [{"subnet": "devnet", "to": "0x01", "value": "1"}]}`:                                          "leg 0: types: invalid subnet ID",
		`{"deadline": 5, "legs": [` + leg + `, {"subnet": "/other/x", "to": "0x0000000000000000000000000000000000000001"}]}`:   "leg 1: /other/x is in another network",
		`{"deadline": 5, "legs": [{"subnet": "/devnet/a", "to": "bob", "value": "1"}]}`:                                        `"to" "bob" is not an address`,
		`{"deadline": 5, "legs": [{"subnet": "/devnet/a", "to": "0x0000000000000000000000000000000000000001", "data": "zz"}]}`: "not 0x-prefixed hex",
		`{"deadline": 5, "legs": [` + leg + `], "extra": 1}`:                                                                   `unknown field "extra"`,
	} {
		p := filepath.Join(dir, "plan.json")
		if err := os.WriteFile(p, []byte(plan), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, _, _, _, err := readPlan(p); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("plan %s: error %v, want %q", plan, err, want)
		}
	}
}
