package queue_test

import (
	"fmt"
	"os"

	"github.com/fleetkit/fleetkit/queue"
)

func Example() {
	dir, _ := os.MkdirTemp("", "queue-example")
	defer os.RemoveAll(dir)

	q, _ := queue.Open(dir, queue.Config{})
	for _, m := range []string{"a", "b", "c"} {
		q.Append([]byte(m))
	}
	recs, _ := q.Read(nil, 10)
	q.Ack(recs[2].Seq, recs[0].Seq) // out of order: b is still pending
	q.Close()

	q, _ = queue.Open(dir, queue.Config{})
	defer q.Close()
	recs, _ = q.Read(nil, 10)
	for _, r := range recs {
		fmt.Println(r.Seq, string(r.Data))
	}
	fmt.Println("pending:", q.Stats().Pending)
	// Output:
	// 2 b
	// pending: 1
}
