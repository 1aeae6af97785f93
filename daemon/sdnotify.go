package daemon

import (
	"net"
	"os"
)

// sdNotify tells systemd about the service's state (Type=notify units): "READY=1" once
// serving, "STOPPING=1" when a stop begins, with EXTEND_TIMEOUT_USEC the time the stop may
// take. Outside systemd NOTIFY_SOCKET is unset and it does nothing.
func sdNotify(state string) error {
	path := os.Getenv("NOTIFY_SOCKET")
	if path == "" {
		return nil
	}
	if path[0] == '@' {
		path = "\x00" + path[1:] // abstract socket namespace
	}
	conn, err := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.Write([]byte(state))
	return err
}
