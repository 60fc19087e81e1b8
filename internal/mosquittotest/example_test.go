package mosquittotest_test

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"

	"github.com/fleetkit/fleetkit/internal/mosquittotest"
)

// exampleTB is the minimum of testing.TB an Example can provide.
type exampleTB struct {
	testing.TB
	dir      string
	cleanups []func()
}

func (e *exampleTB) Helper()                   {}
func (e *exampleTB) Cleanup(f func())          { e.cleanups = append(e.cleanups, f) }
func (e *exampleTB) TempDir() string           { return e.dir }
func (e *exampleTB) Failed() bool              { return false }
func (e *exampleTB) Logf(string, ...any)       {}
func (e *exampleTB) Errorf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (e *exampleTB) Fatalf(f string, a ...any) { panic(fmt.Sprintf(f, a...)) }
func (e *exampleTB) Skipf(f string, a ...any)  { panic(fmt.Sprintf(f, a...)) }
func (e *exampleTB) close() {
	for i := len(e.cleanups) - 1; i >= 0; i-- {
		e.cleanups[i]()
	}
}

// Example starts Mosquitto on a free port; in a test pass the *testing.T instead.
func Example() {
	tmp, err := os.MkdirTemp("", "mosquittotest-example-")
	if err != nil {
		panic(err)
	}
	defer os.RemoveAll(tmp)
	t := &exampleTB{dir: tmp}
	defer t.close()

	srv := mosquittotest.Start(t, mosquittotest.MaxQueued(50000))
	c, err := net.Dial("tcp", srv.Addr())
	if err != nil {
		panic(err)
	}
	c.Close()
	fmt.Println(strings.HasPrefix(srv.URL(), "mqtt://127.0.0.1:"), srv.Running())
	srv.Stop()
	fmt.Println(srv.Running())
	// Output:
	// true true
	// false
}
