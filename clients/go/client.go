package baton

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	pb "github.com/batonhq/baton/clients/go/batonv1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultTimeout is the deadline of a call whose context has none (calls that wait get their wait on top).
const DefaultTimeout = 10 * time.Second

// Client is a typed client for every Baton RPC. Each unary method takes the generated request, gives the call
// DefaultTimeout when ctx has no deadline, and, where repeating the call is safe, retries on UNAVAILABLE with
// backoff within the deadline (moving to the next address when it was given several).
//
// A Client is safe for concurrent use; Close it when done.
type Client struct {
	addresses []string
	dial      []grpc.DialOption
	mu        sync.Mutex
	conns     []*grpc.ClientConn
	current   int32 // index into addresses of the server in use
	closed    bool
}

// Dial makes a Client for address: host:port of any Baton replica, or a comma-separated list of them (the client
// uses the first and moves to the next in turn when a server goes away). Without options the connection is
// plaintext; give grpc.WithTransportCredentials (and any other dial options) to change that. Connections are made
// in the background: Dial does not wait for a server.
func Dial(address string, options ...grpc.DialOption) (*Client, error) {
	var addresses []string
	for _, a := range strings.Split(address, ",") {
		if a = strings.TrimSpace(a); a != "" {
			addresses = append(addresses, a)
		}
	}
	if len(addresses) == 0 {
		return nil, errors.New("baton.Dial: no address given")
	}
	if len(options) == 0 {
		options = []grpc.DialOption{grpc.WithInsecure()}
	}
	dial := append(append([]grpc.DialOption(nil), options...), grpc.WithChainUnaryInterceptor(propagateTrace))
	c := &Client{addresses: addresses, dial: dial, conns: make([]*grpc.ClientConn, len(addresses))}
	if _, err := c.connAt(0); err != nil {
		return nil, err
	}
	return c, nil
}

// Addresses are the servers this client may use, in turn.
func (c *Client) Addresses() []string { return append([]string(nil), c.addresses...) }

// Close closes every connection.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var first error
	for i, conn := range c.conns {
		if conn != nil {
			if err := conn.Close(); err != nil && first == nil {
				first = err
			}
			c.conns[i] = nil
		}
	}
	return first
}

func (c *Client) connAt(i int) (*grpc.ClientConn, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, status.Error(codes.Canceled, "baton: the client is closed")
	}
	if c.conns[i] == nil {
		conn, err := grpc.Dial(c.addresses[i], c.dial...)
		if err != nil {
			return nil, fmt.Errorf("baton: dial %s: %w", c.addresses[i], err)
		}
		c.conns[i] = conn
	}
	return c.conns[i], nil
}

// conn is the connection to the server in use, and its index for failover.
func (c *Client) conn() (*grpc.ClientConn, int, error) {
	i := int(atomic.LoadInt32(&c.current))
	conn, err := c.connAt(i)
	return conn, i, err
}

// failover moves to the next address, unless someone already moved on from server i.
func (c *Client) failover(i int) {
	if len(c.addresses) > 1 {
		atomic.CompareAndSwapInt32(&c.current, int32(i), int32((i+1)%len(c.addresses)))
	}
}

// Conn is the connection to the server in use (for calls this client does not wrap).
func (c *Client) Conn() (*grpc.ClientConn, error) {
	conn, _, err := c.conn()
	return conn, err
}

// Tasks, Workers, Queues and Schedules are the generated service clients on the server in use.
func (c *Client) Tasks() (pb.TaskServiceClient, error) {
	conn, err := c.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewTaskServiceClient(conn), nil
}

// Workers: see Tasks.
func (c *Client) Workers() (pb.WorkerServiceClient, error) {
	conn, err := c.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewWorkerServiceClient(conn), nil
}

// Queues: see Tasks.
func (c *Client) Queues() (pb.QueueServiceClient, error) {
	conn, err := c.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewQueueServiceClient(conn), nil
}

// Schedules: see Tasks.
func (c *Client) Schedules() (pb.ScheduleServiceClient, error) {
	conn, err := c.Conn()
	if err != nil {
		return nil, err
	}
	return pb.NewScheduleServiceClient(conn), nil
}
