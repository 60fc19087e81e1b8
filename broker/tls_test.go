package broker

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net/url"
	"testing"
	"time"

	"github.com/eclipse/paho.golang/paho"

	"github.com/fleetkit/fleetkit/transport"
)

// testPKI is a throwaway CA issuing server and client certificates.
type testPKI struct {
	ca    *x509.Certificate
	caKey *ecdsa.PrivateKey
	pool  *x509.CertPool
	n     int64
}

func newPKI(t testing.TB) *testPKI {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return &testPKI{ca: ca, caKey: key, pool: pool, n: 1}
}

func (p *testPKI) issue(t testing.TB, cn string, uris []string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	p.n++
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(p.n), Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature,
	}
	for _, s := range uris {
		u, err := url.Parse(s)
		if err != nil {
			t.Fatal(err)
		}
		tmpl.URIs = append(tmpl.URIs, u)
	}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.DNSNames = []string{"localhost"}
	} else {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, p.ca, &key.PublicKey, p.caKey)
	if err != nil {
		t.Fatal(err)
	}
	leaf, _ := x509.ParseCertificate(der)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}
}

func TestTLSCertificateIdentity(t *testing.T) {
	pki := newPKI(t)
	b := startBroker(t, Config{
		TLSOnly: true,
		TLS: &tls.Config{
			Certificates: []tls.Certificate{pki.issue(t, "broker", nil, true)},
			ClientAuth:   tls.VerifyClientCertIfGiven,
			ClientCAs:    pki.pool,
		},
		Auth: CertificateIdentity{CommonName: true},
	})
	if b.Addr() != "" || b.URL() != "" || b.TLSURL() != "mqtts://"+b.TLSAddr() {
		t.Fatalf("Addr %q URL %q TLSURL %q", b.Addr(), b.URL(), b.TLSURL())
	}
	clientTLS := func(cert *tls.Certificate) *tls.Config {
		c := &tls.Config{RootCAs: pki.pool, ServerName: "localhost"}
		if cert != nil {
			c.Certificates = []tls.Certificate{*cert}
		}
		return c
	}
	devCert := pki.issue(t, "ignored", []string{"urn:fleetkit:device:pump-1"}, false)
	cnCert := pki.issue(t, "pump-7", nil, false)
	cloudCert := pki.issue(t, "x", []string{"urn:fleetkit:cloud:ingest"}, false)

	// The device certificate's identity owns fk/v1/pump-1/ and nothing else.
	dev, _, err := dial(t, b.TLSAddr(), clientTLS(&devCert), &paho.Connect{ClientID: "pump-1", CleanStart: true})
	if err != nil {
		t.Fatalf("device with certificate: %v", err)
	}
	if sa := dev.subscribe(t, "fk/v1/pump-1/cmd/#", 1); sa.Reasons[0] != 1 {
		t.Fatalf("SUBACK %v", sa.Reasons)
	}
	// Claiming another client ID than the certificate's device is refused.
	if _, ca, err := dial(t, b.TLSAddr(), clientTLS(&devCert), &paho.Connect{ClientID: "pump-2", CleanStart: true}); err == nil || ca.ReasonCode != 0x85 {
		t.Fatalf("device under another client ID: CONNACK %+v err %v, want 0x85", ca, err)
	}
	// Subject CN fallback.
	if _, _, err := dial(t, b.TLSAddr(), clientTLS(&cnCert), &paho.Connect{ClientID: "pump-7", CleanStart: true}); err != nil {
		t.Fatalf("CN identity: %v", err)
	}
	// The cloud certificate may subscribe anywhere.
	cloud, _, err := dial(t, b.TLSAddr(), clientTLS(&cloudCert), &paho.Connect{ClientID: "ingest-1", CleanStart: true})
	if err != nil {
		t.Fatalf("cloud certificate: %v", err)
	}
	if sa := cloud.subscribe(t, "fk/v1/+/tlm", 1); sa.Reasons[0] != 1 {
		t.Fatalf("cloud SUBACK %v", sa.Reasons)
	}
	// No certificate: refused with 0x87, whatever the user name says.
	if _, ca, err := dial(t, b.TLSAddr(), clientTLS(nil), &paho.Connect{ClientID: "pump-1", CleanStart: true,
		Username: DemoCloudUser, UsernameFlag: true}); err == nil || ca.ReasonCode != 0x87 {
		t.Fatalf("no certificate: CONNACK %+v err %v, want 0x87", ca, err)
	}
	// A certificate from another CA fails the TLS handshake.
	other := newPKI(t).issue(t, "pump-1", []string{"urn:fleetkit:device:pump-1"}, false)
	if _, _, err := dial(t, b.TLSAddr(), clientTLS(&other), &paho.Connect{ClientID: "pump-1", CleanStart: true}); err == nil {
		t.Fatal("certificate from an unknown CA accepted")
	}
}

func TestIdentityFromCertificate(t *testing.T) {
	pki := newPKI(t)
	tests := []struct {
		name  string
		cn    string
		uris  []string
		useCN bool
		want  transport.Identity
		ok    bool
	}{
		{"device URI", "x", []string{"urn:fleetkit:device:pump-1"}, false, transport.Identity{ID: "pump-1"}, true},
		{"cloud URI", "x", []string{"urn:fleetkit:cloud:ingest"}, false, transport.Identity{ID: "ingest", Cloud: true}, true},
		{"foreign URI ignored", "x", []string{"spiffe://example/x", "urn:fleetkit:device:d2"}, false, transport.Identity{ID: "d2"}, true},
		{"two identities", "x", []string{"urn:fleetkit:device:a", "urn:fleetkit:cloud:b"}, true, transport.Identity{}, false},
		{"empty device name", "x", []string{"urn:fleetkit:device:"}, true, transport.Identity{}, false},
		{"CN allowed", "pump-9", nil, true, transport.Identity{ID: "pump-9"}, true},
		{"CN not allowed", "pump-9", nil, false, transport.Identity{}, false},
		{"nothing", "", nil, true, transport.Identity{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cert := pki.issue(t, tt.cn, tt.uris, false)
			got, err := IdentityFromCertificate(cert.Leaf, tt.useCN)
			if tt.ok != (err == nil) || got != tt.want {
				t.Fatalf("= %+v, %v; want %+v ok=%v", got, err, tt.want, tt.ok)
			}
			if err != nil && !errors.Is(err, ErrNoIdentity) {
				t.Fatalf("error %v does not match ErrNoIdentity", err)
			}
		})
	}
}
