// Package queuetest gives tests of any package their own RabbitMQ topology and a few broker
// tools: a queue.Config with unique names that are deleted after the test, a connected
// Publisher, basic.get, raw publishing, and force-closing connections with rabbitmqctl. Each
// of them skips the test under -short (testkit.NeedServices). It is for tests only.
package queuetest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"

	"github.com/photoproc/photoproc/internal/testkit"
	"github.com/photoproc/photoproc/queue"
	"github.com/photoproc/photoproc/retry"
)

// EnvURI names the variable that points tests at a broker.
const EnvURI = "PHOTOPROC_TEST_AMQP_URI"

// DefaultURI is the broker tests use when EnvURI is not set.
const DefaultURI = "amqp://guest:guest@127.0.0.1:5672/"

// URI is the broker tests use: $PHOTOPROC_TEST_AMQP_URI or DefaultURI.
func URI() string {
	if u := os.Getenv(EnvURI); u != "" {
		return u
	}
	return DefaultURI
}

// Config returns a queue.Config for one test: a unique queue name "photoproc-test-<random>"
// (also the ConnectionName, so CloseConnections can find this test's connections), short
// retry delays (Retry's) and reconnect backoffs, and a cleanup that deletes every queue of its
// topology. A test that changes the names (Queue, RetryDelays) calls Cleanup with the changed
// config too.
func Config(tb testing.TB) queue.Config {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	name := "photoproc-test-" + random()
	cfg := queue.DefaultConfig()
	cfg.URI = URI()
	cfg.Queue = name
	cfg.ConnectionName = name
	cfg.RetryDelays = Retry().Delays()
	cfg.ReconnectMin = 20 * time.Millisecond
	cfg.ReconnectMax = 200 * time.Millisecond
	cfg.DialTimeout = 5 * time.Second
	Cleanup(tb, cfg)
	return cfg
}

// Retry is the retry policy of tests: retries come back within 20 to 200ms.
func Retry() retry.Policy {
	p := retry.DefaultPolicy()
	p.Backoff, p.BackoffMax = 20*time.Millisecond, 200*time.Millisecond
	return p
}

// Cleanup deletes every queue in queue.QueueNames(cfg) when the test ends.
func Cleanup(tb testing.TB, cfg queue.Config) {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	names := queue.QueueNames(cfg)
	tb.Cleanup(func() {
		withChannel(tb, cfg.URI, func(ch *amqp.Channel) {
			for _, n := range names {
				if _, err := ch.QueueDelete(n, false, false, false); err != nil {
					tb.Errorf("delete queue %s: %v", n, err)
					return
				}
			}
		})
	})
}

// Publisher returns a queue.Publisher on cfg that has connected, logging to log (nothing when
// nil), and closes it when the test ends. A close that fails is not reported: the tests of
// queue.Publisher itself check that.
func Publisher(tb testing.TB, cfg queue.Config, log *slog.Logger) *queue.Publisher {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	pub, err := queue.NewPublisher(cfg, log)
	if err != nil {
		tb.Fatalf("queuetest: new publisher: %v", err)
	}
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), testkit.WaitTimeout)
		defer cancel()
		_ = pub.Close(ctx)
	})
	ctx, cancel := context.WithTimeout(tb.Context(), testkit.WaitTimeout)
	defer cancel()
	if err := pub.WaitConnected(ctx); err != nil {
		tb.Fatalf("queuetest: the publisher did not connect to %s: %v", redact(cfg.URI), err)
	}
	return pub
}

// Get takes one message off a queue (basic.get with auto-ack), for assertions.
func Get(tb testing.TB, uri, queueName string) (amqp.Delivery, bool) {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	var (
		d  amqp.Delivery
		ok bool
	)
	withChannel(tb, uri, func(ch *amqp.Channel) {
		var err error
		if d, ok, err = ch.Get(queueName, true); err != nil {
			tb.Fatalf("get from %s: %v", queueName, err)
		}
	})
	return d, ok
}

