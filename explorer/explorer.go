package explorer

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
	"net/http"
	"sort"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi"

	"github.com/aspen-chain/aspen/gateway"
)

// Prefix is the URL path the explorer is served under.
const Prefix = "/explorer/"

//go:embed assets
var assets embed.FS

// Handler serves the explorer under Prefix: mount it with
// mux.Handle(explorer.Prefix, explorer.Handler()). A request for Prefix
// itself gets index.html; the page routes inside the URL fragment, so no
// other path needs the server.
func Handler() http.Handler {
	sub, err := fs.Sub(assets, "assets")
	if err != nil {
		panic(err) // the embed directive names the directory: it exists
	}
	abiJSON, abiErr := GatewayABI()
	files := http.StripPrefix(Prefix, http.FileServer(http.FS(sub)))
	mux := http.NewServeMux()
	mux.HandleFunc(Prefix+"gateway-abi.json", func(w http.ResponseWriter, r *http.Request) {
		if abiErr != nil {
			http.Error(w, abiErr.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-cache")
		http.ServeContent(w, r, "gateway-abi.json", time.Time{}, bytes.NewReader(abiJSON))
	})
	mux.Handle(Prefix, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Pages read the node, not the network: nothing from elsewhere.
		w.Header().Set("Content-Security-Policy", "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-cache")
		files.ServeHTTP(w, r)
	}))
	return mux
}

// AssetBytes is the size of the embedded assets, in bytes.
func AssetBytes() (int64, error) {
	var n int64
	err := fs.WalkDir(assets, "assets", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		n += info.Size()
		return nil
	})
	return n, err
}

// abiType describes an ABI type for the page's decoder.
type abiType struct {
	Kind       string     `json:"kind"` // uint int bool address bytes string fixedbytes slice array tuple
	Size       int        `json:"size,omitempty"`
	Elem       *abiType   `json:"elem,omitempty"`
	Components []abiParam `json:"components,omitempty"`
}

type abiParam struct {
	Name    string  `json:"name"`
	Type    abiType `json:"type"`
	Indexed bool    `json:"indexed,omitempty"`
}

type abiEntry struct {
	Name    string     `json:"name"`
	Sig     string     `json:"sig"`
	Inputs  []abiParam `json:"inputs"`
	Outputs []abiParam `json:"outputs,omitempty"`
}

// gatewayABI is gateway-abi.json.
type gatewayABI struct {
	Address   string              `json:"address"`
	Functions map[string]abiEntry `json:"functions"` // by 0x-selector
	Events    map[string]abiEntry `json:"events"`    // by topic 0
	Topics    map[string]string   `json:"topics"`    // event name -> topic 0
}

// GatewayABI is the gateway's ABI as the page reads it: functions by
// selector, events by topic, and the gateway's address.
func GatewayABI() ([]byte, error) {
	parsed, err := gateway.ParseABI()
	if err != nil {
		return nil, err
	}
	out := gatewayABI{Address: gateway.Address.Hex(), Functions: map[string]abiEntry{}, Events: map[string]abiEntry{}, Topics: map[string]string{}}
	names := make([]string, 0, len(parsed.Methods))
	for name := range parsed.Methods {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		m := parsed.Methods[name]
		e := abiEntry{Name: m.RawName, Sig: m.Sig, Inputs: params(m.Inputs), Outputs: params(m.Outputs)}
		out.Functions[fmt.Sprintf("0x%x", m.ID)] = e
	}
	for _, ev := range parsed.Events {
		out.Events[ev.ID.Hex()] = abiEntry{Name: ev.RawName, Sig: ev.Sig, Inputs: params(ev.Inputs)}
		out.Topics[ev.RawName] = ev.ID.Hex()
	}
	return json.Marshal(out)
}

func params(args abi.Arguments) []abiParam {
	out := make([]abiParam, 0, len(args))
	for _, a := range args {
		out = append(out, abiParam{Name: a.Name, Type: describe(a.Type), Indexed: a.Indexed})
	}
	return out
}

func describe(t abi.Type) abiType {
	switch t.T {
	case abi.UintTy:
		return abiType{Kind: "uint", Size: t.Size}
	case abi.IntTy:
		return abiType{Kind: "int", Size: t.Size}
	case abi.BoolTy:
		return abiType{Kind: "bool"}
	case abi.AddressTy:
		return abiType{Kind: "address"}
	case abi.BytesTy:
		return abiType{Kind: "bytes"}
	case abi.StringTy:
		return abiType{Kind: "string"}
	case abi.FixedBytesTy:
		return abiType{Kind: "fixedbytes", Size: t.Size}
	case abi.SliceTy:
		e := describe(*t.Elem)
		return abiType{Kind: "slice", Elem: &e}
	case abi.ArrayTy:
		e := describe(*t.Elem)
		return abiType{Kind: "array", Size: t.Size, Elem: &e}
	case abi.TupleTy:
		c := make([]abiParam, len(t.TupleElems))
		for i, el := range t.TupleElems {
			c[i] = abiParam{Name: t.TupleRawNames[i], Type: describe(*el)}
		}
		return abiType{Kind: "tuple", Components: c}
	}
	return abiType{Kind: "unknown"}
}
