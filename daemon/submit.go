package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"time"

	"github.com/photoproc/photoproc/api"
)

// cmdSubmitPending is the seed's submit_pending.py: it pages through GET /photos/pending and
// queues each page with PUT /photos/process, showing progress and printing a summary.
func cmdSubmitPending(ctx context.Context, e *cliEnv, args []string) error {
	fs := e.flags("submit-pending")
	base := fs.String("api", "http://127.0.0.1:3000", "base URL of the photoproc API")
	batch := fs.Int("batch", 100, "photos per request (1-1000)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *batch < 1 || *batch > api.MaxBatch {
		return fmt.Errorf("--batch must be from 1 to %d", api.MaxBatch)
	}
	c := &submitter{http: httpClient(), base: *base, e: e}
	sum, err := c.run(ctx, *batch)
	fmt.Fprintf(e.stdout, "pending photos seen: %d, queued: %d, skipped: %d\n", sum.seen, sum.queued, sum.skipped)
	return err
}

func httpClient() *http.Client { return &http.Client{Timeout: time.Minute} }

type submitter struct {
	http *http.Client
	base string
	e    *cliEnv
}

type summary struct{ seen, queued, skipped int }

var nextLink = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

func (c *submitter) run(ctx context.Context, batch int) (summary, error) {
	var sum summary
	next := "/photos/pending?limit=" + strconv.Itoa(batch)
	for next != "" {
		var page []api.Photo
		link, err := c.do(ctx, http.MethodGet, next, nil, &page)
		if err != nil {
			return sum, err
		}
		next = ""
		if m := nextLink.FindStringSubmatch(link); m != nil {
			next = m[1]
		}
		if len(page) == 0 {
			break
		}
		ids := make([]string, len(page))
		for i, p := range page {
			ids[i] = p.UUID.String()
		}
		var res api.ProcessResult
		if _, err := c.do(ctx, http.MethodPut, "/photos/process", ids, &res); err != nil {
			return sum, err
		}
		sum.seen += len(page)
		sum.queued += res.PhotosQueuedCount
		sum.skipped += len(res.Skipped)
		fmt.Fprintf(c.e.stderr, "\rqueued %d of %d pending photos seen (%d skipped)", sum.queued, sum.seen, sum.skipped)
	}
	if sum.seen > 0 {
		fmt.Fprintln(c.e.stderr)
	}
	return sum, nil
}

// do sends one request and decodes a 2xx JSON answer into out; any other answer becomes an
// error carrying the problem's detail. It returns the Link header.
func (c *submitter) do(ctx context.Context, method, path string, body, out any) (string, error) {
	u, err := url.JoinPath(c.base, "/")
	if err != nil {
		return "", fmt.Errorf("--api: %w", err)
	}
	ref, err := url.Parse(path)
	if err != nil {
		return "", err
	}
	base, _ := url.Parse(u)
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return "", err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, base.ResolveReference(ref).String(), rd)
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
		}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&p)
		return "", fmt.Errorf("%s %s: %s: %s", method, ref.Path, resp.Status, p.Detail)
	}
	return resp.Header.Get("Link"), json.NewDecoder(resp.Body).Decode(out)
}
