package node

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"
)

// TestDashboardNamesRegisteredMetrics: every metric a query of the Grafana
// dashboard (deploy/grafana/aspen.json) names is one the node registers, so
// a renamed or removed metric cannot leave a panel silently empty.
func TestDashboardNamesRegisteredMetrics(t *testing.T) {
	raw, err := os.ReadFile("../deploy/grafana/aspen.json")
	if err != nil {
		t.Fatal(err)
	}
	var dash struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(raw, &dash); err != nil {
		t.Fatalf("deploy/grafana/aspen.json: %v", err)
	}
	known := registeredMetrics(t, newMetrics())
	name := regexp.MustCompile(`\b(aspen|go|process)_[a-z0-9_]+`)
	seen := 0
	for _, p := range dash.Panels {
		if len(p.Targets) == 0 {
			t.Fatalf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			for _, m := range name.FindAllString(tg.Expr, -1) {
				seen++
				if !known[m] {
					t.Errorf("panel %q queries %s, which the node does not register", p.Title, m)
				}
			}
		}
	}
	if seen == 0 {
		t.Fatal("the dashboard names no metric")
	}
}

// registeredMetrics is every series name m's registry can export, with a
// histogram's _bucket, _sum and _count.
func registeredMetrics(t *testing.T, m *metrics) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	add := func(name string, histogram bool) {
		out[name] = true
		if histogram {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				out[name+s] = true
			}
		}
	}
	// Labelled series appear in Gather only once used: read every
	// collector's descriptions instead.
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	v := reflect.ValueOf(m).Elem()
	for i := 0; i < v.NumField(); i++ {
		f := v.Field(i)
		c, ok := reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem().Interface().(prometheus.Collector)
		if !ok || f.Type() == reflect.TypeOf(m.reg) {
			continue
		}
		_, histogram := c.(*prometheus.HistogramVec)
		ch := make(chan *prometheus.Desc, 16)
		go func() { c.Describe(ch); close(ch) }()
		for d := range ch {
			if sub := fq.FindStringSubmatch(d.String()); sub != nil {
				add(sub[1], histogram)
			}
		}
	}
	// The Go and process collectors always export.
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		add(f.GetName(), f.GetType().String() == "HISTOGRAM")
	}
	for name := range out {
		if strings.HasPrefix(name, "aspen_") {
			return out
		}
	}
	t.Fatal("found no aspen_ metric in the node's registry")
	return nil
}
