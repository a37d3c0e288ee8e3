package rpctest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"
)

// ErrUnknownMethod is returned by Spec.Validate for a method the spec lacks.
var ErrUnknownMethod = errors.New("rpctest: method not in the spec")

// specURL names the combined document inside the schema compiler.
const specURL = "aspen://execution-apis.json"

// Spec is the execution-apis specification, compiled: one result schema per
// method, every $ref resolved against one combined document holding all of
// src/schemas under components/schemas.
type Spec struct {
	results map[string]*jsonschema.Schema
	// resultRefs names each method's result schema (for FilterResults quirks).
	resultRefs map[string]string
}

// SpecDir is rpc/testdata/execution-apis/src of this source tree.
func SpecDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata", "execution-apis", "src")
}

// LoadSpec reads dir/eth/*.yaml and dir/schemas/*.yaml and compiles every
// method's result schema.
func LoadSpec(dir string) (*Spec, error) {
	schemas := map[string]any{}
	files, err := filepath.Glob(filepath.Join(dir, "schemas", "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("rpctest: no schemas under %s: %v", dir, err)
	}
	for _, f := range files {
		var m map[string]any
		if err := readYAML(f, &m); err != nil {
			return nil, err
		}
		for k, v := range m {
			if _, dup := schemas[k]; dup {
				return nil, fmt.Errorf("rpctest: schema %s defined twice (%s)", k, f)
			}
			schemas[k] = v
		}
	}
	methods := map[string]any{}
	refs := map[string]string{}
	files, err = filepath.Glob(filepath.Join(dir, "eth", "*.yaml"))
	if err != nil || len(files) == 0 {
		return nil, fmt.Errorf("rpctest: no methods under %s: %v", dir, err)
	}
	for _, f := range files {
		var list []struct {
			Name   string `yaml:"name"`
			Result struct {
				Schema map[string]any `yaml:"schema"`
			} `yaml:"result"`
		}
		if err := readYAML(f, &list); err != nil {
			return nil, err
		}
		for _, m := range list {
			methods[m.Name] = map[string]any{"result": m.Result.Schema}
			if ref, ok := m.Result.Schema["$ref"].(string); ok {
				refs[m.Name] = strings.TrimPrefix(ref, "#/components/schemas/")
			}
		}
	}
	doc, err := toJSONValue(map[string]any{"components": map[string]any{"schemas": schemas}, "methods": methods})
	if err != nil {
		return nil, err
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(specURL, doc); err != nil {
		return nil, fmt.Errorf("rpctest: %w", err)
	}
	s := &Spec{results: map[string]*jsonschema.Schema{}, resultRefs: refs}
	for name := range methods {
		sch, err := c.Compile(specURL + "#/methods/" + name + "/result")
		if err != nil {
			return nil, fmt.Errorf("rpctest: compile %s result: %w", name, err)
		}
		s.results[name] = sch
	}
	return s, nil
}

// Methods lists the spec's methods, sorted.
func (s *Spec) Methods() []string {
	var out []string
	for m := range s.results {
		out = append(out, m)
	}
	slices.Sort(out)
	return out
}

// Validate checks one method's raw JSON result against the spec.
func (s *Spec) Validate(method string, result json.RawMessage) error {
	sch, ok := s.results[method]
	if !ok {
		return fmt.Errorf("%w: %s", ErrUnknownMethod, method)
	}
	v, err := jsonschema.UnmarshalJSON(strings.NewReader(string(result)))
	if err != nil {
		return fmt.Errorf("%s: result is not JSON: %w", method, err)
	}
	// FilterResults is oneOf [hashes, logs]; an empty list is both, so the
	// spec itself rejects it. Every client returns [] for "nothing new".
	if s.resultRefs[method] == "FilterResults" {
		if arr, ok := v.([]any); ok && len(arr) == 0 {
			return nil
		}
	}
	if err := sch.Validate(v); err != nil {
		return fmt.Errorf("%s: result does not match the spec: %w", method, err)
	}
	return nil
}

func readYAML(path string, out any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("rpctest: %w", err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		return fmt.Errorf("rpctest: %s: %w", path, err)
	}
	return nil
}

// toJSONValue turns YAML-decoded data into the JSON values the schema
// compiler expects (yaml gives ints and map keys it does not).
func toJSONValue(v any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("rpctest: spec is not JSON-encodable: %w", err)
	}
	return jsonschema.UnmarshalJSON(strings.NewReader(string(b)))
}
