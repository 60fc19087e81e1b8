package mqtt

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/fleetkit/fleetkit/transport"
)

func TestRecordRoundTrip(t *testing.T) {
	stored := time.Unix(1700000000, 123456789)
	msgs := []*transport.Message{
		{Topic: "fk/v1/d/tlm", Payload: []byte{}, QoS: 1},
		{Topic: "fk/v1/d/tlm", Payload: []byte("x\x00y"), ContentType: transport.ContentCBOR, QoS: 1, Retain: true,
			Expiry: 90 * time.Second, ResponseTopic: "fk/v1/d/rsp/in", CorrelationData: []byte{1, 2, 3},
			UserProperties: []transport.UserProperty{{Key: "a", Value: "1"}, {Key: "a", Value: "2"}, {Key: "", Value: ""}}},
	}
	for _, m := range msgs {
		rec := encodeRecord(nil, m, stored)
		got, gotStored, err := decodeRecord(rec)
		if err != nil {
			t.Fatal(err)
		}
		if !gotStored.Equal(stored) {
			t.Fatalf("stored %v, want %v", gotStored, stored)
		}
		if !reflect.DeepEqual(got, m) {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
		}
		// The decoded message must not alias the record.
		rec[len(rec)-1] ^= 0xff
		if len(m.Payload) > 0 && got.Payload[len(got.Payload)-1] != m.Payload[len(m.Payload)-1] {
			t.Fatal("decoded payload aliases the record buffer")
		}
	}
}

func TestRecordCorrupt(t *testing.T) {
	good := encodeRecord(nil, &transport.Message{Topic: "fk/v1/d/tlm", Payload: []byte("hello"), QoS: 1,
		UserProperties: []transport.UserProperty{{Key: "k", Value: "v"}}}, time.Unix(1, 0))
	tests := []struct {
		name string
		rec  []byte
		want string
	}{
		{"empty", nil, "shorter than the header"},
		{"version", append([]byte{9}, good[1:]...), "version 9"},
		{"flags", append([]byte{1, 0x80}, good[2:]...), "unknown flags"},
		{"truncated", good[:len(good)-2], "payload"},
		{"trailing", append(append([]byte{}, good...), 0), "trailing"},
		{"huge length", []byte{1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x0f, 'x'}, "topic at byte 9: length 4294967295 exceeds"},
	}
	for _, tt := range tests {
		_, _, err := decodeRecord(tt.rec)
		if !errors.Is(err, errRecord) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want errRecord naming %q", tt.name, err, tt.want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeRecord(nil, &transport.Message{Topic: "fk/v1/d/tlm", Payload: []byte("p"), QoS: 1}, time.Unix(5, 0)))
	f.Add(encodeRecord(nil, &transport.Message{Topic: "t", Retain: true, Expiry: time.Second, CorrelationData: []byte{1},
		UserProperties: []transport.UserProperty{{Key: "k", Value: "v"}}}, time.Unix(0, 0)))
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, rec []byte) {
		m, stored, err := decodeRecord(rec)
		if err != nil {
			if !errors.Is(err, errRecord) {
				t.Fatalf("error %v does not match errRecord", err)
			}
			return
		}
		again := encodeRecord(nil, m, stored)
		m2, stored2, err := decodeRecord(again)
		if err != nil || !reflect.DeepEqual(m, m2) || !stored.Equal(stored2) {
			t.Fatalf("re-encoding a decoded record changed it: %v", err)
		}
	})
}