// Publish sends msg to a queue through the default exchange and waits for the broker's
// confirm, bypassing queue.Publisher: for messages it would never send.
func Publish(tb testing.TB, uri, queueName string, msg amqp.Publishing) {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	withChannel(tb, uri, func(ch *amqp.Channel) {
		if err := ch.Confirm(false); err != nil {
			tb.Fatalf("confirm mode: %v", err)
		}
		dc, err := ch.PublishWithDeferredConfirm("", queueName, true, false, msg)
		if err != nil {
			tb.Fatalf("publish to %s: %v", queueName, err)
		}
		if !dc.Wait() {
			tb.Fatalf("publish to %s: nacked", queueName)
		}
	})
}

// Declare declares a durable queue with args, as another client (the Python service) would.
func Declare(tb testing.TB, uri, queueName string, args amqp.Table) {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	withChannel(tb, uri, func(ch *amqp.Channel) {
		if _, err := ch.QueueDeclare(queueName, true, false, false, false, args); err != nil {
			tb.Fatalf("declare %s: %v", queueName, err)
		}
	})
}

// CloseConnections force-closes, from the broker's side, every connection whose client
// connection name starts with namePrefix, using rabbitmqctl (no management plugin needed). It
// fails the test if there is none.
func CloseConnections(tb testing.TB, namePrefix string) {
	tb.Helper()
	testkit.NeedServices(tb, "RabbitMQ")
	out, err := exec.Command("rabbitmqctl", "-q", "list_connections", "pid", "client_properties").CombinedOutput()
	if err != nil {
		tb.Fatalf("rabbitmqctl list_connections: %v\n%s", err, out)
	}
	pids := ConnectionPids(out, namePrefix)
	if len(pids) == 0 {
		tb.Fatalf("no broker connection named %q*; rabbitmqctl listed:\n%s", namePrefix, out)
	}
	for _, pid := range pids {
		if out, err := exec.Command("rabbitmqctl", "close_connection", pid, "closed by test "+tb.Name()).CombinedOutput(); err != nil {
			tb.Fatalf("rabbitmqctl close_connection %s: %v\n%s", pid, err, out)
		}
	}
}

var connectionName = regexp.MustCompile(`\{"connection_name","((?:[^"\\]|\\.)*)"\}`)

// ConnectionPids picks, from `rabbitmqctl -q list_connections pid client_properties` output,
// the pids of connections whose name starts with namePrefix.
func ConnectionPids(listing []byte, namePrefix string) []string {
	var pids []string
	sc := bufio.NewScanner(bytes.NewReader(listing))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		pid, props, ok := strings.Cut(sc.Text(), "\t")
		if !ok || !strings.HasPrefix(pid, "<") {
			continue // the header line
		}
		m := connectionName.FindStringSubmatch(props)
		if m != nil && strings.HasPrefix(m[1], namePrefix) {
			pids = append(pids, pid)
		}
	}
	return pids
}

func withChannel(tb testing.TB, uri string, f func(*amqp.Channel)) {
	tb.Helper()
	conn, err := amqp.Dial(uri)
	if err != nil {
		tb.Fatalf("dial %s: %v", redact(uri), err)
	}
	defer func() { _ = conn.Close() }()
	ch, err := conn.Channel()
	if err != nil {
		tb.Fatalf("open channel: %v", err)
	}
	f(ch)
}

func redact(uri string) string {
	u, err := amqp.ParseURI(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	return u.Host
}

func random() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Purge deletes the messages ready in a queue and returns how many there were.
func Purge(tb testing.TB, uri, queueName string) int {
	tb.Helper()
	var n int
	withChannel(tb, uri, func(ch *amqp.Channel) {
		var err error
		if n, err = ch.QueuePurge(queueName, false); err != nil {
			tb.Fatalf("purge %s: %v", queueName, err)
		}
	})
	return n
}
