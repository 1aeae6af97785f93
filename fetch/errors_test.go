package fetch

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"syscall"
	"testing"
)

func asStatusError(err error) (*StatusError, bool) { return errors.AsType[*StatusError](err) }

func TestFetchStatus(t *testing.T) {
	t.Parallel()
	tests := []struct {
		code      int
		permanent bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusForbidden, true},
		{http.StatusNotFound, true},
		{http.StatusGone, true},
		{http.StatusUnavailableForLegalReasons, true},
		{http.StatusMultipleChoices, true}, // a redirect with no Location to follow
		{http.StatusRequestTimeout, false},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
		{http.StatusBadGateway, false},
		{http.StatusServiceUnavailable, false},
		{http.StatusGatewayTimeout, false},
		{599, false},
	}
	f := newFetcherT(t, privateConfig())
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.code), func(t *testing.T) {
			t.Parallel()
			srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.code)
				_, _ = w.Write([]byte("not a photo"))
			}))
			body, err := f.Fetch(context.Background(), srv.URL+"/y.jpg")
			se, ok := asStatusError(err)
			if !ok || se.Code != tt.code || se.URL != srv.URL+"/y.jpg" {
				t.Fatalf("Fetch error = %#v, want StatusError{%d, %s/y.jpg}", err, tt.code, srv.URL)
			}
			if body != nil {
				t.Errorf("body = %q, want nil", body)
			}
			if got := Permanent(err); got != tt.permanent {
				t.Errorf("Permanent(%v) = %v, want %v", err, got, tt.permanent)
			}
		})
	}
}

func TestStatusErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		err  *StatusError
		want string
	}{
		{&StatusError{Code: 404, URL: "https://x/y.jpg"}, "GET https://x/y.jpg: 404 Not Found"},
		{&StatusError{Code: 503, URL: "https://x/y.jpg"}, "GET https://x/y.jpg: 503 Service Unavailable"},
		{&StatusError{Code: 599, URL: "https://x/y.jpg"}, "GET https://x/y.jpg: status 599"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}

// Permanent on errors of every origin, wrapped as callers wrap them.
func TestPermanent(t *testing.T) {
	t.Parallel()
	wrap := func(err error) error { return fmt.Errorf("photo 123: download: %w", err) }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"too large", wrap(fmt.Errorf("%w: body is larger than the 50MB limit", ErrTooLarge)), true},
		{"blocked", wrap(ErrBlockedAddress), true},
		{"scheme", wrap(ErrScheme), true},
		{"host not allowed", wrap(ErrHostNotAllowed), true},
		{"too many redirects", wrap(ErrTooManyRedirects), true},
		{"bad URL", wrap(ErrBadURL), true},
		{"404", wrap(&StatusError{Code: 404}), true},
		{"401", wrap(&StatusError{Code: 401}), true},
		{"408", wrap(&StatusError{Code: 408}), false},
		{"429", wrap(&StatusError{Code: 429}), false},
		{"500", wrap(&StatusError{Code: 500}), false},
		{"503", wrap(&StatusError{Code: 503}), false},
		{"deadline", wrap(context.DeadlineExceeded), false},
		{"canceled", wrap(context.Canceled), false},
		{"dns not found", wrap(&net.DNSError{Err: "no such host", Name: "x.example", IsNotFound: true}), false},
		{"dns timeout", wrap(&net.DNSError{Err: "i/o timeout", Name: "x.example", IsTimeout: true}), false},
		{"reset", wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), false},
		{"refused", wrap(&net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}), false},
		{"other", errors.New("something else"), false},
	}
	for _, tt := range tests {
		if got := Permanent(tt.err); got != tt.want {
			t.Errorf("%s: Permanent(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
}

// A host whose name does not resolve may resolve later: transient, and the DNS error kept.
func TestFetchDNSFailureIsTransient(t *testing.T) {
	t.Parallel()
	noDNS := &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		return nil, errors.New("no DNS server in this test")
	}}
	f := newFetcherT(t, DefaultConfig(), withResolver(noDNS))
	_, err := f.Fetch(context.Background(), "http://photos.example.com/p.jpg")
	if _, ok := errors.AsType[*net.DNSError](err); !ok {
		t.Fatalf("error = %v, want a *net.DNSError in the chain", err)
	}
	if Permanent(err) {
		t.Errorf("Permanent(%v) = true", err)
	}
}

func TestFetchConnectionFailuresAreTransient(t *testing.T) {
	t.Parallel()
	t.Run("refused", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		if err := ln.Close(); err != nil {
			t.Fatal(err)
		}
		f := newFetcherT(t, privateConfig())
		_, err = f.Fetch(context.Background(), "http://"+addr+"/p.jpg")
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("error = %v, want connection refused", err)
		}
		if Permanent(err) {
			t.Errorf("Permanent(%v) = true", err)
		}
	})
	t.Run("closed mid-response", func(t *testing.T) {
		t.Parallel()
		srv := newServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "1000")
			_, _ = w.Write([]byte("only part of the photo"))
			conn, _, err := http.NewResponseController(w).Hijack()
			if err == nil {
				_ = conn.Close()
			}
		}))
		f := newFetcherT(t, privateConfig())
		_, err := f.Fetch(context.Background(), srv.URL)
		if err == nil {
			t.Fatal("Fetch of a truncated response succeeded")
		}
		if Permanent(err) {
			t.Errorf("Permanent(%v) = true", err)
		}
	})
}
