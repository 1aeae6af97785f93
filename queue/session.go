package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"

	amqp "github.com/rabbitmq/amqp091-go"
)

// session keeps one named connection to the broker open: it dials in the background, runs
// setup on every new connection before handing it out, and redials with backoff when the
// connection is lost. It does not use amqp091's own recovery: after that reconnects, delivery
// tags restart and an ack held from before would settle the wrong message.
type session struct {
	cfg   Config
	name  string
	log   *slog.Logger
	setup func(*amqp.Connection) error

	ctx    context.Context // ends when the session is closed; cancels a dial in progress
	cancel context.CancelFunc
	done   chan struct{} // closed when the loop has returned

	mu      sync.Mutex
	conn    *amqp.Connection // nil while not connected
	changed chan struct{}    // closed and replaced whenever conn changes
	blocked string           // why the broker blocks publishing on conn; empty when it does not
}

func startSession(cfg Config, name string, log *slog.Logger, setup func(*amqp.Connection) error) *session {
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{
		cfg: cfg, name: name, setup: setup,
		log:     log.With("connection", name, "broker", brokerAddr(cfg.URI)),
		ctx:     ctx,
		cancel:  cancel,
		done:    make(chan struct{}),
		changed: make(chan struct{}),
	}
	go s.loop()
	return s
}

// current returns the open connection, or nil.
func (s *session) current() *amqp.Connection {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn
}

// blockedReason says why the broker blocks publishing on the current connection, if it does.
func (s *session) blockedReason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.blocked
}

// wait returns the open connection, waiting for one until ctx ends or the session closes.
func (s *session) wait(ctx context.Context) (*amqp.Connection, error) {
	for {
		s.mu.Lock()
		conn, changed := s.conn, s.changed
		s.mu.Unlock()
		if conn != nil && !conn.IsClosed() {
			return conn, nil
		}
		select {
		case <-changed:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ctx.Done():
			return nil, ErrClosed
		}
	}
}

func (s *session) set(conn *amqp.Connection) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.conn = conn
	s.blocked = ""
	close(s.changed)
	s.changed = make(chan struct{})
}

func (s *session) setBlocked(b amqp.Blocking) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.blocked = ""
	if b.Active {
		s.blocked = b.Reason
		if s.blocked == "" {
			s.blocked = "unknown reason"
		}
	}
}

// loop connects, waits for the connection to be lost, and starts over, until the session is
// closed. It logs an outage once when it starts and once when it ends.
func (s *session) loop() {
	defer close(s.done)
	b := newBackoff(s.cfg.ReconnectMin, s.cfg.ReconnectMax)
	down, everUp := false, false
	for {
		conn, err := s.connect()
		if err != nil {
			if s.ctx.Err() != nil {
				return
			}
			if !down {
				s.log.Warn("cannot connect to the broker; will keep trying", "err", err)
				down = true
			} else {
				s.log.Debug("still cannot connect to the broker", "err", err)
			}
			if !sleep(s.ctx, nil, b.delay()) {
				return
			}
			continue
		}
		if everUp || down {
			s.log.Info("broker connection re-established")
		} else {
			s.log.Info("connected to broker")
		}
		down, everUp = false, true
		up := time.Now()
		if !s.hold(conn) {
			return
		}
		down = true
		// A connection that held for a while starts the backoff over; one the broker drops
		// at once (a flapping broker) keeps growing it, so redials never spin.
		if time.Since(up) >= s.cfg.ReconnectMax {
			b.reset()
		}
		if !sleep(s.ctx, nil, b.delay()) {
			return
		}
	}
}

// hold publishes conn and waits until it is lost (true) or the session closes (false).
func (s *session) hold(conn *amqp.Connection) bool {
	closed := conn.NotifyClose(make(chan *amqp.Error, 1))
	blocked := conn.NotifyBlocked(make(chan amqp.Blocking, 4))
	s.set(conn)
	for {
		select {
		case err := <-closed:
			s.set(nil)
			s.log.Warn("broker connection lost; reconnecting", "err", errString(err))
			return true
		case b, ok := <-blocked:
			if !ok {
				blocked = nil
				continue
			}
			s.setBlocked(b)
			if b.Active {
				s.log.Warn("broker blocks publishing", "reason", b.Reason)
			} else {
				s.log.Info("broker unblocked publishing")
			}
		case <-s.ctx.Done():
			return false
		}
	}
}

// connect dials and runs setup; a connection that fails setup is closed.
func (s *session) connect() (*amqp.Connection, error) {
	props := amqp.NewConnectionProperties()
	props.SetClientConnectionName(s.name)
	conn, err := amqp.DialConfig(s.cfg.URI, amqp.Config{
		Properties: props,
		Heartbeat:  s.cfg.Heartbeat,
		Dial:       s.dial,
	})
	if err != nil {
		return nil, fmt.Errorf("dial: %w", err)
	}
	if s.setup != nil {
		if err := s.setup(conn); err != nil {
			_ = conn.Close()
			return nil, err
		}
	}
	return conn, nil
}

// dial is amqp091's DefaultDial made cancellable by close: the deadline covers the AMQP
// handshake too, and is cleared by the library once the connection is open.
func (s *session) dial(network, addr string) (net.Conn, error) {
	d := net.Dialer{Timeout: s.cfg.DialTimeout}
	conn, err := d.DialContext(s.ctx, network, addr)
	if err != nil {
		return nil, err
	}
	if err := conn.SetDeadline(time.Now().Add(s.cfg.DialTimeout)); err != nil {
		_ = conn.Close()
		return nil, err
	}
	return conn, nil
}

// close stops reconnecting and closes the connection, waiting for the broker's close-ok until
// deadline at most.
func (s *session) close(deadline time.Time) error {
	s.cancel()
	<-s.done
	s.mu.Lock()
	conn := s.conn
	s.mu.Unlock()
	if conn == nil {
		return nil
	}
	s.set(nil)
	if conn.IsClosed() {
		return nil
	}
	if err := conn.CloseDeadline(deadline); err != nil && !errors.Is(err, amqp.ErrClosed) {
		return fmt.Errorf("close connection %s: %w", s.name, err)
	}
	return nil
}

func errString(err *amqp.Error) string {
	if err == nil {
		return "closed"
	}
	return err.Error()
}

// brokerAddr is the URI without credentials, for logs.
func brokerAddr(uri string) string {
	u, err := amqp.ParseURI(uri)
	if err != nil {
		return "(invalid URI)"
	}
	return net.JoinHostPort(u.Host, strconv.Itoa(u.Port)) + "/" + strings.TrimPrefix(u.Vhost, "/")
}
