package queue

import "testing"

func TestBrokerAddrHidesCredentials(t *testing.T) {
	t.Parallel()
	for uri, want := range map[string]string{
		"amqp://guest:secret@127.0.0.1:5672/": "127.0.0.1:5672/",
		"amqp://u:secret@rabbit/photos":       "rabbit:5672/photos",
		"amqps://u:secret@rabbit:5671/":       "rabbit:5671/",
		"nonsense":                            "(invalid URI)",
	} {
		if got := brokerAddr(uri); got != want {
			t.Errorf("brokerAddr(%q) = %q, want %q", uri, got, want)
		}
	}
}
