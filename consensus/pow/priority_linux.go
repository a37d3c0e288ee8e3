package pow

import (
	"runtime"
	"syscall"
)

// lowerPriority pins the calling goroutine to its OS thread and gives the
// thread the lowest CPU priority (nice 19), so mining takes only cycles
// nothing else wants: a devnet of several miners on a laptop leaves its
// consensus, RPC and the user's editor responsive, and retargeting adjusts
// the difficulty to the hash rate that is left. The goroutine must exit
// without unlocking: the Go runtime then ends the thread instead of
// handing a low-priority thread to other goroutines.
func lowerPriority() {
	runtime.LockOSThread()
	_ = syscall.Setpriority(syscall.PRIO_PROCESS, syscall.Gettid(), 19) // best effort
}
