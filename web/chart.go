package web

import (
	"bytes"
	"html/template"
	"math"
	"strconv"
)

// A bar chart drawn on the server as inline SVG: no script, and no style
// attribute (the CSP's style-src 'self' forbids them), only presentation
// attributes. Its accessible name and description are its title and desc
// (role="img", aria-labelledby); the page puts the same numbers in a table
// beneath it and says what they show in words.

// chartValue is one value a chart draws: a number, a suppressed one
// (disclosure control: unknown, never drawn as zero) or a missing one
// (nothing to take it from, such as a median of no referrals).
type chartValue struct {
	N          float64
	Suppressed bool
	Missing    bool
}

// known reports whether v has a number to draw.
func (v chartValue) known() bool { return !v.Suppressed && !v.Missing }

// chartSeries is one measure across the chart's categories.
type chartSeries struct {
	Label  string
	Fill   string // the bars' colour
	Values []chartValue
}

// chart is a grouped bar chart: one group of bars per category (month),
// one bar per series.
type chart struct {
	ID         string // prefix of the ids inside the SVG; unique on the page
	Title      string // the accessible name
	Desc       string // the accessible description: what it shows, in words
	Categories []string
	Series     []chartSeries
	Max        float64 // the axis's top; 0 takes it from the data
	Percent    bool    // tick labels end in %
}

// The chart's drawing area, in SVG user units (the SVG scales to its box).
const (
	chartWidth   = 640.0
	chartHeight  = 300.0
	chartLeft    = 48.0 // room for the tick labels
	chartRight   = 8.0
	chartTop     = 12.0
	chartBottom  = 44.0 // room for the category labels
	chartPlotTop = chartTop
	chartBaseY   = chartHeight - chartBottom
	chartPlotH   = chartBaseY - chartPlotTop
	chartPlotW   = chartWidth - chartLeft - chartRight
	chartMaxBar  = 48.0 // the widest bar, so one month's bars stay bars
)

// seriesFills are the bars' colours in series order: GOV.UK's blue,
// purple, green, brown and grey, each at least 3:1 against white.
var seriesFills = []string{"#1d70b8", "#912b88", "#00703c", "#6f3c00", "#505a5f"}

// chartBar is a bar as drawn.
type chartBar struct {
	X, Y, W, H float64
	Fill       string
}

// chartMark marks a value with no bar: S for suppressed, – for missing.
type chartMark struct {
	X, Y float64
	Text string
}

// chartTick is a horizontal grid line with its label.
type chartTick struct {
	Y     float64
	Label string
}

// chartLabel is a category's label under its group of bars: Line2 (a
// year) is drawn beneath Line1 when set.
type chartLabel struct {
	X            float64
	Line1, Line2 string
}

// chartLayout is a chart's geometry, ready for the SVG template.
type chartLayout struct {
	ID, Title, Desc string
	Width, Height   float64
	Left, Right     float64
	BaseY           float64
	Max             float64
	Ticks           []chartTick
	Bars            []chartBar
	Marks           []chartMark
	Labels          []chartLabel
}

// niceMax returns the top of an axis showing values up to v, and its
// step: a step of 1, 2 or 5 times a power of ten, at most five steps. An
// axis with nothing on it (v ≤ 0) goes from 0 to 5.
func niceMax(v float64) (top, step float64) {
	if v <= 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 5, 1
	}
	pow := math.Pow(10, math.Floor(math.Log10(v/5)))
	for _, f := range []float64{1, 2, 5, 10} {
		step = f * pow
		if v/step <= 5 {
			break
		}
	}
	if step < 1 {
		step = 1 // counts and days: whole-number ticks
	}
	return math.Ceil(v/step-1e-9) * step, step
}

