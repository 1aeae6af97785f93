// Package testkit is what the tests of every package share, so that it exists once: a logger
// on the test's output (Logger), a log destination for assertions (Buffer), waiting for an
// outcome with a deadline (Eventually, Receive), HTTP requests and their checks (Request, Do,
// Response), and the rule that tests needing services skip under -short (NeedServices).
//
// It imports none of photoproc's packages, so that any test can use it, the internal tests of
// a package included. What belongs to one service lives beside that service's package:
// store/storetest (a Postgres database per test), queue/queuetest (RabbitMQ queues per test, a
// publisher) and thumbstore/s3test (an S3 server). It is for tests only.
package testkit
