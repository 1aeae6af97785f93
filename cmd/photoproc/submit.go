package main

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
	"github.com/photoproc/photoproc/daemon"
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
	c := &submitter{http: httpClient(), base: *base, e: e, progress: newProgress(e.stderr, time.Now)}
	sum, err := c.run(ctx, *batch)
	sum.print(e.stdout)
	return err
}

// print writes the summary's last line, the one scripts read.
func (s summary) print(w io.Writer) {
	fmt.Fprintf(w, "%s seen: %d, queued: %d, skipped: %d\n", s.of, s.seen, s.queued, s.skipped)
}

func httpClient() *http.Client { return &http.Client{Timeout: time.Minute} }

type submitter struct {
	http     *http.Client
	base     string
	e        *cliEnv
	progress *progress
}

// summary is what a command that pages through photos and queues them has done so far.
type summary struct {
	of                    string // the photos seen: "pending photos", "completed photos"
	seen, queued, skipped int
}

var nextLink = regexp.MustCompile(`<([^>]+)>\s*;\s*rel="?next"?`)

func (c *submitter) run(ctx context.Context, batch int) (summary, error) {
	sum := summary{of: "pending photos"}
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
		c.progress.update(sum)
	}
	c.progress.done(sum)
	return sum, nil
}

// progressEvery is how often progress is reported where it is not a terminal (a log, a pipe,
// CI): a line every few seconds rather than one per page.
const progressEvery = 5 * time.Second

// progress reports a submitter's progress: on a terminal one line updated in place after
// every page, elsewhere a line every progressEvery and one at the end.
type progress struct {
	w    io.Writer
	tty  bool
	now  func() time.Time
	last time.Time // when a line was last written (or the start)
}

func newProgress(w io.Writer, now func() time.Time) *progress {
	return &progress{w: w, tty: daemon.IsTerminal(w), now: now, last: now()}
}

func (p *progress) update(sum summary) {
	if p.tty {
		fmt.Fprintf(p.w, "\r%s", sum)
		return
	}
	if now := p.now(); now.Sub(p.last) >= progressEvery {
		fmt.Fprintln(p.w, sum)
		p.last = now
	}
}

func (p *progress) done(sum summary) {
	switch {
	case sum.seen == 0:
	case p.tty:
		fmt.Fprintln(p.w)
	default:
		fmt.Fprintln(p.w, sum)
	}
}

func (s summary) String() string {
	return fmt.Sprintf("queued %d of %d %s seen (%d skipped)", s.queued, s.seen, s.of, s.skipped)
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
