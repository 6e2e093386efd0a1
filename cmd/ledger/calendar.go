package main

import (
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/referral-ledger/ledger/calendar"
	"github.com/referral-ledger/ledger/config"
)

// maxWorkingDays bounds calendar deadline's count: the days are counted one
// by one, so a mistyped count would run for minutes (R-OPS-4).
const maxWorkingDays = 10000

// calendarCommand lets a coordinator check a due date or a year's bank
// holidays against the calendar the ledger uses (R-TIME-1..5).
func calendarCommand(configFile *string, stdout io.Writer) *cobra.Command {
	var region string
	cal := func() (*calendar.Calendar, error) {
		cfg, err := loadConfig(*configFile)
		if err != nil {
			return nil, err
		}
		n := cfg.Network
		if region != "" {
			n.Region = config.Region(region)
		}
		return openCalendar(n)
	}
	root := &cobra.Command{Use: "calendar", Short: "Working days and bank holidays of the configured region"}
	root.PersistentFlags().StringVar(&region, "region", "", "england-and-wales, scotland or northern-ireland (default: network.region)")

	var from string
	var days int
	var countFrom bool
	deadline := &cobra.Command{
		Use:   "deadline --from YYYY-MM-DD --working-days N",
		Short: "Print the date N working days from a date, then when that day ends (Europe/London)",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := cal()
			if err != nil {
				return err
			}
			start, err := calendar.ParseDate(from)
			if err != nil {
				return fmt.Errorf("--from: %w", err)
			}
			if days < 1 || days > maxWorkingDays {
				return fmt.Errorf("--working-days: must be from 1 to %d (about 40 years)", maxWorkingDays)
			}
			due := c.AddWorkingDays(start, days, countFrom)
			how := "counting from the day after"
			if countFrom {
				how = "counting the day itself if it is a working day"
			}
			_, err = fmt.Fprintf(stdout, "%s\t%s, ends %s; %d working days from %s, %s (%s)\n",
				due, due.Weekday(), c.EndOfDay(due).UTC().Format(time.RFC3339), days, start, how, c.Region())
			return err
		},
	}
	deadline.Flags().StringVar(&from, "from", "", "start date, YYYY-MM-DD (required)")
	deadline.Flags().IntVar(&days, "working-days", 0, "number of working days (required)")
	deadline.Flags().BoolVar(&countFrom, "count-from", true, "count the start day itself when it is a working day, as for acknowledgement (R-TIME-1); false counts from the day after (R-TIME-2)")
	_ = deadline.MarkFlagRequired("from")
	_ = deadline.MarkFlagRequired("working-days")

	var year int
	holidays := &cobra.Command{
		Use:   "holidays --year YYYY",
		Short: "List a year's bank holidays",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			c, err := cal()
			if err != nil {
				return err
			}
			for _, h := range c.Holidays(year) {
				if _, err := fmt.Fprintf(stdout, "%s\t%s\t%s\n", h.Date, h.Date.Weekday(), h.Name); err != nil {
					return err
				}
			}
			return nil
		},
	}
	holidays.Flags().IntVar(&year, "year", 0, "the year (required)")
	_ = holidays.MarkFlagRequired("year")
	root.AddCommand(deadline, holidays)
	return root
}
