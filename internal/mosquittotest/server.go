package mosquittotest

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// DefaultBinary is where the Debian package installs Mosquitto.
const DefaultBinary = "/usr/sbin/mosquitto"

// InstallHint is the command that installs Mosquitto on Debian and Ubuntu.
const InstallHint = "sudo apt-get install -y mosquitto"

const (
	defaultMaxInflight = 100
	defaultMaxQueued   = 10000
	readyTimeout       = 10 * time.Second
	stopGrace          = 5 * time.Second
)

// TLS configures a TLS listener, each field a Mosquitto option of the same name. Files are
// PEM paths. CertFile and KeyFile are required.
type TLS struct {
	CAFile                string // cafile: CA certificates that verify client certificates
	CertFile              string // certfile: the server certificate
	KeyFile               string // keyfile: its private key
	RequireCertificate    bool   // require_certificate: clients must present a verified certificate
	UseIdentityAsUsername bool   // use_identity_as_username: the certificate CN becomes the user name
	CRLFile               string // crlfile: a certificate revocation list
}

// Option adjusts the Mosquitto configuration.
type Option func(*config)

type config struct {
	maxInflight int
	maxQueued   int
	tls         *TLS
	extra       []string
	binary      string
}

// MaxInflight sets max_inflight_messages: QoS 1 messages in flight to one client (0 means no
// limit in Mosquitto). Default 100.
func MaxInflight(n int) Option { return func(c *config) { c.maxInflight = n } }

// MaxQueued sets max_queued_messages: QoS 1 messages queued per client beyond those in flight
// (0 means no limit in Mosquitto). Default 10000.
func MaxQueued(n int) Option { return func(c *config) { c.maxQueued = n } }

// WithTLS adds a TLS listener on its own free port (see Server.TLSAddr).
func WithTLS(t TLS) Option { return func(c *config) { c.tls = &t } }

// Config appends raw lines to the generated mosquitto.conf (global options; they apply to the
// listeners defined before them, as in Mosquitto's own files).
func Config(lines ...string) Option { return func(c *config) { c.extra = append(c.extra, lines...) } }

// Binary runs another mosquitto executable instead of DefaultBinary (or the one on PATH).
func Binary(path string) Option { return func(c *config) { c.binary = path } }

// Server is one running Mosquitto process. Its methods must be called from the test goroutine.
type Server struct {
	t       testing.TB
	bin     string
	dir     string
	conf    string
	logPath string
	port    int
	tlsPort int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

// Start runs Mosquitto for the test and returns once its listeners accept connections. It
// skips the test when Mosquitto is not installed (fails it when CI=true) and fails it when
// Mosquitto does not start; the cleanup stops the process.
func Start(t testing.TB, opts ...Option) *Server {
	t.Helper()
	c := config{maxInflight: defaultMaxInflight, maxQueued: defaultMaxQueued}
	for _, o := range opts {
		o(&c)
	}
	bin, err := findBinary(c.binary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("mosquittotest: %v; CI=true, so this fails instead of skipping: install it with %q", err, InstallHint)
		}
		t.Skipf("mosquittotest: %v; install it with %q (with CI=true this fails)", err, InstallHint)
	}
	if c.tls != nil && (c.tls.CertFile == "" || c.tls.KeyFile == "") {
		t.Fatalf("mosquittotest: TLS needs CertFile and KeyFile")
	}
	s := &Server{t: t, bin: bin, dir: t.TempDir()}
	s.conf = filepath.Join(s.dir, "mosquitto.conf")
	s.logPath = filepath.Join(s.dir, "mosquitto.log")
	t.Cleanup(func() {
		s.Stop()
		if t.Failed() {
			t.Logf("mosquittotest: log of %s:\n%s", s.Addr(), s.Log())
		}
	})
	// A free port found by binding :0 can be taken by another process before Mosquitto binds
	// it; try a few times with fresh ports.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		if s.port, err = freePort(); err != nil {
			t.Fatalf("mosquittotest: %v", err)
		}
		if c.tls != nil {
			if s.tlsPort, err = freePort(); err != nil {
				t.Fatalf("mosquittotest: %v", err)
			}
		}
		if err := os.WriteFile(s.conf, []byte(s.render(c)), 0o644); err != nil {
			t.Fatalf("mosquittotest: write config: %v", err)
		}
		if lastErr = s.launch(); lastErr == nil {
			return s
		}
	}
	t.Fatalf("mosquittotest: %v\nlog:\n%s", lastErr, s.Log())
	return nil
}

