// Package deploy holds the files that run Vigie in production (systemd,
// containers, Kubernetes, a NATS cluster, a Grafana dashboard). Its tests
// check them against the code: configurations load, metric names exist.
package deploy
