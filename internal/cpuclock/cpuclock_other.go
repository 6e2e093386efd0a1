//go:build !unix

package cpuclock

import "time"

// Supported says whether Process reads a clock here: not without getrusage.
const Supported = false

func process() time.Duration { return 0 }
