package watch

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	weftv1 "weft/v1"
)

// The tests against a real weftd read its address from WEFT_ADDRESS (Tests/interop/test_go_client.py starts
// the server and sets it); without it they are skipped.
func weftdAddress(t *testing.T) string {
	address := os.Getenv("WEFT_ADDRESS")
	if address == "" {
		t.Skip("WEFT_ADDRESS is not set: no weftd to test against")
	}
	return address
}

func dial(t *testing.T, address string) *grpc.ClientConn {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, err := grpc.DialContext(ctx, address, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		t.Fatalf("dial %s: %v", address, err)
	}
	t.Cleanup(func() { conn.Close() })
	return conn
}

// cuttingProxy forwards loopback TCP connections to a target and can drop all of them at once, as a failing
// network or a restarted load balancer would; it keeps listening, so clients can reconnect.
type cuttingProxy struct {
	listener net.Listener
	target   string
	mu       sync.Mutex
	open     []net.Conn
	accepted int
}

func startCuttingProxy(t *testing.T, target string) *cuttingProxy {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cuttingProxy{listener: listener, target: target}
	go p.serve()
	t.Cleanup(func() { listener.Close(); p.cut() })
	return p
}

func (p *cuttingProxy) serve() {
	for {
		client, err := p.listener.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.open = append(p.open, client, server)
		p.accepted++
		p.mu.Unlock()
		go func() { io.Copy(server, client); server.Close() }()
		go func() { io.Copy(client, server); client.Close() }()
	}
}

func (p *cuttingProxy) cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.open {
		c.Close()
	}
	p.open = nil
}

func (p *cuttingProxy) connections() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.accepted
}

func TestFollowResumesAfterTheConnectionDropsWithoutLosingOrRepeatingEvents(t *testing.T) {
	proxy := startCuttingProxy(t, weftdAddress(t))
	client := weftv1.NewWorkflowServiceClient(dial(t, proxy.listener.Addr().String()))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	task := func(id string, dependsOn ...string) *weftv1.TaskSpec {
		return &weftv1.TaskSpec{Id: id, Executor: "sim", Input: `{"duration_ms": 200}`, DependsOn: dependsOn}
	}
	submitted, err := client.SubmitWorkflow(ctx, &weftv1.SubmitWorkflowRequest{
		Description: "watch resume test",
		Tasks:       []*weftv1.TaskSpec{task("a"), task("b", "a"), task("c", "b")},
		Options:     &weftv1.ExecutionOptions{Cache: &weftv1.CacheOptions{Disabled: true}},
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}

	var sequences []uint64
	terminal, err := Follow(ctx, client, submitted.GetWorkflowId(), Options{ResumeDelay: 10 * time.Millisecond},
		func(ev *weftv1.WorkflowEvent) error {
			sequences = append(sequences, ev.GetSequence())
			if ev.GetSequence() == 2 {
				proxy.cut() // mid-workflow: task a has started, b and c are still to come
			}
			return nil
		})
	if err != nil {
		t.Fatalf("Follow: %v", err)
	}
	if _, ok := terminal.GetPayload().(*weftv1.WorkflowEvent_WorkflowCompleted); !ok {
		t.Fatalf("terminal event is %s, want workflow_completed", Kind(terminal))
	}
	for i, s := range sequences {
		if s != uint64(i+1) {
			t.Fatalf("sequences %v: want 1..%d", sequences, len(sequences))
		}
	}
	if sequences[len(sequences)-1] != terminal.GetSequence() {
		t.Fatalf("last delivered %d, terminal %d", sequences[len(sequences)-1], terminal.GetSequence())
	}
	if n := proxy.connections(); n < 2 {
		t.Fatalf("%d connection(s) through the proxy: the stream was not resumed on a new one", n)
	}
}

func TestFollowEndsAtOnceOnNotFound(t *testing.T) {
	client := weftv1.NewWorkflowServiceClient(dial(t, weftdAddress(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	calls := 0
	_, err := Follow(ctx, client, "wf-no-such-workflow", Options{}, func(*weftv1.WorkflowEvent) error {
		calls++
		return nil
	})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("Follow on an unknown workflow: %v, want NOT_FOUND", err)
	}
	if calls != 0 {
		t.Fatalf("%d events delivered for an unknown workflow", calls)
	}
}

func TestFollowReturnsTheHandlersErrorWithoutResuming(t *testing.T) {
	client := weftv1.NewWorkflowServiceClient(dial(t, weftdAddress(t)))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	submitted, err := client.SubmitWorkflow(ctx, &weftv1.SubmitWorkflowRequest{
		Tasks: []*weftv1.TaskSpec{{Id: "only", Executor: "sim", Input: `{"duration_ms": 50}`}},
	})
	if err != nil {
		t.Fatalf("submit: %v", err)
	}
	stop := status.Error(codes.Unavailable, "the handler's own UNAVAILABLE") // must not be taken for a dropped stream
	calls := 0
	terminal, err := Follow(ctx, client, submitted.GetWorkflowId(), Options{}, func(*weftv1.WorkflowEvent) error {
		calls++
		return stop
	})
	if err != stop || terminal != nil {
		t.Fatalf("Follow: (%v, %v), want (nil, the handler's error)", terminal, err)
	}
	if calls != 1 {
		t.Fatalf("handler called %d times, want 1 (no resume after its error)", calls)
	}
}

// gappyServer skips sequence 3. weftd never does; this stand-in exists because only a misbehaving server can
// show that Follow refuses a gap instead of silently losing an event.
type gappyServer struct {
	weftv1.UnimplementedWorkflowServiceServer
}

func (gappyServer) WatchWorkflow(req *weftv1.WatchWorkflowRequest,
	stream weftv1.WorkflowService_WatchWorkflowServer) error {
	for _, s := range []uint64{1, 2, 4} {
		if err := stream.Send(&weftv1.WorkflowEvent{Sequence: s, WorkflowId: req.GetWorkflowId()}); err != nil {
			return err
		}
	}
	return nil
}

func TestFollowRefusesASequenceGap(t *testing.T) {
	listener, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	server := grpc.NewServer()
	weftv1.RegisterWorkflowServiceServer(server, gappyServer{})
	go server.Serve(listener)
	defer server.Stop()
	client := weftv1.NewWorkflowServiceClient(dial(t, listener.Addr().String()))

	var sequences []uint64
	_, err = Follow(context.Background(), client, "wf-gappy", Options{}, func(ev *weftv1.WorkflowEvent) error {
		sequences = append(sequences, ev.GetSequence())
		return nil
	})
	if !errors.Is(err, ErrSequence) {
		t.Fatalf("Follow: %v, want ErrSequence", err)
	}
	if len(sequences) != 2 || sequences[0] != 1 || sequences[1] != 2 {
		t.Fatalf("delivered %v, want [1 2]", sequences)
	}
}
