package fetch

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"
)

// A server that stalls makes Fetch fail with a transient timeout. The assertions are on the kind
// of error only; how long it took is not measured.
func TestFetchTimeouts(t *testing.T) {
	t.Parallel()
	sendPartialBody := func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", "1000")
		_, _ = w.Write([]byte("the first bytes"))
		_ = http.NewResponseController(w).Flush()
	}
	tests := []struct {
		name           string
		before         func(http.ResponseWriter) // what the server sends before stalling
		timeout        time.Duration
		connectTimeout time.Duration
		want           func(error) bool
	}{
		{"no headers, whole-download deadline", nil, 50 * time.Millisecond, time.Minute, isDeadline},
		{"body stalls, whole-download deadline", sendPartialBody, 50 * time.Millisecond, time.Minute, isDeadline},
		{"no headers, first-byte timeout", nil, time.Minute, 50 * time.Millisecond, isNetTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newBlockedServer(t, tt.before)
			cfg := privateConfig()
			cfg.Timeout, cfg.ConnectTimeout = tt.timeout, tt.connectTimeout
			body, err := newFetcherT(t, cfg).Fetch(context.Background(), srv.URL)
			if !tt.want(err) {
				t.Fatalf("error = %v, want a timeout", err)
			}
			if body != nil {
				t.Errorf("body = %q, want nil", body)
			}
			if Permanent(err) {
				t.Errorf("Permanent(%v) = true", err)
			}
		})
	}
}

// The caller's context stops a download too: at shutdown the worker cancels and requeues.
func TestFetchCallerCancels(t *testing.T) {
	t.Parallel()
	started := make(chan struct{})
	srv := newBlockedServer(t, func(http.ResponseWriter) { close(started) })
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := newFetcherT(t, privateConfig()).Fetch(ctx, srv.URL)
	wantErrIs(t, err, context.Canceled)
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true", err)
	}
}

func isDeadline(err error) bool { return errors.Is(err, context.DeadlineExceeded) }

func isNetTimeout(err error) bool {
	type timeout interface {
		error
		Timeout() bool
	}
	te, ok := errors.AsType[timeout](err)
	return ok && te.Timeout()
}
