package daemon

import (
	"flag"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
)

// docs/contract.md is where users look up the variables photoproc reads; every variable the
// configuration asks for must be named there, so a new setting cannot go undocumented. The
// variables are found by asking LoadConfig itself, with a bucket as storage so that the S3
// settings are read too.
func TestContractNamesEveryVariable(t *testing.T) {
	t.Parallel()
	contract, err := os.ReadFile("../docs/contract.md")
	if err != nil {
		t.Fatal(err)
	}
	var read []string
	getenv := func(name string) string {
		read = append(read, name)
		if name == "PHOTOPROC_STORAGE" {
			return "s3://contract-test"
		}
		return ""
	}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	// Only the names asked for matter here, not whether the result validates.
	_, _ = LoadConfig(nil, getenv, fs)

	for _, want := range []string{"PG_CONNECTION_URI", "PHOTOPROC_STORAGE", "AWS_REGION"} {
		if !slices.Contains(read, want) {
			t.Fatalf("LoadConfig did not read %s; read %v", want, read)
		}
	}
	for _, name := range read {
		if !strings.Contains(string(contract), "`"+name+"`") {
			t.Errorf("docs/contract.md does not name %s, which the daemon reads", name)
		}
	}
}
