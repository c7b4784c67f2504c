package listing

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/itlightning/dateparse"
)

// months names the months in the languages Vigie reads, as pages write
// them in dates (Russian in the genitive too), with common abbreviations;
// index 0 is January.
var months = map[string][][]string{
	"en": {{"january", "jan"}, {"february", "feb"}, {"march", "mar"}, {"april", "apr"}, {"may"}, {"june", "jun"}, {"july", "jul"}, {"august", "aug"}, {"september", "sep", "sept"}, {"october", "oct"}, {"november", "nov"}, {"december", "dec"}},
	"fr": {{"janvier", "janv"}, {"février", "fevrier", "févr", "fevr", "fév"}, {"mars"}, {"avril", "avr"}, {"mai"}, {"juin"}, {"juillet", "juil"}, {"août", "aout"}, {"septembre", "sept"}, {"octobre", "oct"}, {"novembre", "nov"}, {"décembre", "decembre", "déc", "dec"}},
	"es": {{"enero", "ene"}, {"febrero", "feb"}, {"marzo", "mar"}, {"abril", "abr"}, {"mayo", "may"}, {"junio", "jun"}, {"julio", "jul"}, {"agosto", "ago"}, {"septiembre", "setiembre", "sep", "sept"}, {"octubre", "oct"}, {"noviembre", "nov"}, {"diciembre", "dic"}},
	"pt": {{"janeiro", "jan"}, {"fevereiro", "fev"}, {"março", "marco", "mar"}, {"abril", "abr"}, {"maio", "mai"}, {"junho", "jun"}, {"julho", "jul"}, {"agosto", "ago"}, {"setembro", "set"}, {"outubro", "out"}, {"novembro", "nov"}, {"dezembro", "dez"}},
	"de": {{"januar", "jänner", "jan"}, {"februar", "feb"}, {"märz", "maerz", "mär", "mrz"}, {"april", "apr"}, {"mai"}, {"juni", "jun"}, {"juli", "jul"}, {"august", "aug"}, {"september", "sep", "sept"}, {"oktober", "okt"}, {"november", "nov"}, {"dezember", "dez"}},
	"it": {{"gennaio", "gen"}, {"febbraio", "feb"}, {"marzo", "mar"}, {"aprile", "apr"}, {"maggio", "mag"}, {"giugno", "giu"}, {"luglio", "lug"}, {"agosto", "ago"}, {"settembre", "set"}, {"ottobre", "ott"}, {"novembre", "nov"}, {"dicembre", "dic"}},
	"ru": {{"января", "январь", "янв"}, {"февраля", "февраль", "фев"}, {"марта", "март", "мар"}, {"апреля", "апрель", "апр"}, {"мая", "май"}, {"июня", "июнь", "июн"}, {"июля", "июль", "июл"}, {"августа", "август", "авг"}, {"сентября", "сентябрь", "сен"}, {"октября", "октябрь", "окт"}, {"ноября", "ноябрь", "ноя"}, {"декабря", "декабрь", "дек"}},
	"ar": {{"يناير", "كانون الثاني"}, {"فبراير", "شباط"}, {"مارس", "آذار"}, {"أبريل", "ابريل", "إبريل", "نيسان"}, {"مايو", "أيار"}, {"يونيو", "يونيه", "حزيران"}, {"يوليو", "يوليه", "تموز"}, {"أغسطس", "اغسطس", "آب"}, {"سبتمبر", "أيلول"}, {"أكتوبر", "اكتوبر", "تشرين الأول"}, {"نوفمبر", "تشرين الثاني"}, {"ديسمبر", "كانون الأول"}},
}

// langOrder is the order tables are tried in after the page's own: an
// abbreviation ("mar", "mai") means the month of the page's language first.
var langOrder = []string{"en", "fr", "es", "pt", "de", "it", "ru", "ar"}

// monthOf returns the month (1-12) a word names, trying lang first; 0 if
// none.
func monthOf(word, lang string) int {
	word = strings.TrimSuffix(strings.ToLower(word), ".")
	for _, l := range append([]string{lang}, langOrder...) {
		for i, names := range months[l] {
			for _, n := range names {
				if n == word {
					return i + 1
				}
			}
		}
	}
	return 0
}

