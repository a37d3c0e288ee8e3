package objects

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestABIMatchesSolidity: every function and event of docs/IObjects.sol
// is in the embedded ABI with the same signature and mutability, and back.
func TestABIMatchesSolidity(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("../docs/IObjects.sol")
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^\s*(function|event)\s+(\w+)\(([^)]*)\)([^;]*);`)
	param := regexp.MustCompile(`^\s*(\w+(\[\])?)`)
	types := map[string]string{"Kind": "uint8", "Claim": "(string,uint64,bytes32)", "Claim[]": "(string,uint64,bytes32)[]"}
	found, mut := map[string]string{}, map[string]string{}
	for _, m := range decl.FindAllStringSubmatch(string(src), -1) {
		var ts []string
		for _, p := range strings.Split(m[3], ",") {
			if strings.TrimSpace(p) == "" {
				continue
			}
			ty := param.FindStringSubmatch(p)[1]
			if r, ok := types[ty]; ok {
				ty = r
			}
			ts = append(ts, ty)
		}
		found[m[1]+" "+m[2]] = m[2] + "(" + strings.Join(ts, ",") + ")"
		switch {
		case strings.Contains(m[4], "payable"):
			mut[m[2]] = "payable"
		case strings.Contains(m[4], "view"):
			mut[m[2]] = "view"
		default:
			mut[m[2]] = "nonpayable"
		}
	}
	for name, m := range parsed.Methods {
		if found["function "+name] != m.Sig {
			t.Errorf("function %s: ABI %q, IObjects.sol %q", name, m.Sig, found["function "+name])
		}
		if mut[name] != m.StateMutability {
			t.Errorf("function %s: ABI %s, IObjects.sol %s", name, m.StateMutability, mut[name])
		}
		delete(found, "function "+name)
	}
	for name, e := range parsed.Events {
		if found["event "+name] != e.Sig {
			t.Errorf("event %s: ABI %q, IObjects.sol %q", name, e.Sig, found["event "+name])
		}
		delete(found, "event "+name)
	}
	for k := range found {
		t.Errorf("IObjects.sol declares %s, the ABI does not", k)
	}
	if !strings.Contains(strings.ToLower(string(src)), strings.ToLower(Address.Hex())) {
		t.Errorf("IObjects.sol does not name the address %s", Address.Hex())
	}
}

func TestMethodTableMatchesABI(t *testing.T) {
	parsed, err := ParseABI()
	if err != nil {
		t.Fatal(err)
	}
	for name := range parsed.Methods {
		if md, ok := methods[name]; !ok || md.run == nil || md.gas == nil {
			t.Errorf("ABI function %s has no complete row in the method table", name)
		}
	}
	if len(methods) != len(parsed.Methods) {
		t.Errorf("method table has %d rows, the ABI %d functions", len(methods), len(parsed.Methods))
	}
}
