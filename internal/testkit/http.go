package testkit

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/danielgtaylor/huma/v2"
)

// Request builds a request for url with body (none when empty), a JSON Content-Type and the
// given header pairs: "Host" sets the request's Host, an empty value removes the header.
func Request(tb testing.TB, method, url, body string, header ...string) *http.Request {
	tb.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(tb.Context(), method, url, rd)
	if err != nil {
		tb.Fatalf("request %s %s: %v", method, url, err)
	}
	req.Header.Set("Content-Type", "application/json")
	if len(header)%2 != 0 {
		tb.Fatalf("request %s %s: header pairs %q have an odd length", method, url, header)
	}
	for i := 0; i < len(header); i += 2 {
		switch {
		case header[i] == "Host":
			req.Host = header[i+1]
		case header[i+1] == "":
			req.Header.Del(header[i])
		default:
			req.Header.Set(header[i], header[i+1])
		}
	}
	return req
}

// Response is a response read whole.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// Do sends req with client and reads the whole response, failing the test when there is none.
func Do(tb testing.TB, client *http.Client, req *http.Request) Response {
	tb.Helper()
	resp, err := client.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return Response{Status: resp.StatusCode, Header: resp.Header, Body: body}
}

// WantStatus fails the test, showing the body, unless the response has status.
func (r Response) WantStatus(tb testing.TB, status int) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d: %s", r.Status, status, r.Body)
	}
}

// JSON decodes the body into v, failing the test, with the body, when it is not v's JSON.
func (r Response) JSON(tb testing.TB, v any) {
	tb.Helper()
	if err := json.Unmarshal(r.Body, v); err != nil {
		tb.Fatalf("decode %s: %v", r.Body, err)
	}
}

// Problem checks that the response is an RFC 9457 problem document (as huma writes both
// listeners' errors) of status, with a title and a detail, and returns it.
func (r Response) Problem(tb testing.TB, status int) huma.ErrorModel {
	tb.Helper()
	r.WantStatus(tb, status)
	if ct := r.Header.Get("Content-Type"); ct != "application/problem+json" {
		tb.Fatalf("content type %q, want application/problem+json: %s", ct, r.Body)
	}
	var p huma.ErrorModel
	r.JSON(tb, &p)
	if p.Status != status || p.Title == "" || p.Detail == "" {
		tb.Fatalf("problem lacks status, title or detail: %s", r.Body)
	}
	return p
}
