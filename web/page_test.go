package web

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/referral-ledger/ledger/domain"
)

// draw renders page name with data as the server does.
func draw(t *testing.T, name string, data any) string {
	t.Helper()
	v, err := parseViews()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := v.pages[name].ExecuteTemplate(&b, "layout", data); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

var titleTag = regexp.MustCompile(`<title>([^<]*)</title>`)

// TestIncomingOverdueRow_VIEW1: an overdue referral's row in Incoming says
// so in words, not by colour alone: an "Overdue" marker by its reference and
// how many working days it is overdue, and the count at the top; a row that
// is not overdue has neither. The list page keeps its own title.
func TestIncomingOverdueRow_VIEW1(t *testing.T) {
	due := time.Date(2026, 2, 25, 17, 0, 0, 0, time.UTC)
	late := listItem{ID: uuid.NewString(), Reference: "7KQ4-M2XD", Status: "Made", Overdue: true, Urgent: true,
		From: "Referring Advice Centre", To: "Receiving Housing Trust", Deadline: due, DeadlineLabel: stageText(domain.StageAcknowledge),
		DaysLeft: daysLeftText(-3, true)}
	onTime := late
	onTime.ID, onTime.Reference, onTime.Overdue, onTime.Urgent, onTime.DaysLeft = uuid.NewString(), "8ZZ4-M2XD", false, false, daysLeftText(2, false)
	page := draw(t, "incoming", incomingView{layout: layout{Title: "Incoming referrals", Nav: "incoming"},
		Items: []listItem{late, onTime}, Overdue: 1, Urgent: 1})

	rows := strings.Split(page, "<tr>")
	var lateRow, onTimeRow string
	for _, r := range rows {
		switch {
		case strings.Contains(r, late.Reference):
			lateRow = r
		case strings.Contains(r, onTime.Reference):
			onTimeRow = r
		}
	}
	if !strings.Contains(lateRow, `<strong class="tag tag-overdue">Overdue</strong>`) ||
		!strings.Contains(lateRow, "Overdue by 3 working days") || !strings.Contains(lateRow, "Acknowledge by 25 February 2026") {
		t.Errorf("the overdue row does not say it is overdue in words:\n%s", lateRow)
	}
	if !strings.Contains(lateRow, "Urgent") {
		t.Errorf("the urgent row lacks its marker:\n%s", lateRow)
	}
	if onTimeRow == "" || strings.Contains(onTimeRow, "Overdue") || !strings.Contains(onTimeRow, "2 working days left") {
		t.Errorf("the row on time is marked wrongly:\n%s", onTimeRow)
	}
	if !regexp.MustCompile(`<span class="count-number">1</span> overdue`).MatchString(page) {
		t.Errorf("the overdue count is not at the top")
	}
	if m := titleTag.FindStringSubmatch(page); m == nil || !strings.HasPrefix(m[1], "Incoming referrals") {
		t.Errorf("Incoming's title = %q", m)
	}
}
