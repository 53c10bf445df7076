// Command weft-example submits a small workflow of `sim` tasks to a Weft server and watches it to the end,
// printing each event as one line (the `weft watch` format).
//
// Exit status: 0 when the workflow completed, 1 when it failed or was cancelled, 2 when the server could not
// be reached, refused the submission or the watch broke.
//
//	weft-example -address 127.0.0.1:50051          # address also from WEFT_ADDRESS
//	weft-example -fail                              # the last task fails for good: exit status 1
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/types/known/wrapperspb"

	weftv1 "weft/v1"
	"weft/watch"
)

func main() {
	os.Exit(run())
}

func run() int {
	defaultAddress := os.Getenv("WEFT_ADDRESS")
	if defaultAddress == "" {
		defaultAddress = "127.0.0.1:50051"
	}
	address := flag.String("address", defaultAddress, "server address HOST:PORT (env WEFT_ADDRESS)")
	timeout := flag.Duration("timeout", time.Minute, "give up when the workflow has not ended within this time")
	fail := flag.Bool("fail", false, "make the last task fail for good, so the workflow fails")
	flag.Parse()

	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	dialCtx, dialCancel := context.WithTimeout(ctx, 10*time.Second)
	defer dialCancel()
	// Plaintext HTTP/2 (h2c), as weftd serves without --tls-cert; grpc.WithTransportCredentials for TLS.
	conn, err := grpc.DialContext(dialCtx, *address, grpc.WithInsecure(), grpc.WithBlock())
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-example: cannot connect to %s: %v\n", *address, err)
		return 2
	}
	defer conn.Close()
	client := weftv1.NewWorkflowServiceClient(conn)

	submitted, err := client.SubmitWorkflow(ctx, exampleWorkflow(*fail))
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-example: submit: %v\n", err)
		return 2
	}
	id := submitted.GetWorkflowId()
	fmt.Printf("submitted workflow %s\n", id)

	terminal, err := watch.Follow(ctx, client, id, watch.Options{}, func(ev *weftv1.WorkflowEvent) error {
		fmt.Println(watch.Line(ev))
		return nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "weft-example: watch %s: %v\n", id, err)
		return 2
	}
	if _, ok := terminal.GetPayload().(*weftv1.WorkflowEvent_WorkflowCompleted); !ok {
		fmt.Printf("workflow %s did not complete: %s\n", id, watch.Kind(terminal))
		return 1
	}
	fmt.Printf("workflow %s completed\n", id)
	return 0
}

// exampleWorkflow is a diamond of four `sim` tasks (docs/executors.md): fetch, then parse and lint in parallel,
// then report. parse fails its first attempt and is retried after 100 ms; with fail, report fails for good.
func exampleWorkflow(fail bool) *weftv1.SubmitWorkflowRequest {
	reportInput := `{"duration_ms": 100, "output": "report: 2 files, 0 findings"}`
	if fail {
		reportInput = `{"duration_ms": 100, "fail_attempts": 1000, "fail_type": "ReportBroken", "retryable": false}`
	}
	sim := func(id string, complexity weftv1.Complexity, input string, dependsOn ...string) *weftv1.TaskSpec {
		return &weftv1.TaskSpec{
			Id: id, Type: "example", Complexity: complexity, Description: "Go example task " + id,
			Executor: "sim", Input: input, DependsOn: dependsOn,
		}
	}
	parse := sim("parse", weftv1.Complexity_COMPLEXITY_MEDIUM, `{"duration_ms": 250, "fail_attempts": 1}`, "fetch")
	parse.RetryPolicy = &weftv1.RetryPolicy{MaxAttempts: 3, InitialIntervalMs: 100}
	return &weftv1.SubmitWorkflowRequest{
		Description: "Go client example: fetch, parse and lint, report",
		Tasks: []*weftv1.TaskSpec{
			sim("fetch", weftv1.Complexity_COMPLEXITY_SIMPLE, `{"duration_ms": 150}`),
			parse,
			sim("lint", weftv1.Complexity_COMPLEXITY_SIMPLE, `{"duration_ms": 150}`, "fetch"),
			sim("report", weftv1.Complexity_COMPLEXITY_SIMPLE, reportInput, "parse", "lint"),
		},
		Options: &weftv1.ExecutionOptions{
			FailurePolicy: weftv1.FailurePolicy_FAILURE_POLICY_FAIL_FAST,
			// Every run executes every task, rather than reusing an earlier run's results from the cache.
			Cache: &weftv1.CacheOptions{Disabled: true},
			// Results in the events (the server's default; set here to show a wrapper field).
			StreamResults: wrapperspb.Bool(true),
		},
	}
}
