package cluster

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// Cluster is a NATS cluster of embedded servers with JetStream, each with
// its own store, on loopback ports that stay the same across restarts.
type Cluster struct {
	Name    string
	dir     string
	ports   []int // client ports
	routes  []int // cluster ports
	mu      sync.Mutex
	servers []*server.Server
}

// NewCluster prepares n nodes under dir; Start starts them.
func NewCluster(dir string, n int) (*Cluster, error) {
	c := &Cluster{Name: "vigie-test", dir: dir, servers: make([]*server.Server, n)}
	for range n {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		r, err := freePort()
		if err != nil {
			return nil, err
		}
		c.ports = append(c.ports, p)
		c.routes = append(c.routes, r)
	}
	return c, nil
}

// freePort returns a loopback port that was free a moment ago.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Size is the number of nodes.
func (c *Cluster) Size() int { return len(c.ports) }

// URLs is the client URL of every node, comma-separated, as nats.url takes it.
func (c *Cluster) URLs() string {
	var urls []string
	for _, p := range c.ports {
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", p))
	}
	return strings.Join(urls, ",")
}

// URL is the client URL of node i.
func (c *Cluster) URL(i int) string { return fmt.Sprintf("nats://127.0.0.1:%d", c.ports[i]) }

func (c *Cluster) options(i int) *server.Options {
	var routes []string
	for j, r := range c.routes {
		if j != i {
			routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", r))
		}
	}
	name := fmt.Sprintf("n%d", i+1)
	return &server.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       c.ports[i],
		JetStream:  true,
		StoreDir:   filepath.Join(c.dir, name),
		Cluster: server.ClusterOpts{
			Name: c.Name,
			Host: "127.0.0.1",
			Port: c.routes[i],
		},
		Routes: server.RoutesFromStr(strings.Join(routes, ",")),
		NoSigs: true,
		NoLog:  true,
	}
}

// Start starts every node that is not running and waits until JetStream
// has a meta leader.
func (c *Cluster) Start() error {
	for i := range c.servers {
		if err := c.StartNode(i); err != nil {
			return err
		}
	}
	return c.WaitReady(30 * time.Second)
}

// StartNode starts node i on its ports and store (a restart keeps its data).
func (c *Cluster) StartNode(i int) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.servers[i] != nil {
		return nil
	}
	s, err := server.NewServer(c.options(i))
	if err != nil {
		return fmt.Errorf("nats node %d: %w", i+1, err)
	}
	go s.Start()
	if !s.ReadyForConnections(20 * time.Second) {
		s.Shutdown()
		return fmt.Errorf("nats node %d not ready after 20s", i+1)
	}
	c.servers[i] = s
	return nil
}

// StopNode shuts node i down; its store stays for a restart.
func (c *Cluster) StopNode(i int) {
	c.mu.Lock()
	s := c.servers[i]
	c.servers[i] = nil
	c.mu.Unlock()
	if s != nil {
		s.Shutdown()
		s.WaitForShutdown()
	}
}

// Stop shuts every node down.
func (c *Cluster) Stop() {
	var wg sync.WaitGroup
	for i := range c.servers {
		wg.Go(func() { c.StopNode(i) })
	}
	wg.Wait()
}

// Running reports which nodes are up.
func (c *Cluster) Running() []bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	up := make([]bool, len(c.servers))
	for i, s := range c.servers {
		up[i] = s != nil
	}
	return up
}

// WaitReady waits until a running node is the JetStream meta leader with
// every node as a peer, and every running node is current with it.
func (c *Cluster) WaitReady(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		c.mu.Lock()
		ok, leader := true, false
		for _, s := range c.servers {
			if s == nil {
				continue
			}
			if s.JetStreamIsLeader() && len(s.JetStreamClusterPeers()) >= len(c.servers) {
				leader = true
			}
			if !s.JetStreamIsCurrent() {
				ok = false
			}
		}
		c.mu.Unlock()
		if ok && leader {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("nats cluster: no JetStream meta leader after %s", timeout)
}
