package e2e

import (
	"bufio"
	wire "encoding/binary"
	"errors"
	"io"
	"net"
	"sync"
	"testing"
)

// tcpProxy forwards connections to a service and can cut them all, refusing new ones until
// restored, or stall them, forwarding nothing (and closing nothing) until restored: the
// service is gone, or silent, for the daemon, deterministically, while the shared service
// itself is untouched for every other test. In front of RabbitMQ (newAMQPProxy) it can also
// tell the clients that the broker blocks publishing, as a resource alarm does.
type tcpProxy struct {
	ln     net.Listener
	target string
	amqp   bool // parse the broker's frames, so that notifications can be slipped in between

	mu      sync.Mutex
	flowing *sync.Cond // signalled when stalled or down changes
	down    bool
	stalled bool
	blocked bool // the clients are told the broker blocks publishing
	conns   map[net.Conn]bool
	clients map[*amqpClient]bool
	wg      sync.WaitGroup
}

func newTCPProxy(t *testing.T, target string) *tcpProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tcpProxy{ln: ln, target: target, conns: map[net.Conn]bool{}, clients: map[*amqpClient]bool{}}
	p.flowing = sync.NewCond(&p.mu)
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		_ = ln.Close()
		p.cut()
		p.wg.Wait()
	})
	return p
}

// newAMQPProxy is a tcpProxy in front of a RabbitMQ broker that can block and unblock.
func newAMQPProxy(t *testing.T, target string) *tcpProxy {
	p := newTCPProxy(t, target)
	p.mu.Lock()
	p.amqp = true
	p.mu.Unlock()
	return p
}

// addr is the host:port to point the daemon at.
func (p *tcpProxy) addr() string { return p.ln.Addr().String() }

// cut closes every forwarded connection and refuses new ones until restore.
func (p *tcpProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down = true
	p.flowing.Broadcast()
	for c := range p.conns {
		_ = c.Close()
	}
}

// stall stops forwarding anything, in both directions and on new connections too, until
// restore: like a network that drops every packet, with no reset to tell either side.
func (p *tcpProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.stalled = true
}

// restore forwards new connections again, and what a stall held back.
func (p *tcpProxy) restore() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.down, p.stalled = false, false
	p.flowing.Broadcast()
}

// block tells every client connection, and every new one, that the broker blocks publishing
// (connection.blocked, as RabbitMQ sends during a memory or disk alarm); unblock lifts it
// (connection.unblocked). Only for newAMQPProxy.
func (p *tcpProxy) block(reason string) { p.setBlocked(true, blockedFrame(reason)) }

func (p *tcpProxy) unblock() { p.setBlocked(false, unblockedFrame()) }

func (p *tcpProxy) setBlocked(on bool, frame []byte) {
	p.mu.Lock()
	p.blocked = on
	clients := make([]*amqpClient, 0, len(p.clients))
	for c := range p.clients {
		clients = append(clients, c)
	}
	p.mu.Unlock()
	for _, c := range clients {
		c.notify(frame)
	}
}

func (p *tcpProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.mu.Lock()
		down, amqp := p.down, p.amqp
		p.mu.Unlock()
		if down {
			_ = c.Close()
			continue
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c, up) {
			continue
		}
		p.wg.Add(2)
		if amqp {
			client := &amqpClient{conn: c}
			p.mu.Lock()
			p.clients[client] = true
			p.mu.Unlock()
			go p.pipeFrames(client, up)
		} else {
			go p.pipe(c, up)
		}
		go p.pipe(up, c)
	}
}

// track registers a forwarded pair, unless a cut came meanwhile.
func (p *tcpProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.down {
		for _, c := range conns {
			_ = c.Close()
		}
		return false
	}
	for _, c := range conns {
		p.conns[c] = true
	}
	return true
}

