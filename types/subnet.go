package types

import (
	"errors"
	"fmt"
	"strings"
)

// SubnetID is a subnet's path in the tree: "/devnet" is a root, "/devnet/games"
// its child. See ARCHITECTURE §1.
type SubnetID string

// ErrInvalidSubnetID is returned by ParseSubnetID for a malformed path.
var ErrInvalidSubnetID = errors.New("types: invalid subnet ID")

// MaxNameLen is the longest name one level of a subnet ID may have.
const MaxNameLen = 32

// ParseSubnetID checks s is a well-formed subnet path: "/" followed by one or more
// names of [a-z0-9-]{1,32} separated by "/".
func ParseSubnetID(s string) (SubnetID, error) {
	if !strings.HasPrefix(s, "/") || len(s) < 2 {
		return "", fmt.Errorf("%w: %q must start with / and name a network, e.g. /devnet", ErrInvalidSubnetID, s)
	}
	for _, name := range strings.Split(s[1:], "/") {
		if err := ValidateName(name); err != nil {
			return "", fmt.Errorf("%w: %q: %v", ErrInvalidSubnetID, s, err)
		}
	}
	return SubnetID(s), nil
}

// ValidateName checks one level of a subnet path.
func ValidateName(name string) error {
	if len(name) == 0 || len(name) > MaxNameLen {
		return fmt.Errorf("name %q must be 1 to %d characters", name, MaxNameLen)
	}
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("name %q may hold only a-z, 0-9 and -", name)
		}
	}
	return nil
}

// IsRoot reports whether id has no parent.
func (id SubnetID) IsRoot() bool { return strings.Count(string(id), "/") == 1 }

// Parent returns the parent's ID, or "" for a root.
func (id SubnetID) Parent() SubnetID {
	if id.IsRoot() {
		return ""
	}
	return id[:strings.LastIndex(string(id), "/")]
}

// Name is the last element of the path.
func (id SubnetID) Name() string { return string(id[strings.LastIndex(string(id), "/")+1:]) }

// Child returns the ID of the child named name.
func (id SubnetID) Child(name string) SubnetID { return id + "/" + SubnetID(name) }

func (id SubnetID) String() string { return string(id) }

// Paths in the tree. A cross-message climbs from its source to the lowest
// common ancestor of source and destination, then descends; the gateway
// routes by these rules and clients predict the route with the same code.

// Network is the root network's name: "devnet" for /devnet/games.
func (id SubnetID) Network() string {
	s := strings.TrimPrefix(string(id), "/")
	if i := strings.IndexByte(s, '/'); i >= 0 {
		return s[:i]
	}
	return s
}

// Root is the root of id's tree: /devnet for /devnet/games.
func (id SubnetID) Root() SubnetID { return SubnetID("/" + id.Network()) }

// IsBelow reports whether id is a strict descendant of anc.
func (id SubnetID) IsBelow(anc SubnetID) bool {
	return anc != "" && strings.HasPrefix(string(id), string(anc)+"/")
}

// IsAtOrBelow reports whether id is anc or one of its descendants.
func (id SubnetID) IsAtOrBelow(anc SubnetID) bool { return id == anc || id.IsBelow(anc) }

// CommonAncestor is the lowest subnet that both id and other are at or
// below; false if they are in different networks (they share no root).
func (id SubnetID) CommonAncestor(other SubnetID) (SubnetID, bool) {
	if !strings.HasPrefix(string(id), "/") || id.Network() != other.Network() {
		return "", false
	}
	for c := id; ; c = c.Parent() {
		if other.IsAtOrBelow(c) {
			return c, true
		}
		if c.IsRoot() {
			return "", false
		}
	}
}

// NextHop is the chain a message at id moves to on its way to dst: the
// child of id on the path if dst is below id, else id's parent. It is false
// when there is no hop: dst is id, or in another network.
func (id SubnetID) NextHop(dst SubnetID) (SubnetID, bool) {
	if id == dst || id.Network() != dst.Network() {
		return "", false
	}
	if !dst.IsBelow(id) {
		if id.IsRoot() {
			return "", false
		}
		return id.Parent(), true
	}
	rest := string(dst)[len(id)+1:]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return id.Child(rest), true
}

// PathTo is every chain a message from id to dst visits, both ends
// included: up to their common ancestor, then down. Nil if they are in
// different networks.
func (id SubnetID) PathTo(dst SubnetID) []SubnetID {
	if _, ok := id.CommonAncestor(dst); !ok {
		return nil
	}
	path := []SubnetID{id}
	for c := id; c != dst; {
		next, ok := c.NextHop(dst)
		if !ok {
			return nil // only for malformed IDs
		}
		c = next
		path = append(path, c)
	}
	return path
}
