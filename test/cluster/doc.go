// Package cluster runs Vigie the way it is deployed when one machine is not
// enough: several vigie processes against a three-node NATS cluster, reading
// a farm of local feeds, while faults are injected; it checks that every
// expected alert is in VIGIE_ALERTS exactly once.
//
// The package holds the harness (an embedded NATS cluster, a feed farm, vigie
// subprocesses and the checks); the scenarios are its tests. See README.md.
package cluster
