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
