package textmatch

// langKeys are the language keys a rule file may use: any, and the ISO
// 639-1 codes of the languages Vigie's language detector (lingua-go) knows.
var langKeys = map[string]bool{
	"any": true,
	"af":  true, "ar": true, "az": true, "be": true, "bg": true, "bn": true, "bs": true,
	"ca": true, "cs": true, "cy": true, "da": true, "de": true, "el": true, "en": true,
	"eo": true, "es": true, "et": true, "eu": true, "fa": true, "fi": true, "fr": true,
	"ga": true, "gu": true, "he": true, "hi": true, "hr": true, "hu": true, "hy": true,
	"id": true, "is": true, "it": true, "ja": true, "ka": true, "kk": true, "ko": true,
	"la": true, "lg": true, "lt": true, "lv": true, "mi": true, "mk": true, "mn": true,
	"mr": true, "ms": true, "nb": true, "nl": true, "nn": true, "pa": true, "pl": true,
	"pt": true, "ro": true, "ru": true, "sk": true, "sl": true, "sn": true, "so": true,
	"sq": true, "sr": true, "st": true, "sv": true, "sw": true, "ta": true, "te": true,
	"th": true, "tl": true, "tn": true, "tr": true, "ts": true, "uk": true, "ur": true,
	"vi": true, "xh": true, "yo": true, "zh": true, "zu": true,
}

// ValidLang reports whether key may be used as a language key.
func ValidLang(key string) bool { return langKeys[key] }
