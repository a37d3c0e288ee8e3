package sim

import (
	"errors"
	"testing"
)

func TestSoloChain(t *testing.T) {
	for _, sc := range []Scenario{
		{Name: "solo", Nodes: 1, Heights: 10},
		{Name: "solo-crash", Nodes: 1, Heights: 10, Crashes: 2},
	} {
		res, err := Run(1, sc, Solo())
		if err != nil {
			t.Fatalf("%s: %v", sc.Name, err)
		}
		if res.Heights[0] < 10 {
			t.Fatalf("%s: solo reached height %d, want 10", sc.Name, res.Heights[0])
		}
		t.Logf("%s: %+v", sc.Name, *res)
	}
}

func TestScenarioValidation(t *testing.T) {
	for _, sc := range []Scenario{
		{Nodes: 0, Heights: 1},
		{Nodes: 3, Byzantine: 1, Heights: 1},
		{Nodes: 4, Heights: 0},
		{Nodes: 4, Heights: 1, Loss: 1},
	} {
		if _, err := Run(1, sc, Solo()); !errors.Is(err, ErrScenario) {
			t.Errorf("%+v: got %v, want ErrScenario", sc, err)
		}
	}
}