func findBinary(path string) (string, error) {
	if path != "" {
		if _, err := os.Stat(path); err != nil {
			return "", fmt.Errorf("mosquitto binary %s: %w", path, err)
		}
		return path, nil
	}
	if _, err := os.Stat(DefaultBinary); err == nil {
		return DefaultBinary, nil
	}
	if p, err := exec.LookPath("mosquitto"); err == nil {
		return p, nil
	}
	return "", fmt.Errorf("mosquitto not found at %s or on PATH", DefaultBinary)
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (s *Server) render(c config) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# generated by fleetkit internal/mosquittotest")
	if os.Geteuid() == 0 {
		// Run as root, Mosquitto switches to the "mosquitto" user, which cannot write the
		// test's temporary directory; stay the current user.
		if u, err := user.Current(); err == nil {
			line("user %s", u.Username)
		}
	}
	line("persistence true")
	line("persistence_location %s/", s.dir)
	line("persistence_file mosquitto.db")
	line("log_dest file %s", s.logPath)
	line("log_type error")
	line("log_type warning")
	line("log_type notice")
	line("log_type information")
	line("connection_messages true")
	line("log_timestamp_format %%Y-%%m-%%dT%%H:%%M:%%S")
	line("allow_anonymous true")
	line("max_inflight_messages %d", c.maxInflight)
	line("max_queued_messages %d", c.maxQueued)
	line("")
	line("listener %d 127.0.0.1", s.port)
	line("set_tcp_nodelay true")
	if t := c.tls; t != nil {
		line("")
		line("listener %d 127.0.0.1", s.tlsPort)
		line("set_tcp_nodelay true")
		if t.CAFile != "" {
			line("cafile %s", t.CAFile)
		}
		line("certfile %s", t.CertFile)
		line("keyfile %s", t.KeyFile)
		line("require_certificate %t", t.RequireCertificate)
		line("use_identity_as_username %t", t.UseIdentityAsUsername)
		if t.CRLFile != "" {
			line("crlfile %s", t.CRLFile)
		}
	}
	for _, l := range c.extra {
		line("%s", l)
	}
	return b.String()
}

// launch starts the process and waits until every listener accepts connections.
func (s *Server) launch() error {
	cmd := exec.Command(s.bin, "-c", s.conf)
	out, err := os.OpenFile(filepath.Join(s.dir, "stdout.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("open stdout log: %w", err)
	}
	defer out.Close() // the child keeps its own descriptor
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		close(exited)
	}()
	s.mu.Lock()
	s.cmd, s.exited = cmd, exited
	s.mu.Unlock()

	addrs := []string{s.Addr()}
	if s.tlsPort != 0 {
		addrs = append(addrs, s.TLSAddr())
	}
	deadline := time.Now().Add(readyTimeout)
	for _, a := range addrs {
		for {
			c, err := net.DialTimeout("tcp", a, 200*time.Millisecond)
			if err == nil {
				_ = c.Close()
				break
			}
			select {
			case <-exited:
				return fmt.Errorf("mosquitto exited during startup (%v) before listening on %s", cmd.ProcessState, a)
			default:
			}
			if time.Now().After(deadline) {
				s.Kill()
				return fmt.Errorf("mosquitto not listening on %s after %v: %w", a, readyTimeout, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return nil
}

// Addr returns the plain listener's address, "127.0.0.1:port".
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// URL returns "mqtt://" + Addr().
func (s *Server) URL() string { return "mqtt://" + s.Addr() }

// TLSAddr returns the TLS listener's address, or "" without WithTLS.
func (s *Server) TLSAddr() string {
	if s.tlsPort == 0 {
		return ""
	}
	return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.tlsPort))
}

// TLSURL returns "mqtts://" + TLSAddr(), or "" without WithTLS.
func (s *Server) TLSURL() string {
	if s.tlsPort == 0 {
		return ""
	}
	return "mqtts://" + s.TLSAddr()
}

// Dir returns the server's temporary directory (configuration, log, persistence database).
func (s *Server) Dir() string { return s.dir }

// Log returns Mosquitto's log so far.
func (s *Server) Log() string {
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		return fmt.Sprintf("(no log: %v)", err)
	}
	extra, _ := os.ReadFile(filepath.Join(s.dir, "stdout.log"))
	return string(b) + string(extra)
}

// Running reports whether the process is alive.
func (s *Server) Running() bool {
	s.mu.Lock()
	exited := s.exited
	s.mu.Unlock()
	if exited == nil {
		return false
	}
	select {
	case <-exited:
		return false
	default:
		return true
	}
}

// Stop terminates Mosquitto gracefully (SIGTERM; Mosquitto saves its persistence database),
// killing it if it has not exited after a grace period. Stopping a stopped server does
// nothing.
func (s *Server) Stop() { s.signal(syscall.SIGTERM, stopGrace) }

// Kill stops Mosquitto with SIGKILL, as a crash would: unsaved state is lost.
func (s *Server) Kill() { s.signal(syscall.SIGKILL, stopGrace) }

func (s *Server) signal(sig syscall.Signal, grace time.Duration) {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	select {
	case <-exited:
		return
	default:
	}
	if err := cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		s.t.Errorf("mosquittotest: signal %v: %v", sig, err)
	}
	select {
	case <-exited:
		return
	case <-time.After(grace):
	}
	s.t.Errorf("mosquittotest: mosquitto ignored %v for %v; killing it", sig, grace)
	_ = cmd.Process.Kill()
	<-exited
}

// Restart stops Mosquitto (SIGTERM) and starts it again with the same configuration, port and
// persistence database, so persistent sessions and their queued QoS 1 messages survive. It
// fails the test if the new process does not come up.
func (s *Server) Restart() {
	s.t.Helper()
	s.Stop()
	if err := s.launch(); err != nil {
		s.t.Fatalf("mosquittotest: restart: %v\nlog:\n%s", err, s.Log())
	}
}
