package importguard

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/fleetkit/fleetkit"

type pkg struct {
	ImportPath string
	Standard   bool
	Imports    []string
	Deps       []string
	Error      *struct{ Err string }
}

func TestTinyGoPackagesImportOnlyTheStandardLibrary(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	allowed := map[string]bool{}
	for _, p := range TinyGo {
		allowed[module+"/"+p] = true
	}
	for _, rel := range TinyGo {
		if _, err := os.Stat(filepath.Join(root, rel)); err != nil {
			t.Errorf("%s: listed as TinyGo-friendly but missing: %v", rel, err)
			continue
		}
		cmd := exec.Command("go", "list", "-json", "-deps", "./"+rel)
		cmd.Dir = root
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("go list %s: %v", rel, err)
		}
		dec := json.NewDecoder(strings.NewReader(string(out)))
		for dec.More() {
			var p pkg
			if err := dec.Decode(&p); err != nil {
				t.Fatal(err)
			}
			if p.Error != nil {
				t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
			}
			if p.Standard {
				continue
			}
			if !allowed[p.ImportPath] {
				t.Errorf("%s depends on %s, which is neither the standard library nor a TinyGo-friendly fleetkit package", rel, p.ImportPath)
				continue
			}
			for _, imp := range p.Imports {
				if slices.Contains(Denied, imp) {
					t.Errorf("%s imports %s, which TinyGo-friendly packages must not use", p.ImportPath, imp)
				}
			}
		}
	}
}

// TestTinyGoMainLinksEveryPackage keeps the cortex-m compile check complete.
func TestTinyGoMainLinksEveryPackage(t *testing.T) {
	cmd := exec.Command("go", "list", "-f", "{{join .Imports \"\\n\"}}", "./tinygomain")
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	imports := strings.Fields(string(out))
	for _, p := range TinyGo {
		if !slices.Contains(imports, module+"/"+p) {
			t.Errorf("tinygomain does not import %s: add it so .ci/run compile-checks it for cortex-m", p)
		}
	}
}
