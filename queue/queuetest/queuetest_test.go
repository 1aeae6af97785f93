package queuetest

import (
	"slices"
	"testing"
)

func TestConnectionPids(t *testing.T) {
	t.Parallel()
	listing := []byte("pid\tclient_properties\n" +
		`<rabbit@h.1.982.0>` + "\t" + `[{"version","1.16.0"},{"connection_name","photoproc-test-ab publish"},{"capabilities",[{"basic.nack",true}]}]` + "\n" +
		`<rabbit@h.1.983.0>` + "\t" + `[{"capabilities",[]},{"connection_name","photoproc-test-ab consume"}]` + "\n" +
		`<rabbit@h.1.984.0>` + "\t" + `[{"connection_name","photoproc-test-cd publish"}]` + "\n" +
		`<rabbit@h.1.985.0>` + "\t" + `[{"product","pika"}]` + "\n")
	tests := []struct {
		prefix string
		want   []string
	}{
		{"photoproc-test-ab", []string{"<rabbit@h.1.982.0>", "<rabbit@h.1.983.0>"}},
		{"photoproc-test-cd publish", []string{"<rabbit@h.1.984.0>"}},
		{"photoproc-test-ef", nil},
	}
	for _, tt := range tests {
		if got := ConnectionPids(listing, tt.prefix); !slices.Equal(got, tt.want) {
			t.Errorf("ConnectionPids(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
}
