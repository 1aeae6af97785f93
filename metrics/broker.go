package metrics

import "github.com/prometheus/client_golang/prometheus"

// RegisterBroker exports whether one broker connection (publish or consume) is up.
func RegisterBroker(reg prometheus.Registerer, connection string, connected func() bool) {
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name:        "photoproc_broker_connected",
		Help:        "1 while the RabbitMQ connection is up, 0 while it is being re-established.",
		ConstLabels: prometheus.Labels{"connection": connection},
	}, func() float64 {
		if connected() {
			return 1
		}
		return 0
	}))
}
