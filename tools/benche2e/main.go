// Command benche2e measures photoproc end to end on this machine: photos served over local
// HTTP, queued through the API, carried by RabbitMQ, thumbnailed by the worker pool, recorded
// in Postgres. It runs the photoproc binary as a separate process against a database and queue
// of its own, which it removes afterwards.
//
//	go run ./tools/benche2e [-n 200] [-photo FILE] [-workers N] [-photoproc bin/photoproc]
//
// It prints:
//   - the CPU-bound limit: CPUs ÷ CPU seconds per thumbnail, from `photoproc thumbnail` on the
//     same photo in one process (the imaging work alone);
//   - throughput: n photos queued at once, photos/s from the first PUT to the last completion,
//     and its share of that limit;
//   - latency: photos queued one at a time at half the measured throughput, p50/p95 from the
//     PUT to the photo's completion (photos.updated_at);
//   - the daemon's CPU per photo and peak RSS (getrusage after it exits).
//
// With -24mp every row points at the photo enlarged to 24 MP (6000x4000). With -server python
// the photos are served by `python3 -m http.server`, as tools/seed-consumer.sh
// serves them to the Python service, instead of by this process.
//
// With -mix the rows cycle through four photos instead of one: the photo, the photo enlarged to
// 24 MP, a 30000x30000 PNG "bomb" (a few hundred bytes whose header announces 900 MP, refused
// before decoding) and a 7000x7000 PNG of zeros (49 MP, just under PHOTOPROC_MAX_PIXELS: 50 KB
// that decode to 49 MB). The bombs end failed; the figure to read is the peak RSS.
package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/crc32"
	"image"
	"image/png"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testphotos"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/tools/internal/cpucost"
)

type options struct {
	bin, photo, workers, pgAdmin, amqpURI, server string
	n                                             int
	mix, big                                      bool
}

