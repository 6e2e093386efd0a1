package web

import (
	"encoding/xml"
	"math"
	"strings"
	"testing"
)

// TestNiceMax: the axis's top is the data's maximum rounded up to a step
// of 1, 2 or 5 times a power of ten, in at most five steps; an empty axis
// is 0 to 5 (the statistics charts, R-STAT-1).
func TestNiceMax(t *testing.T) {
	for _, tc := range []struct{ v, top, step float64 }{
		{0, 5, 1}, {-3, 5, 1}, {math.NaN(), 5, 1}, {1, 1, 1}, {3, 3, 1}, {5, 5, 1}, {7, 8, 2}, {10, 10, 2},
		{12, 15, 5}, {25, 25, 5}, {26, 30, 10}, {95, 100, 20}, {100, 100, 20}, {101, 150, 50}, {1234, 1500, 500},
		{2.5, 3, 1},
	} {
		top, step := niceMax(tc.v)
		if top != tc.top || step != tc.step {
			t.Errorf("niceMax(%v) = %v, %v; want %v, %v", tc.v, top, step, tc.top, tc.step)
		}
		if tc.v > 0 && (top < tc.v || top/step > 5) {
			t.Errorf("niceMax(%v) = %v by %v does not hold it in five steps", tc.v, top, step)
		}
	}
}

func twoSeries(a, b []chartValue) chart {
	return chart{ID: "c", Title: "Referrals", Desc: "Made and received each month.",
		Categories: []string{"Nov 2025", "Dec 2025", "Jan 2026"},
		Series:     []chartSeries{{Label: "Made", Values: a}, {Label: "Received", Values: b}}}
}

// TestChartScale: a bar's height is its value over the axis's top times
// the plot's height, standing on the base line; bars of one group sit side
// by side in series order, coloured by series (R-STAT-1).
func TestChartScale(t *testing.T) {
	l := twoSeries([]chartValue{{N: 10}, {N: 20}, {N: 5}}, []chartValue{{N: 15}, {N: 0}, {N: 25}}).layout()
	if l.Max != 25 {
		t.Fatalf("axis top %v, want 25", l.Max)
	}
	if len(l.Bars) != 5 { // the zero draws nothing
		t.Fatalf("%d bars, want 5: %+v", len(l.Bars), l.Bars)
	}
	want := []float64{10, 15, 20, 5, 25}
	for i, b := range l.Bars {
		if h := want[i] / 25 * chartPlotH; math.Abs(b.H-h) > 0.1 || math.Abs(b.Y+b.H-chartBaseY) > 0.1 {
			t.Errorf("bar %d: y %v height %v, want height %v on %v", i, b.Y, b.H, h, chartBaseY)
		}
		if b.X < chartLeft || b.X+b.W > chartWidth-chartRight {
			t.Errorf("bar %d outside the plot: %+v", i, b)
		}
	}
	if !(l.Bars[0].X < l.Bars[1].X && l.Bars[1].X < l.Bars[2].X) {
		t.Errorf("bars out of order: %+v", l.Bars)
	}
	if l.Bars[0].Fill != seriesFills[0] || l.Bars[1].Fill != seriesFills[1] {
		t.Errorf("fills %s, %s", l.Bars[0].Fill, l.Bars[1].Fill)
	}
	if len(l.Ticks) != 6 || l.Ticks[0].Label != "0" || l.Ticks[5].Label != "25" || l.Ticks[5].Y != chartPlotTop {
		t.Errorf("ticks %+v", l.Ticks)
	}
	// Years label the first month and every January only.
	if l.Labels[0].Line2 != "2025" || l.Labels[1].Line2 != "" || l.Labels[2].Line2 != "2026" || l.Labels[1].Line1 != "Dec" {
		t.Errorf("labels %+v", l.Labels)
	}
	// A fixed axis (percentages) does not follow the data.
	p := chart{ID: "p", Categories: []string{"Jan 2026"}, Max: 100, Percent: true,
		Series: []chartSeries{{Values: []chartValue{{N: 50}}}}}.layout()
	if p.Bars[0].H != chartRound(chartPlotH/2) || p.Ticks[len(p.Ticks)-1].Label != "100%" {
		t.Errorf("percent chart: %+v %+v", p.Bars, p.Ticks)
	}
}

