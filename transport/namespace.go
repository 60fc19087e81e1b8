package transport

import "strings"

// Namespace is the root of every fleetkit topic. The version level lets a fleet run two wire
// versions side by side during a migration.
const Namespace = "fk/v1"

// Kinds: the second level under a device, naming the capability a topic belongs to.
const (
	KindTwin      = "twin"     // fk/v1/{device}/twin/{name}/{op}
	KindCommand   = "cmd"      // fk/v1/{device}/cmd/{...}
	KindTelemetry = "tlm"      // fk/v1/{device}/tlm
	KindOTA       = "ota"      // fk/v1/{device}/ota/{...}
	KindPresence  = "presence" // fk/v1/{device}/presence
	KindRPC       = "rpc"      // fk/v1/{device}/rpc/{method}: device-to-cloud requests
	KindResponse  = "rsp"      // fk/v1/{device}/rsp/{client}: a client's response inbox
)

// ProvisioningDevice is the reserved device level under which provisioning runs (fk/v1/prov/...),
// before a device has an identity. No device may be called this.
const ProvisioningDevice = "prov"

// MaxDeviceIDLength bounds a device ID, in bytes.
const MaxDeviceIDLength = 128

// ValidateDeviceID checks a device ID: 1 to 128 bytes of ASCII letters, digits and `-_.:@`, not
// starting with `_` (reserved for fleetkit), and not the reserved name "prov". These rules
// keep an ID one topic level with no wildcard, so a device can never address another's topics.
func ValidateDeviceID(id string) error {
	if id == "" {
		return &TopicError{id, -1, "device ID must not be empty"}
	}
	if len(id) > MaxDeviceIDLength {
		return &TopicError{id, -1, "device ID longer than 128 bytes"}
	}
	if id == ProvisioningDevice {
		return &TopicError{id, -1, "device ID \"prov\" is reserved"}
	}
	if id[0] == '_' {
		return &TopicError{id, 0, "device IDs starting with '_' are reserved"}
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-' || c == '_' || c == '.' || c == ':' || c == '@':
		default:
			return &TopicError{id, i, "device ID may contain only ASCII letters, digits and -_.:@"}
		}
	}
	return nil
}

// DevicePrefix returns "fk/v1/{device}/", the prefix every topic of device starts with.
func DevicePrefix(device string) string {
	return Namespace + "/" + device + "/"
}

// DeviceTopic builds fk/v1/{device}/{kind}/{rest...}. device must satisfy ValidateDeviceID and
// the other levels must not contain '/', '+' or '#' (ParseTopic checks topics that arrive; check
// IDs where they enter your system). Pass "+" as device to build a filter over all devices.
func DeviceTopic(device, kind string, rest ...string) string {
	n := len(Namespace) + len(device) + len(kind) + 2
	for _, r := range rest {
		n += len(r) + 1
	}
	var b strings.Builder
	b.Grow(n)
	b.WriteString(Namespace)
	b.WriteByte('/')
	b.WriteString(device)
	b.WriteByte('/')
	b.WriteString(kind)
	for _, r := range rest {
		b.WriteByte('/')
		b.WriteString(r)
	}
	return b.String()
}

// Topic is a parsed fleetkit topic: fk/v1/{Device}/{Kind}[/{Rest}].
type Topic struct {
	Device string
	Kind   string
	// Rest is everything after the kind level, without the leading '/'; "" if none.
	Rest string
}

// String rebuilds the topic name.
func (t Topic) String() string {
	if t.Rest == "" {
		return DeviceTopic(t.Device, t.Kind)
	}
	return DeviceTopic(t.Device, t.Kind, t.Rest)
}

// Levels splits Rest into its levels (nil if Rest is empty).
func (t Topic) Levels() []string {
	if t.Rest == "" {
		return nil
	}
	return strings.Split(t.Rest, "/")
}

// ParseTopic parses a topic name in fleetkit's namespace. It fails with a *TopicError (matching
// ErrInvalidTopic) when the topic is not a valid name, is outside fk/v1, or has an invalid device ID
// or an empty kind. The provisioning tree parses with Device == ProvisioningDevice.
func ParseTopic(topic string) (Topic, error) {
	if err := ValidateTopic(topic); err != nil {
		return Topic{}, err
	}
	if !strings.HasPrefix(topic, Namespace+"/") {
		return Topic{}, &TopicError{topic, 0, "not in the " + Namespace + "/ namespace"}
	}
	rest := topic[len(Namespace)+1:]
	dev, rest, ok := strings.Cut(rest, "/")
	if dev != ProvisioningDevice {
		if err := ValidateDeviceID(dev); err != nil {
			return Topic{}, &TopicError{topic, len(Namespace) + 1, err.(*TopicError).Rule}
		}
	}
	if !ok || rest == "" {
		return Topic{}, &TopicError{topic, -1, "missing kind level after the device"}
	}
	kind, rest, _ := strings.Cut(rest, "/")
	if kind == "" {
		return Topic{}, &TopicError{topic, len(topic) - len(rest) - 1, "empty kind level"}
	}
	return Topic{Device: dev, Kind: kind, Rest: rest}, nil
}

// Identity is who a connection authenticated as, for authorization.
type Identity struct {
	// ID is the device ID (for a device) or a service name (for the cloud).
	ID string
	// Cloud identities may publish and subscribe anywhere, including shared subscriptions.
	Cloud bool
}

// Action is what an identity wants to do with a topic.
type Action int

const (
	// ActionPublish: publish to a topic name.
	ActionPublish Action = iota
	// ActionSubscribe: subscribe to a topic filter.
	ActionSubscribe
)

// Authorize is the namespace rule every broker adapter enforces: a cloud identity may use any valid
// topic or filter; a device identity only topics and filters under its own fk/v1/{device}/ prefix
// (no shared subscriptions, no wildcard reaching outside the prefix). It returns nil, a *TopicError
// (ErrInvalidTopic) for malformed input, or an error matching ErrNotAuthorized.
func Authorize(id Identity, act Action, topic string) error {
	var err error
	if act == ActionSubscribe {
		err = ValidateFilter(topic)
	} else {
		err = ValidateTopic(topic)
	}
	if err != nil {
		return err
	}
	if id.Cloud {
		return nil
	}
	if ValidateDeviceID(id.ID) != nil || !strings.HasPrefix(topic, DevicePrefix(id.ID)) {
		return &AuthError{Identity: id.ID, Topic: topic, Action: act}
	}
	return nil
}

// AuthError says which identity was refused which topic. It matches ErrNotAuthorized.
type AuthError struct {
	Identity string
	Topic    string
	Action   Action
}

func (e *AuthError) Error() string {
	verb := "publish to"
	if e.Action == ActionSubscribe {
		verb = "subscribe to"
	}
	return "transport: not authorized: device " + quote(e.Identity) + " may not " + verb + " " + quote(e.Topic) +
		" (devices are confined to " + Namespace + "/{device}/)"
}

// Is reports whether target is ErrNotAuthorized.
func (e *AuthError) Is(target error) bool { return target == ErrNotAuthorized }