func main() {
	var o options
	flag.IntVar(&o.n, "n", 200, "photos in the throughput run (the latency run takes n/4)")
	flag.StringVar(&o.photo, "photo", "testdata/photos/camera-4032x3024.jpg", "the photo every row points at")
	flag.StringVar(&o.workers, "workers", "", "PHOTOPROC_WORKERS for the daemon (default: its own)")
	flag.StringVar(&o.bin, "photoproc", "bin/photoproc", "the photoproc binary")
	flag.StringVar(&o.pgAdmin, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "Postgres to create the database on")
	flag.StringVar(&o.amqpURI, "amqp", "amqp://guest:guest@127.0.0.1:5672/", "RabbitMQ")
	flag.BoolVar(&o.mix, "mix", false, "cycle through the photo, a 24 MP enlargement and two PNG bombs")
	flag.BoolVar(&o.big, "24mp", false, "serve the photo enlarged to 24 MP (6000x4000) instead")
	flag.StringVar(&o.server, "server", "go", "what serves the photos: go (in this process) or python (python3 -m http.server, as the seed's benchmark serves them)")
	flag.Parse()
	// Interrupted, it still removes its database and queues.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, o); err != nil {
		fmt.Fprintln(os.Stderr, "benche2e:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	photo, err := os.ReadFile(o.photo)
	if err != nil {
		return fmt.Errorf("%w (run from the repository root, or pass -photo)", err)
	}
	work, err := os.MkdirTemp("", "benche2e")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	if o.big {
		if photo, err = testphotos.Enlarge(photo, 6000, 4000); err != nil {
			return err
		}
		o.photo = filepath.Join(work, "photo-6000x4000.jpg")
		if err := os.WriteFile(o.photo, photo, 0o644); err != nil {
			return err
		}
	}
	cpu, err := thumbnailCPU(o.bin, o.photo, 20)
	if err != nil {
		return err
	}
	limit := float64(runtime.NumCPU()) / cpu.Seconds()
	fmt.Printf("photo %s (%d bytes); %d CPUs\n", filepath.Base(o.photo), len(photo), runtime.NumCPU())
	fmt.Printf("CPU-bound limit: %d CPUs / %.1f ms CPU per thumbnail = %.1f photos/s\n",
		runtime.NumCPU(), ms(cpu), limit)

	suffix := randomHex()
	db, dbURI, drop, err := createDatabase(ctx, o.pgAdmin, "photoproc_bench_"+suffix)
	if err != nil {
		return err
	}
	defer drop()
	qcfg := queue.DefaultConfig()
	qcfg.Queue = "photoproc-bench-" + suffix
	defer deleteQueues(o.amqpURI, qcfg)

	migrate := exec.Command(o.bin, "migrate", "up")
	migrate.Env = append(os.Environ(), "PG_CONNECTION_URI="+dbURI)
	if out, err := migrate.CombinedOutput(); err != nil {
		return fmt.Errorf("migrate: %v: %s", err, out)
	}
	photos := [][]byte{photo}
	if o.mix {
		if photos, err = mixOf(photo); err != nil {
			return err
		}
	}
	serve := servePhotos
	if o.server == "python" {
		serve = func(photos [][]byte) (func(), []string, error) { return servePython(work, photos) }
	} else if o.server != "go" {
		return fmt.Errorf("-server %q: want go or python", o.server)
	}
	stopServer, photoURLs, err := serve(photos)
	if err != nil {
		return err
	}
	defer stopServer()

	thumbs, err := os.MkdirTemp("", "benche2e-thumbs")
	if err != nil {
		return err
	}
	defer os.RemoveAll(thumbs)
	env := []string{
		"PG_CONNECTION_URI=" + dbURI, "AMQP_URI=" + o.amqpURI, "PHOTOPROC_QUEUE=" + qcfg.Queue,
		"PHOTOPROC_THUMBS_DIR=" + thumbs, "PHOTOPROC_HTTP_ADDR=127.0.0.1:0", "PHOTOPROC_ADMIN_ADDR=127.0.0.1:0",
		"PHOTOPROC_ALLOW_PRIVATE_URLS=true", "PHOTOPROC_LOG_FORMAT=json",
	}
	if o.workers != "" {
		env = append(env, "PHOTOPROC_WORKERS="+o.workers)
	}
	d, err := startDaemon(o.bin, env)
	if err != nil {
		return err
	}
	defer d.kill()

	// Throughput: everything queued at once.
	ids, err := insertPhotos(ctx, db, photoURLs, o.n)
	if err != nil {
		return err
	}
	start := time.Now()
	if err := d.process(ids); err != nil {
		return err
	}
	failed, err := waitDone(ctx, db, ids)
	if err != nil {
		return err
	}
	took := time.Since(start)
	for reason, n := range failed {
		fmt.Printf("failed: %d photos: %s\n", n, reason)
	}
	if len(failed) > 0 && !o.mix {
		return errors.New("photos failed")
	}
	rate := float64(len(ids)) / took.Seconds()
	fmt.Printf("throughput: %d photos in %.2f s = %.1f photos/s, %.0f %% of the CPU-bound limit\n",
		len(ids), took.Seconds(), rate, 100*rate/limit)

	// Latency: one photo at a time at half that rate, so that photos seldom wait for a worker.
	lat, err := latencies(ctx, db, d, photoURLs[:1], max(10, o.n/4), time.Duration(float64(time.Second)*2/rate))
	if err != nil {
		return err
	}
	fmt.Printf("latency (PUT to completed, %d photos at %.1f photos/s): p50 %.0f ms, p95 %.0f ms\n",
		len(lat), rate/2, ms(pct(lat, 0.50)), ms(pct(lat, 0.95)))

	usage, err := d.stop()
	if err != nil {
		return err
	}
	total := len(ids) + len(lat)
	perPhoto := usage.cpu / time.Duration(total)
	fmt.Printf("daemon: %.1f ms CPU per photo (everything: API, broker, database, download, thumbnail; %.1f ms of it in the kernel) = %.2f× the thumbnail alone, peak RSS %.0f MB\n",
		ms(perPhoto), ms(usage.sys/time.Duration(total)), float64(perPhoto)/float64(cpu), float64(usage.maxRSS)/(1<<20))
	return nil
}

// thumbnailCPU is the CPU time of one thumbnail of file made by `photoproc thumbnail`: the
// median of three measurements, each from a process making n of them and one making one
// (cpucost.PerItem).
func thumbnailCPU(bin, file string, n int) (time.Duration, error) {
	dir, err := os.MkdirTemp("", "benche2e-cpu")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(dir)
	files, err := cpucost.Copies(file, dir, n)
	if err != nil {
		return 0, err
	}
	var cpus []time.Duration
	for range 3 {
		cpu, _, err := cpucost.PerItem(dir, files, func(out string, files []string) *exec.Cmd {
			// One file at a time, as bench-compare measures it.
			return exec.Command(bin, append([]string{"thumbnail", "-j", "1", "-o", out}, files...)...)
		})
		if err != nil {
			return 0, err
		}
		cpus = append(cpus, cpu)
	}
	slices.Sort(cpus)
	return cpus[1], nil
}

func createDatabase(ctx context.Context, adminURI, name string) (*pgx.Conn, string, func(), error) {
	u, err := url.Parse(adminURI)
	if err != nil {
		return nil, "", nil, err
	}
	u.Path = "/" + name
	admin, err := pgx.Connect(ctx, adminURI)
	if err != nil {
		return nil, "", nil, err
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close(ctx)
		return nil, "", nil, err
	}
	db, err := pgx.Connect(ctx, u.String())
	drop := func() {
		// Also when ctx was cancelled by an interrupt.
		ctx := context.WithoutCancel(ctx)
		if db != nil {
			db.Close(ctx)
		}
		if _, err := admin.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			fmt.Fprintln(os.Stderr, "drop database:", err)
		}
		admin.Close(ctx)
	}
	if err != nil {
		drop()
		return nil, "", nil, err
	}
	return db, u.String(), drop, nil
}

