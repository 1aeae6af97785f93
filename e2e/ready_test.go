package e2e

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/photoproc/photoproc/daemon"
)

// /readyz checks every connection the role needs: a worker with its consume connection down
// takes no photos even while publishing works, so it is not ready; every role reads or writes
// thumbnails, so every role checks their storage.
func TestReadyzChecksWhatTheRoleUses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		role string
		want []string
	}{
		{daemon.RoleAll, []string{"postgres", "rabbitmq", "rabbitmq-consume", "storage"}},
		{daemon.RoleWorker, []string{"postgres", "rabbitmq", "rabbitmq-consume", "storage"}},
		{daemon.RoleAPI, []string{"postgres", "rabbitmq", "storage"}},
	} {
		t.Run(tc.role, func(t *testing.T) {
			t.Parallel()
			h := startDaemon(t, func(c *daemon.Config) { c.Role = tc.role })
			resp, err := h.http.Get("http://" + h.addrs.Admin + "/readyz")
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body struct {
				Status string
				Checks map[string]string
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != http.StatusOK || len(body.Checks) != len(tc.want) {
				t.Fatalf("/readyz = %d %+v, want 200 with checks %v", resp.StatusCode, body, tc.want)
			}
			for _, name := range tc.want {
				if body.Checks[name] != "ok" {
					t.Errorf("check %q = %q, want ok (all: %v)", name, body.Checks[name], body.Checks)
				}
			}
		})
	}
}