var (
	isoDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}(?:[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?`)
	cjkDate = regexp.MustCompile(`(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日`)
	viDate  = regexp.MustCompile(`(?i)(\d{1,2})\s+tháng\s+(\d{1,2})(?:\s+năm|\s*,|\s*/)?\s+(\d{4})`)
	numDate = regexp.MustCompile(`\b(\d{1,2})([./-])(\d{1,2})[./-](\d{4})\b`)
	// word matches a run of letters (a month name, with its dot), or the
	// two-word Levantine Arabic names.
	word         = regexp.MustCompile(`(?:كانون|تشرين)\s+(?:الأول|الثاني)|\p{L}+\.?`)
	dayMonthYear = regexp.MustCompile(`(\d{1,2})(?:er|st|nd|rd|th|º|\.)?\s+(?:de\s+|of\s+)?@(\d{1,2})@\s*(?:de\s+|,\s*)?(\d{4})`)
	monthDayYear = regexp.MustCompile(`@(\d{1,2})@\s+(\d{1,2})(?:st|nd|rd|th)?\s*,?\s+(\d{4})`)
	clock        = regexp.MustCompile(`(?i)\b(\d{1,2})\s*[:h]\s*(\d{2})(?:\s*([ap])\.?m\.?)?`)
	ago          = regexp.MustCompile(`(?i)(\d+)\s*(minute|min|hour|heure|hora|stunde|day|jour|día|dia|tag)[a-z]*\s*(?:ago)?`)
)

// ParseDate reads the date of a story on a listing page, as a page in lang
// writes it: an ISO date, "10 mars 2026", "March 10, 2026", "10/03/2026"
// (day first unless the page is in English), "2026年3月10日", "10 tháng 3
// năm 2026", "il y a 3 heures"... A time of day is kept when given; a date
// without a zone is taken as UTC. It falls back to a general date parser
// (github.com/itlightning/dateparse) for what these forms miss, and
// reports false for a text without a date (no year, no day).
func ParseDate(s, lang string, now time.Time) (time.Time, bool) {
	s = strings.Join(strings.Fields(s), " ")
	if s == "" {
		return time.Time{}, false
	}
	if m := isoDate.FindString(s); m != "" {
		for _, l := range []string{time.RFC3339Nano, "2006-01-02T15:04Z07:00", "2006-01-02T15:04:05Z0700", "2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
			if t, err := time.Parse(l, m); err == nil {
				return t.UTC(), true
			}
		}
	}
	if m := cjkDate.FindStringSubmatch(s); m != nil {
		return ymd(m[1], m[2], m[3], s)
	}
	if m := viDate.FindStringSubmatch(s); m != nil {
		return ymd(m[3], m[2], m[1], s)
	}
	// Month names become @N@, so that one pattern reads every language.
	marked := word.ReplaceAllStringFunc(s, func(w string) string {
		if n := monthOf(w, lang); n > 0 {
			return "@" + strconv.Itoa(n) + "@"
		}
		return w
	})
	if m := dayMonthYear.FindStringSubmatch(marked); m != nil {
		return ymd(m[3], m[2], m[1], marked)
	}
	if m := monthDayYear.FindStringSubmatch(marked); m != nil {
		return ymd(m[3], m[1], m[2], marked)
	}
	if m := numDate.FindStringSubmatch(s); m != nil {
		day, month := m[1], m[3]
		if lang == "en" && m[2] == "/" {
			day, month = month, day // 03/10/2026 is March 10 on an English page
		}
		if t, ok := ymd(m[4], month, day, s); ok {
			return t, true
		}
		return ymd(m[4], day, month, s) // 25/12 read the other way
	}
	if m := ago.FindStringSubmatch(s); m != nil && !now.IsZero() {
		n, _ := strconv.Atoi(m[1])
		unit := time.Hour
		switch strings.ToLower(m[2])[0] {
		case 'm':
			unit = time.Minute
		case 'd', 'j', 't':
			unit = 24 * time.Hour
		}
		return now.Add(-time.Duration(n) * unit).UTC(), true
	}
	if t, err := dateparse.ParseIn(s, time.UTC, dateparse.PreferMonthFirst(lang == "en"), dateparse.RetryAmbiguousDateWithSwap(true), dateparse.SimpleErrorMessages(true)); err == nil && t.Year() > 1990 {
		return t.UTC(), true
	}
	return time.Time{}, false
}

// ymd builds a date, with the time of day that text gives, if any.
func ymd(y, m, d, text string) (time.Time, bool) {
	year, _ := strconv.Atoi(y)
	month, _ := strconv.Atoi(m)
	day, _ := strconv.Atoi(d)
	if year < 1990 || month < 1 || month > 12 || day < 1 || day > 31 {
		return time.Time{}, false
	}
	hour, minute := 0, 0
	if c := clock.FindStringSubmatch(text); c != nil {
		hour, _ = strconv.Atoi(c[1])
		minute, _ = strconv.Atoi(c[2])
		switch strings.ToLower(c[3]) {
		case "p":
			if hour < 12 {
				hour += 12
			}
		case "a":
			if hour == 12 {
				hour = 0
			}
		}
		if hour > 23 || minute > 59 {
			hour, minute = 0, 0
		}
	}
	t := time.Date(year, time.Month(month), day, hour, minute, 0, 0, time.UTC)
	if t.Day() != day {
		return time.Time{}, false // 31 February
	}
	return t, true
}
