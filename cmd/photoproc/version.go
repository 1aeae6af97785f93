package main

import (
	"runtime"
	"runtime/debug"

	"github.com/photoproc/photoproc/api"
)

type versionInfo struct{ Version, Commit, Go string }

// readVersion reports what the Go toolchain stamped into the binary: the module version
// (set when built from a tagged module) and the VCS commit (set when built in a checkout).
func readVersion() versionInfo {
	v := versionInfo{Version: "(devel)", Commit: "unknown", Go: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	if bi.Main.Version != "" {
		v.Version = bi.Main.Version
	}
	dirty := false
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			v.Commit = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if dirty {
		v.Commit += "-dirty"
	}
	return v
}

// openAPIDocument is the document committed as openapi/openapi.yaml. It carries the API's
// version, not the build's, so it only changes when the API does.
func openAPIDocument() ([]byte, error) { return api.OpenAPIYAML() }
