//go:build !linux

package pow

// lowerPriority does nothing where threads have no priority of their own
// the runtime can set; mining then competes with the rest of the node.
func lowerPriority() {}
