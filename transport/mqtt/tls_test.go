package mqtt

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/broker"
	"github.com/fleetkit/fleetkit/internal/mosquittotest"
	"github.com/fleetkit/fleetkit/transport"
)

// testPKI is a throwaway CA with a server certificate for 127.0.0.1 and client certificates
// naming fleetkit identities (the pki package will issue these for real).
type testPKI struct {
	ca     *x509.Certificate
	caKey  *ecdsa.PrivateKey
	pool   *x509.CertPool
	server tls.Certificate
	serial int64
}

func newTestPKI(t *testing.T) *testPKI {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fleetkit test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	p := &testPKI{ca: ca, caKey: key, pool: x509.NewCertPool(), serial: 1}
	p.pool.AddCert(ca)
	p.server = p.issue(t, "broker", nil, []net.IP{net.ParseIP("127.0.0.1")}, x509.ExtKeyUsageServerAuth)
	return p
}

func (p *testPKI) issue(t *testing.T, cn string, uris []*url.URL, ips []net.IP, usage x509.ExtKeyUsage) tls.Certificate {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	p.serial++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.serial), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{usage},
		URIs: uris, IPAddresses: ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func (p *testPKI) device(t *testing.T, id string) tls.Certificate {
	u, _ := url.Parse(broker.DeviceURIPrefix + id)
	return p.issue(t, id, []*url.URL{u}, nil, x509.ExtKeyUsageClientAuth)
}

func (p *testPKI) writePEM(t *testing.T, dir, name string, c tls.Certificate) (certFile, keyFile string) {
	t.Helper()
	certFile, keyFile = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key")
	kd, _ := x509.MarshalECPrivateKey(c.PrivateKey.(*ecdsa.PrivateKey))
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: c.Certificate[0]}), 0o600)
	os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kd}), 0o600)
	return certFile, keyFile
}

func connectWith(t *testing.T, cfg Config) (*Client, error) {
	t.Helper()
	cfg.Backoff = fastBackoff
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return c, c.AwaitConnection(ctx)
}

// TestMTLSEmbeddedBroker: the identity comes from the client certificate; a device may publish
// only under its own prefix; a client without a certificate, or with one from another CA, cannot
// connect.
func TestMTLSEmbeddedBroker(t *testing.T) {
	p := newTestPKI(t)
	b, err := broker.New(broker.Config{
		TLS:     &tls.Config{Certificates: []tls.Certificate{p.server}, ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: p.pool},
		TLSOnly: true,
		Auth:    broker.CertificateIdentity{},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer b.Close()

	cert := p.device(t, "meter-9")
	c, err := connectWith(t, Config{Servers: []string{b.TLSURL()}, ClientID: "meter-9",
		TLS: &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{cert}}})
	if err != nil {
		t.Fatalf("mTLS connect: %v", err)
	}
	ctx := context.Background()
	if err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/meter-9/tlm", Payload: []byte("x"), QoS: 1}); err != nil {
		t.Fatalf("publish under own prefix: %v", err)
	}
	if err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/meter-8/tlm", QoS: 1}); !errors.Is(err, transport.ErrNotAuthorized) {
		t.Fatalf("publish as another device over mTLS: %v", err)
	}

	// No client certificate: the TLS handshake or the CONNECT fails.
	if _, err := connectWith(t, Config{Servers: []string{b.TLSURL()}, ClientID: "anon", TLS: &tls.Config{RootCAs: p.pool}}); err == nil {
		t.Fatal("a client without a certificate connected")
	}
	// A certificate from another CA.
	other := newTestPKI(t)
	if _, err := connectWith(t, Config{Servers: []string{b.TLSURL()}, ClientID: "meter-9",
		TLS: &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{other.device(t, "meter-9")}}}); err == nil {
		t.Fatal("a certificate from an unknown CA was accepted")
	}
	// The client refuses a server it cannot verify.
	if _, err := connectWith(t, Config{Servers: []string{b.TLSURL()}, ClientID: "meter-9",
		TLS: &tls.Config{RootCAs: other.pool, Certificates: []tls.Certificate{cert}}}); err == nil {
		t.Fatal("client accepted a server certificate from an untrusted CA")
	}
}

// TestMTLSMosquitto: Mosquitto with require_certificate accepts fleetkit's mTLS client.
func TestMTLSMosquitto(t *testing.T) {
	p := newTestPKI(t)
	dir := t.TempDir()
	caFile := filepath.Join(dir, "ca.crt")
	os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.ca.Raw}), 0o600)
	certFile, keyFile := p.writePEM(t, dir, "server", p.server)
	m := mosquittotest.Start(t, mosquittotest.WithTLS(mosquittotest.TLS{
		CAFile: caFile, CertFile: certFile, KeyFile: keyFile, RequireCertificate: true, UseIdentityAsUsername: true,
	}))
	cert := p.device(t, "meter-9")
	c, err := connectWith(t, Config{Servers: []string{m.TLSURL()}, ClientID: "meter-9",
		TLS: &tls.Config{RootCAs: p.pool, Certificates: []tls.Certificate{cert}}})
	if err != nil {
		t.Fatalf("mTLS connect to Mosquitto: %v\n%s", err, m.Log())
	}
	got := make(chan []byte, 1)
	ctx := context.Background()
	if _, err := c.Subscribe(ctx, "fk/v1/meter-9/cmd", 1, func(m *transport.Message) { got <- m.Payload }); err != nil {
		t.Fatal(err)
	}
	if err := c.Publish(ctx, &transport.Message{Topic: "fk/v1/meter-9/cmd", Payload: []byte("over tls"), QoS: 1}); err != nil {
		t.Fatal(err)
	}
	select {
	case p := <-got:
		if string(p) != "over tls" {
			t.Fatalf("got %q", p)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no message over TLS")
	}
	if _, err := connectWith(t, Config{Servers: []string{m.TLSURL()}, ClientID: "anon", TLS: &tls.Config{RootCAs: p.pool}}); err == nil {
		t.Fatal("Mosquitto accepted a client without a certificate")
	}
}