// layout computes the chart's geometry: the axis from 0 to Max (or the
// data's nice maximum), a bar for every known value, a mark for every
// suppressed or missing one.
func (c chart) layout() chartLayout {
	l := chartLayout{ID: c.ID, Title: c.Title, Desc: c.Desc, Width: chartWidth, Height: chartHeight,
		Left: chartLeft, Right: chartWidth - chartRight, BaseY: chartBaseY}
	top, step := c.Max, 0.0
	if top <= 0 {
		highest := 0.0
		for _, s := range c.Series {
			for _, v := range s.Values {
				if v.known() && v.N > highest {
					highest = v.N
				}
			}
		}
		top, step = niceMax(highest)
	} else {
		step = top / 4
	}
	l.Max = top
	for y := 0.0; y <= top+1e-9; y += step {
		label := chartNumber(y)
		if c.Percent {
			label += "%"
		}
		l.Ticks = append(l.Ticks, chartTick{Y: chartRound(chartBaseY - y/top*chartPlotH), Label: label})
	}
	n := len(c.Categories)
	if n == 0 {
		return l
	}
	group := chartPlotW / float64(n)
	inner := group * 0.8
	barW := inner
	if len(c.Series) > 0 {
		barW = math.Min(inner/float64(len(c.Series)), chartMaxBar)
		inner = barW * float64(len(c.Series))
	}
	for i, cat := range c.Categories {
		x0 := chartLeft + float64(i)*group + (group-inner)/2
		line1, line2 := cat, ""
		if y, m, ok := splitMonthLabel(cat); ok {
			line1 = m
			if i == 0 || m == "Jan" {
				line2 = y
			}
		}
		l.Labels = append(l.Labels, chartLabel{X: chartRound(chartLeft + float64(i)*group + group/2), Line1: line1, Line2: line2})
		for s, series := range c.Series {
			if i >= len(series.Values) {
				continue
			}
			v := series.Values[i]
			x := x0 + float64(s)*barW
			switch {
			case v.Suppressed:
				l.Marks = append(l.Marks, chartMark{X: chartRound(x + barW/2), Y: chartBaseY - 4, Text: "S"})
			case v.Missing:
				l.Marks = append(l.Marks, chartMark{X: chartRound(x + barW/2), Y: chartBaseY - 4, Text: "–"})
			case v.N > 0:
				h := math.Min(v.N, top) / top * chartPlotH
				fill := series.Fill
				if fill == "" {
					fill = seriesFills[s%len(seriesFills)]
				}
				l.Bars = append(l.Bars, chartBar{X: chartRound(x + 1), Y: chartRound(chartBaseY - h), W: chartRound(math.Max(barW-2, 1)), H: chartRound(h), Fill: fill})
			}
		}
	}
	return l
}

// splitMonthLabel splits a category written "Jan 2026" into its year and
// month.
func splitMonthLabel(s string) (year, month string, ok bool) {
	if len(s) == len("Jan 2026") && s[3] == ' ' {
		return s[4:], s[:3], true
	}
	return "", "", false
}

func chartRound(v float64) float64 { return math.Round(v*10) / 10 }

// chartNumber writes a number without a needless decimal point: 5, 2.5.
func chartNumber(v float64) string { return strconv.FormatFloat(chartRound(v), 'f', -1, 64) }

var chartTemplate = template.Must(template.New("chart").Funcs(template.FuncMap{"num": chartNumber}).Parse(
	`<svg class="chart" viewBox="0 0 {{num .Width}} {{num .Height}}" role="img" aria-labelledby="{{.ID}}-title {{.ID}}-desc" focusable="false" xmlns="http://www.w3.org/2000/svg">` +
		`<title id="{{.ID}}-title">{{.Title}}</title>` +
		`<desc id="{{.ID}}-desc">{{.Desc}}</desc>` +
		`{{range .Ticks}}<line x1="{{num $.Left}}" x2="{{num $.Right}}" y1="{{num .Y}}" y2="{{num .Y}}" stroke="#b1b4b6" stroke-width="1"/>` +
		`<text x="{{num $.Left}}" dx="-6" y="{{num .Y}}" dy="4" text-anchor="end" font-size="14" fill="#0b0c0c">{{.Label}}</text>{{end}}` +
		`{{range .Bars}}<rect x="{{num .X}}" y="{{num .Y}}" width="{{num .W}}" height="{{num .H}}" fill="{{.Fill}}"/>{{end}}` +
		`{{range .Marks}}<text x="{{num .X}}" y="{{num .Y}}" text-anchor="middle" font-size="14" font-weight="700" fill="#0b0c0c">{{.Text}}</text>{{end}}` +
		`<line x1="{{num .Left}}" x2="{{num .Right}}" y1="{{num .BaseY}}" y2="{{num .BaseY}}" stroke="#0b0c0c" stroke-width="2"/>` +
		`{{range .Labels}}<text x="{{num .X}}" y="{{num $.BaseY}}" dy="20" text-anchor="middle" font-size="14" fill="#0b0c0c">{{.Line1}}</text>` +
		`{{if .Line2}}<text x="{{num .X}}" y="{{num $.BaseY}}" dy="38" text-anchor="middle" font-size="14" fill="#0b0c0c">{{.Line2}}</text>{{end}}{{end}}` +
		`</svg>`))

// SVG draws the chart.
func (c chart) SVG() (template.HTML, error) {
	var b bytes.Buffer
	if err := chartTemplate.Execute(&b, c.layout()); err != nil {
		return "", err
	}
	return template.HTML(b.String()), nil // #nosec G203 -- written by html/template, which escaped every value
}