func deleteQueues(uri string, cfg queue.Config) {
	conn, err := amqp.Dial(uri)
	if err != nil {
		fmt.Fprintln(os.Stderr, "delete queues:", err)
		return
	}
	defer conn.Close()
	ch, err := conn.Channel()
	if err != nil {
		return
	}
	for _, q := range queue.QueueNames(cfg) {
		_, _ = ch.QueueDelete(q, false, false, false)
	}
}

// servePhotos serves photos[i] at /i from this process, and returns how to stop and the URLs.
func servePhotos(photos [][]byte) (func(), []string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	var urls []string
	mux := http.NewServeMux()
	for i, p := range photos {
		path := fmt.Sprintf("/%d", i)
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(p) })
		urls = append(urls, "http://"+ln.Addr().String()+path)
	}
	srv := &http.Server{Handler: mux}
	go func() { _ = srv.Serve(ln) }()
	return func() { srv.Close() }, urls, nil
}

// servePython writes photos[i] as files into a folder of work and serves them with
// `python3 -m http.server`, as tools/seed-consumer.sh serves the seed's photos, so
// that the two halves of that comparison download alike (and the server's CPU weighs on both).
func servePython(work string, photos [][]byte) (func(), []string, error) {
	dir, err := os.MkdirTemp(work, "served")
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	var urls []string
	for i, p := range photos {
		name := fmt.Sprintf("%d.jpg", i)
		if err := os.WriteFile(filepath.Join(dir, name), p, 0o644); err != nil {
			return nil, nil, err
		}
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d/%s", port, name))
	}
	cmd := exec.Command("python3", "-m", "http.server", "--bind", "127.0.0.1", fmt.Sprint(port), "-d", dir)
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	stop := func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(urls[0])
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return stop, urls, nil
			}
		}
		if time.Now().After(deadline) {
			stop()
			return nil, nil, fmt.Errorf("python3 -m http.server did not serve %s within 10 s: %v", urls[0], err)
		}
	}
}

// mixOf returns photo, photo enlarged to 24 MP, and two PNG bombs.
func mixOf(photo []byte) ([][]byte, error) {
	jpg24, err := testphotos.Enlarge(photo, 6000, 4000)
	if err != nil {
		return nil, err
	}
	var zeros bytes.Buffer
	if err := png.Encode(&zeros, image.NewGray(image.Rect(0, 0, 7000, 7000))); err != nil {
		return nil, err
	}
	// The bomb: a 1x1 PNG whose header then says 30000x30000.
	var bomb bytes.Buffer
	if err := png.Encode(&bomb, image.NewGray(image.Rect(0, 0, 1, 1))); err != nil {
		return nil, err
	}
	b := bomb.Bytes()
	const ihdr = 8
	binary.BigEndian.PutUint32(b[ihdr+8:], 30000)
	binary.BigEndian.PutUint32(b[ihdr+12:], 30000)
	binary.BigEndian.PutUint32(b[ihdr+8+13:], crc32.ChecksumIEEE(b[ihdr+4:ihdr+8+13]))
	fmt.Printf("mix: the photo, a 24 MP JPEG (%d bytes), a 900 MP PNG bomb (%d bytes), a 49 MP PNG of zeros (%d bytes)\n",
		len(jpg24), len(b), zeros.Len())
	return [][]byte{photo, jpg24, b, zeros.Bytes()}, nil
}

func insertPhotos(ctx context.Context, db *pgx.Conn, urls []string, n int) ([]uuid.UUID, error) {
	rows, err := db.Query(ctx, "INSERT INTO photos (url) SELECT ($1::text[])[1 + i % cardinality($1::text[])] FROM generate_series(0, $2 - 1) i RETURNING uuid", urls, n)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
}

