package store

import (
	"context"
	"strconv"
	"strings"

	"github.com/fleetkit/fleetkit/twin"
)

// Op is a predicate operator.
type Op uint8

// Operators. The zero Op is invalid.
const (
	OpEqual     Op = iota + 1 // the path holds a value equal to Value (twin.Equal: numbers by value)
	OpNotEqual                // the path is absent or holds a value not equal to Value
	OpExists                  // the path is present (any value)
	OpNotExists               // the path is absent
)

// String returns the operator as written in a query: =, !=, exists, !exists.
func (o Op) String() string {
	switch o {
	case OpEqual:
		return "="
	case OpNotEqual:
		return "!="
	case OpExists:
		return "exists"
	case OpNotExists:
		return "!exists"
	}
	return "op(" + strconv.Itoa(int(o)) + ")"
}

// Predicate tests one path of one section of a twin.
type Predicate struct {
	Section twin.Section // twin.Desired or twin.Reported
	Path    twin.Path    // at least one key, e.g. twin.Path{"firmware", "version"}
	Op      Op
	Value   twin.Value // compared with OpEqual and OpNotEqual; ignored otherwise
}

// LabelPredicate tests one label of the device. Labels come from the caller (Query.Labels).
type LabelPredicate struct {
	Key   string
	Op    Op
	Value string // compared with OpEqual and OpNotEqual
}

// Query selects twins: all predicates must hold. A zero Query selects every twin.
type Query struct {
	// Name restricts the query to twins of this name when NameSet is set ("" is the unnamed twin).
	Name    string
	NameSet bool
	// Where are the predicates on the twin's state.
	Where []Predicate
	// Labels are predicates on device labels, looked up with LabelsOf.
	Labels []LabelPredicate
	// LabelsOf returns a device's labels; required when Labels is not empty. The store calls it
	// once per candidate device.
	LabelsOf func(device string) map[string]string
	// Limit caps the number of records returned (0: no cap).
	Limit int
}

// Querier is the optional fleet-query capability of a Store (Memory and pgstore have it).
type Querier interface {
	// Query returns the records matching q, sorted by device and name.
	Query(ctx context.Context, q Query) ([]Record, error)
}

// QueryError names the predicate that is malformed and why.
type QueryError struct {
	Field string // e.g. "Where[2].Path"
	Rule  string
}

// Error describes the failure: what, where and the rule broken.
func (e *QueryError) Error() string { return "store: invalid query: " + e.Field + ": " + e.Rule }

// Unwrap returns ErrInvalidQuery.
func (e *QueryError) Unwrap() error { return ErrInvalidQuery }

// Validate checks the query's predicates and returns a *QueryError naming the first bad one.
func (q *Query) Validate() error {
	if q.NameSet {
		if err := ValidateKey("d", q.Name); err != nil {
			return &QueryError{Field: "Name", Rule: err.Error()}
		}
	}
	if q.Limit < 0 {
		return &QueryError{Field: "Limit", Rule: "must not be negative"}
	}
	for i, p := range q.Where {
		f := "Where[" + strconv.Itoa(i) + "]"
		if p.Section != twin.Desired && p.Section != twin.Reported {
			return &QueryError{Field: f + ".Section", Rule: "must be twin.Desired or twin.Reported"}
		}
		if len(p.Path) == 0 {
			return &QueryError{Field: f + ".Path", Rule: "must have at least one key"}
		}
		for j, k := range p.Path {
			if k == "" {
				return &QueryError{Field: f + ".Path[" + strconv.Itoa(j) + "]", Rule: "empty key"}
			}
		}
		if p.Op < OpEqual || p.Op > OpNotExists {
			return &QueryError{Field: f + ".Op", Rule: "unknown operator " + p.Op.String()}
		}
	}
	for i, l := range q.Labels {
		f := "Labels[" + strconv.Itoa(i) + "]"
		if l.Key == "" {
			return &QueryError{Field: f + ".Key", Rule: "must not be empty"}
		}
		if l.Op < OpEqual || l.Op > OpNotExists {
			return &QueryError{Field: f + ".Op", Rule: "unknown operator " + l.Op.String()}
		}
	}
	if len(q.Labels) > 0 && q.LabelsOf == nil {
		return &QueryError{Field: "LabelsOf", Rule: "required when Labels are given"}
	}
	return nil
}

// MatchState reports whether doc satisfies every state predicate of q (q.Where).
func (q *Query) MatchState(doc *twin.Document) bool {
	for _, p := range q.Where {
		v, ok := doc.State(p.Section).Get(p.Path...)
		var hold bool
		switch p.Op {
		case OpEqual:
			hold = ok && twin.Equal(v, p.Value)
		case OpNotEqual:
			hold = !ok || !twin.Equal(v, p.Value)
		case OpExists:
			hold = ok
		case OpNotExists:
			hold = !ok
		}
		if !hold {
			return false
		}
	}
	return true
}

// MatchLabels reports whether labels satisfy every label predicate of q (q.Labels).
func (q *Query) MatchLabels(labels map[string]string) bool {
	for _, l := range q.Labels {
		v, ok := labels[l.Key]
		var hold bool
		switch l.Op {
		case OpEqual:
			hold = ok && v == l.Value
		case OpNotEqual:
			hold = !ok || v != l.Value
		case OpExists:
			hold = ok
		case OpNotExists:
			hold = !ok
		}
		if !hold {
			return false
		}
	}
	return true
}

// String renders the query for logs, e.g. `reported.firmware.version != "2.1.0"`.
func (q *Query) String() string {
	var parts []string
	if q.NameSet {
		parts = append(parts, "name = "+strconv.Quote(q.Name))
	}
	for _, p := range q.Where {
		s := p.Section.String() + "." + p.Path.String() + " " + p.Op.String()
		if p.Op == OpEqual || p.Op == OpNotEqual {
			s += " " + p.Value.String()
		}
		parts = append(parts, s)
	}
	for _, l := range q.Labels {
		s := "label " + l.Key + " " + l.Op.String()
		if l.Op == OpEqual || l.Op == OpNotEqual {
			s += " " + strconv.Quote(l.Value)
		}
		parts = append(parts, s)
	}
	if len(parts) == 0 {
		return "all twins"
	}
	return strings.Join(parts, " and ")
}
