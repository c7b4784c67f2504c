// Package textmatch finds terms in text in many languages: it folds text
// (NFKC, case, Latin accents, Arabic forms, spaces and dashes) and runs
// one Aho-Corasick automaton over it, then checks each match against its
// term's rules (word boundaries, acronyms in capitals, Vietnamese tones,
// Snowball stems, Arabic clitics, trailing wildcards). The classifiers and
// the entity layer share it, so that their offsets agree.
package textmatch
