package domain

import (
	"sync"
	"time"
	_ "time/tzdata" // so Europe/London resolves on machines without zoneinfo
)

// london is loaded once; time.Location is immutable once loaded.
var london = sync.OnceValue(func() *time.Location {
	loc, err := time.LoadLocation("Europe/London")
	if err != nil {
		panic("domain: Europe/London time zone unavailable: " + err.Error())
	}
	return loc
})

// London returns the Europe/London location the network's dates are in.
func London() *time.Location { return london() }

// LondonDate returns the Europe/London calendar date of t as YYYY-MM-DD.
func LondonDate(t time.Time) string { return t.In(london()).Format(DateLayout) }