// waitDone polls until every photo of ids is completed or failed, and returns the failures
// counted by reason.
func waitDone(ctx context.Context, db *pgx.Conn, ids []uuid.UUID) (map[string]int, error) {
	deadline := time.Now().Add(10 * time.Minute)
	for time.Now().Before(deadline) {
		var settled int
		err := db.QueryRow(ctx, `SELECT count(*) FROM photos WHERE uuid = ANY($1) AND status IN ('completed', 'failed')`, ids).Scan(&settled)
		if err != nil {
			return nil, err
		}
		if settled == len(ids) {
			rows, err := db.Query(ctx, `SELECT failure_reason, count(*) FROM photos WHERE uuid = ANY($1) AND status = 'failed' GROUP BY 1`, ids)
			if err != nil {
				return nil, err
			}
			failed := map[string]int{}
			var reason string
			var n int
			_, err = pgx.ForEachRow(rows, []any{&reason, &n}, func() error { failed[reason] = n; return nil })
			return failed, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
	return nil, errors.New("photos not done within 10 minutes")
}

func latencies(ctx context.Context, db *pgx.Conn, d *daemon, photoURLs []string, n int, every time.Duration) ([]time.Duration, error) {
	ids, err := insertPhotos(ctx, db, photoURLs, n)
	if err != nil {
		return nil, err
	}
	sent := make(map[uuid.UUID]time.Time, n)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for _, id := range ids {
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-tick.C:
		}
		sent[id] = time.Now()
		if err := d.process([]uuid.UUID{id}); err != nil {
			return nil, err
		}
	}
	if failed, err := waitDone(ctx, db, ids); err != nil || len(failed) > 0 {
		return nil, errors.Join(err, fmt.Errorf("failed: %v", failed))
	}
	rows, err := db.Query(ctx, "SELECT uuid, updated_at FROM photos WHERE uuid = ANY($1)", ids)
	if err != nil {
		return nil, err
	}
	var lat []time.Duration
	var id uuid.UUID
	var done time.Time
	_, err = pgx.ForEachRow(rows, []any{&id, &done}, func() error {
		lat = append(lat, done.Sub(sent[id]))
		return nil
	})
	return lat, err
}

func pct(ds []time.Duration, p float64) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, int(p*float64(len(s))))]
}

// daemon is a running `photoproc serve`.
type daemon struct {
	cmd  *exec.Cmd
	api  string
	logs *bytes.Buffer
	done chan error
}

func startDaemon(bin string, env []string) (*daemon, error) {
	d := &daemon{cmd: exec.Command(bin, "serve"), logs: &bytes.Buffer{}, done: make(chan error, 1)}
	d.cmd.Env = append(os.Environ(), env...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := d.cmd.Start(); err != nil {
		return nil, err
	}
	started := make(chan [2]string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			d.logs.Write(append(sc.Bytes(), '\n'))
			var line struct{ Msg, HTTP, Admin string }
			if json.Unmarshal(sc.Bytes(), &line) == nil && line.Msg == "started" {
				started <- [2]string{line.HTTP, line.Admin}
			}
		}
		d.done <- d.cmd.Wait()
	}()
	var admin string
	select {
	case addrs := <-started:
		d.api, admin = addrs[0], addrs[1]
	case err := <-d.done:
		return nil, fmt.Errorf("photoproc serve exited: %v\n%s", err, d.logs)
	case <-time.After(30 * time.Second):
		d.kill()
		return nil, errors.New("photoproc serve did not start within 30 s")
	}
	// Ready once connected to Postgres and RabbitMQ.
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if resp, err := http.Get("http://" + admin + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return d, nil
			}
		}
	}
	d.kill()
	return nil, errors.New("photoproc serve not ready within 30 s")
}

func (d *daemon) process(ids []uuid.UUID) error {
	for chunk := range slices.Chunk(ids, 1000) {
		body, _ := json.Marshal(chunk)
		req, _ := http.NewRequest(http.MethodPut, "http://"+d.api+"/photos/process", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		msg, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("PUT /photos/process: %s: %s", resp.Status, strings.TrimSpace(string(msg)))
		}
	}
	return nil
}

type usage struct {
	cpu, sys time.Duration // sys: the part spent in the kernel
	maxRSS   int64         // bytes
}

// stop sends SIGTERM, waits for the exit and returns what the process used.
func (d *daemon) stop() (usage, error) {
	_ = d.cmd.Process.Signal(syscall.SIGTERM)
	if err := <-d.done; err != nil {
		return usage{}, fmt.Errorf("photoproc serve: %v\n%s", err, d.logs)
	}
	ru, _ := d.cmd.ProcessState.SysUsage().(*syscall.Rusage)
	u := usage{cpu: d.cmd.ProcessState.UserTime() + d.cmd.ProcessState.SystemTime(), sys: d.cmd.ProcessState.SystemTime()}
	if ru != nil {
		u.maxRSS = ru.Maxrss << 10 // Linux reports KiB
	}
	return u, nil
}

// kill ends the daemon if it still runs, and waits for it to be gone, so that it cannot
// declare its queues again after they are deleted.
func (d *daemon) kill() {
	if d.cmd.ProcessState == nil {
		_ = d.cmd.Process.Kill()
		<-d.done
	}
}

func randomHex() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
