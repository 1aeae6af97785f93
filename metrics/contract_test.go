package metrics

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// metricName matches a photoproc metric name written as a Go string ("photoproc_x") or in
// Markdown (`photoproc_x` or `photoproc_x{label}`).
var metricName = regexp.MustCompile("[\"`](photoproc_[a-z0-9_]+)[\"`{]")

// docs/contract.md promises the metric names dashboards and alerts rely on: every metric this
// package defines must be named there, and every metric named there must be defined here, so
// neither can drift from the other.
func TestContractNamesEveryMetric(t *testing.T) {
	t.Parallel()
	contract, err := os.ReadFile("../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(contract), "\n## Metrics\n")
	if !ok {
		t.Fatal("docs/contract.md has no Metrics section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	promised := names(section)

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var defined []string
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		defined = append(defined, names(string(src))...)
	}

	for _, want := range []string{"photoproc_photos_processed_total", "photoproc_pool_running_workers"} {
		if !slices.Contains(defined, want) || !slices.Contains(promised, want) {
			t.Fatalf("%s not found in both the package (%v) and the contract (%v)", want, defined, promised)
		}
	}
	for _, name := range defined {
		if !slices.Contains(promised, name) {
			t.Errorf("docs/contract.md's Metrics section does not name %s, which package metrics defines", name)
		}
	}
	for _, name := range promised {
		if !slices.Contains(defined, name) {
			t.Errorf("docs/contract.md promises %s, which package metrics does not define", name)
		}
	}
}

// names returns the distinct metric names in text, sorted.
func names(text string) []string {
	var out []string
	for _, m := range metricName.FindAllStringSubmatch(text, -1) {
		out = append(out, m[1])
	}
	slices.Sort(out)
	return slices.Compact(out)
}