// TestChartSuppressed_STAT3: a suppressed value is marked S, never drawn
// as a bar of any height, and does not set the axis; a missing one is
// marked – .
func TestChartSuppressed_STAT3(t *testing.T) {
	l := twoSeries([]chartValue{{Suppressed: true}, {N: 10}, {Missing: true}}, []chartValue{{N: 5}, {Suppressed: true}, {N: 0}}).layout()
	if len(l.Bars) != 2 {
		t.Fatalf("bars %+v, want the 10 and the 5 only", l.Bars)
	}
	if l.Max != 10 {
		t.Errorf("axis top %v, want 10", l.Max)
	}
	var marks []string
	for _, m := range l.Marks {
		marks = append(marks, m.Text)
		for _, b := range l.Bars {
			if m.X > b.X && m.X < b.X+b.W {
				t.Errorf("mark %+v drawn over bar %+v", m, b)
			}
		}
	}
	if strings.Join(marks, ",") != "S,S,–" {
		t.Errorf("marks %v, want S, S, –", marks)
	}
	svg, err := twoSeries([]chartValue{{Suppressed: true}}, []chartValue{{Suppressed: true}}).SVG()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(svg), "<rect") {
		t.Errorf("suppressed values drawn as bars:\n%s", svg)
	}
}

// TestChartEmpty: no data, or no categories, still draws a valid chart
// with an axis from 0 to 5 and no bars, and no NaN anywhere (R-STAT-1).
func TestChartEmpty(t *testing.T) {
	for _, c := range []chart{
		{ID: "e", Title: "Nothing"},
		twoSeries(nil, nil),
		twoSeries([]chartValue{{}, {}, {}}, []chartValue{{}, {}, {}}),
	} {
		l := c.layout()
		if l.Max != 5 || len(l.Bars) != 0 || len(l.Ticks) != 6 {
			t.Errorf("%+v: max %v bars %d ticks %d", c, l.Max, len(l.Bars), len(l.Ticks))
		}
		svg, err := c.SVG()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(svg), "NaN") || strings.Contains(string(svg), "Inf") {
			t.Errorf("not a number in %s", svg)
		}
	}
}

// TestChartAccessibleMarkup_UI1: the SVG is well-formed, an image named by
// its title and described by its desc (role="img", aria-labelledby with
// ids that exist), escapes what it is given, and has no style attribute,
// which the CSP would block.
func TestChartAccessibleMarkup_UI1(t *testing.T) {
	c := twoSeries([]chartValue{{N: 10}, {Suppressed: true}, {N: 5}}, []chartValue{{N: 1}, {N: 2}, {N: 3}})
	c.Title = `Made & received <by> "month"`
	svg, err := c.SVG()
	if err != nil {
		t.Fatal(err)
	}
	s := string(svg)
	var doc struct {
		XMLName xml.Name
		Role    string `xml:"role,attr"`
		Labels  string `xml:"aria-labelledby,attr"`
		Title   struct {
			ID   string `xml:"id,attr"`
			Text string `xml:",chardata"`
		} `xml:"title"`
		Desc struct {
			ID   string `xml:"id,attr"`
			Text string `xml:",chardata"`
		} `xml:"desc"`
		Rects []struct{} `xml:"rect"`
	}
	if err := xml.Unmarshal([]byte(s), &doc); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, s)
	}
	if doc.XMLName.Local != "svg" || doc.Role != "img" || doc.Labels != "c-title c-desc" {
		t.Errorf("svg %s role %q aria-labelledby %q", doc.XMLName.Local, doc.Role, doc.Labels)
	}
	if doc.Title.ID != "c-title" || doc.Title.Text != c.Title || doc.Desc.ID != "c-desc" || doc.Desc.Text != c.Desc {
		t.Errorf("title %+v desc %+v", doc.Title, doc.Desc)
	}
	if len(doc.Rects) != 5 {
		t.Errorf("%d bars, want 5", len(doc.Rects))
	}
	if strings.Contains(s, "style=") || strings.Contains(s, "<script") {
		t.Errorf("style attribute or script in the chart:\n%s", s)
	}
	if strings.Contains(s, "<by>") {
		t.Errorf("the title is not escaped:\n%s", s)
	}
}

// TestChartBarWidth: bars are never wider than chartMaxBar, and a group
// stays centred on its label (R-STAT-1).
func TestChartBarWidth(t *testing.T) {
	l := chart{ID: "w", Categories: []string{"Nov 2026"}, Series: []chartSeries{{Values: []chartValue{{N: 10}}}, {Values: []chartValue{{N: 5}}}}}.layout()
	if len(l.Bars) != 2 {
		t.Fatalf("bars %+v", l.Bars)
	}
	for _, b := range l.Bars {
		if b.W > chartMaxBar {
			t.Errorf("bar %+v wider than %v", b, chartMaxBar)
		}
	}
	mid := (l.Bars[0].X - 1 + l.Bars[1].X + l.Bars[1].W + 1) / 2
	if math.Abs(mid-l.Labels[0].X) > 0.2 {
		t.Errorf("the group's middle %v is not under its label %v", mid, l.Labels[0].X)
	}
}
