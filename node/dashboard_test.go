package node

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"unsafe"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aspen-chain/aspen/p2p/libp2p"
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
	m := newMetrics()
	known := registeredMetrics(t, m)
	// The p2p host registers its own series (bytes per gossip topic) in
	// the node's registry when it opens.
	for name := range hostMetrics(t) {
		known[name] = true
	}
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

// hostMetrics opens a libp2p host as the node does and returns the names of
// the series it registers.
func hostMetrics(t *testing.T) map[string]bool {
	t.Helper()
	key, err := libp2p.LoadOrGenerateIdentityKey(filepath.Join(t.TempDir(), "identity"))
	if err != nil {
		t.Fatal(err)
	}
	rec := &describing{Registerer: prometheus.NewRegistry(), names: map[string]bool{}}
	h, err := libp2p.New(context.Background(), libp2p.Config{Key: key, ListenAddrs: []string{"/ip4/127.0.0.1/tcp/0"}, Registerer: rec,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if !rec.names["aspen_p2p_gossip_bytes_total"] {
		t.Fatalf("the p2p host registers %v, without its bytes per topic", rec.names)
	}
	return rec.names
}

// describing records the names of what is registered through it.
type describing struct {
	prometheus.Registerer
	names map[string]bool
}

func (d *describing) Register(c prometheus.Collector) error {
	fq := regexp.MustCompile(`fqName: "([^"]+)"`)
	ch := make(chan *prometheus.Desc, 16)
	go func() { c.Describe(ch); close(ch) }()
	for desc := range ch {
		if sub := fq.FindStringSubmatch(desc.String()); sub != nil {
			d.names[sub[1]] = true
		}
	}
	return d.Registerer.Register(c)
}

// TestTreeMetrics: the checkpoint lag and queue depths read at a scrape
// come out under the names and labels the dashboard queries.
func TestTreeMetrics(t *testing.T) {
	m := newMetrics()
	if got := treeSeries(t, m); len(got) != 0 {
		t.Fatalf("before the node sets a source the tree collector exports %v", got)
	}
	m.tree.source(func() []childQueues {
		return []childQueues{{id: "/r/a", checkpointLag: 7, up: 2, down: 3}, {id: "/r/b", checkpointLag: 0, up: 0, down: 1}}
	})
	want := map[string]float64{
		`aspen_checkpoint_lag_blocks{subnet="/r/a"}`:                 7,
		`aspen_checkpoint_lag_blocks{subnet="/r/b"}`:                 0,
		`aspen_crossmsg_queue_depth{direction="up",subnet="/r/a"}`:   2,
		`aspen_crossmsg_queue_depth{direction="down",subnet="/r/a"}`: 3,
		`aspen_crossmsg_queue_depth{direction="up",subnet="/r/b"}`:   0,
		`aspen_crossmsg_queue_depth{direction="down",subnet="/r/b"}`: 1,
	}
	if got := treeSeries(t, m); !reflect.DeepEqual(got, want) {
		t.Fatalf("exported %v\nwant %v", got, want)
	}
}

// treeSeries gathers the tree collector's series as name{labels} -> value.
func treeSeries(t *testing.T, m *metrics) map[string]float64 {
	t.Helper()
	families, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "aspen_checkpoint_lag_blocks" && f.GetName() != "aspen_crossmsg_queue_depth" {
			continue
		}
		for _, mt := range f.GetMetric() {
			var labels []string
			for _, l := range mt.GetLabel() {
				labels = append(labels, l.GetName()+`="`+l.GetValue()+`"`)
			}
			out[f.GetName()+"{"+strings.Join(labels, ",")+"}"] = mt.GetGauge().GetValue()
		}
	}
	return out
}

func TestAbove(t *testing.T) {
	for _, c := range []struct{ a, b, want uint64 }{{10, 4, 6}, {4, 4, 0}, {3, 9, 0}} {
		if got := above(c.a, c.b); got != c.want {
			t.Errorf("above(%d, %d) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
