// Package cpuclock reads the CPU time the process has used, for the
// benchmarks: on a machine shared with other work, CPU time says what the
// work cost where wall time also says how long it waited for a core.
package cpuclock

import "time"

// Process is the CPU time, user and system, the process has used so far;
// 0 where it cannot be read (see Supported).
func Process() time.Duration { return process() }