// pipe copies until either side closes, then closes both; it holds what it read while the
// proxy is stalled.
func (p *tcpProxy) pipe(dst, src net.Conn) {
	defer p.wg.Done()
	defer p.forget(dst, src)
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitFlowing() {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitFlowing waits while the proxy is stalled; false once it is cut.
func (p *tcpProxy) waitFlowing() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.stalled && !p.down {
		p.flowing.Wait()
	}
	return !p.down
}

func (p *tcpProxy) forget(conns ...net.Conn) {
	for _, c := range conns {
		_ = c.Close()
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range conns {
		delete(p.conns, c)
	}
}

// amqpClient is the client side of one proxied AMQP connection. The broker's frames and the
// notifications slipped in between them are written whole, one at a time.
type amqpClient struct {
	conn net.Conn
	mu   sync.Mutex
	open bool // the broker sent connection.open-ok: the client takes notifications
}

func (c *amqpClient) notify(frame []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.open {
		_, _ = c.conn.Write(frame)
	}
}

// pipeFrames copies the broker's frames to the client whole, so that a notification is
// written only between two of them; a client connection that opens while the broker is
// blocked is told at once, as RabbitMQ would.
func (p *tcpProxy) pipeFrames(client *amqpClient, up net.Conn) {
	defer p.wg.Done()
	defer func() {
		p.mu.Lock()
		delete(p.clients, client)
		p.mu.Unlock()
		p.forget(client.conn, up)
	}()
	r := bufio.NewReader(up)
	for {
		frame, err := readFrame(r)
		if err != nil || !p.waitFlowing() {
			return
		}
		client.mu.Lock()
		_, err = client.conn.Write(frame)
		if err == nil && !client.open && isOpenOK(frame) {
			client.open = true
			p.mu.Lock()
			blocked := p.blocked
			p.mu.Unlock()
			if blocked {
				_, err = client.conn.Write(blockedFrame("alarm raised by the test proxy"))
			}
		}
		client.mu.Unlock()
		if err != nil {
			return
		}
	}
}

// readFrame reads one AMQP 0-9-1 frame: type, channel, size, payload, frame end (0xCE).
func readFrame(r *bufio.Reader) ([]byte, error) {
	head := make([]byte, 7)
	if _, err := io.ReadFull(r, head); err != nil {
		return nil, err
	}
	frame := make([]byte, 7+int(wire.BigEndian.Uint32(head[3:]))+1)
	copy(frame, head)
	if _, err := io.ReadFull(r, frame[7:]); err != nil {
		return nil, err
	}
	if frame[len(frame)-1] != 0xCE {
		return nil, errors.New("AMQP frame without its end octet")
	}
	return frame, nil
}

// isOpenOK reports whether frame is connection.open-ok (class 10, method 41) on channel 0.
func isOpenOK(frame []byte) bool {
	return frame[0] == 1 && wire.BigEndian.Uint16(frame[1:]) == 0 && len(frame) >= 12 &&
		wire.BigEndian.Uint16(frame[7:]) == 10 && wire.BigEndian.Uint16(frame[9:]) == 41
}

// blockedFrame is connection.blocked (class 10, method 60) with reason.
func blockedFrame(reason string) []byte {
	payload := wire.BigEndian.AppendUint16(nil, 10)
	payload = wire.BigEndian.AppendUint16(payload, 60)
	payload = append(payload, byte(len(reason)))
	return methodFrame(append(payload, reason...))
}

// unblockedFrame is connection.unblocked (class 10, method 61).
func unblockedFrame() []byte {
	payload := wire.BigEndian.AppendUint16(nil, 10)
	return methodFrame(wire.BigEndian.AppendUint16(payload, 61))
}

func methodFrame(payload []byte) []byte {
	frame := []byte{1, 0, 0} // method frame, channel 0
	frame = wire.BigEndian.AppendUint32(frame, uint32(len(payload)))
	frame = append(frame, payload...)
	return append(frame, 0xCE)
}
