// Package progress shows how far long work has come: a count, a rate and an
// estimate of the time left. On a terminal it redraws one line; when output
// goes to a file or a pipe it prints a plain line now and then, so logs of a
// long run stay short and readable.
//
// Meter is the arithmetic alone (rate and ETA from an injected clock), for
// callers that report through a logger; Reporter draws it on a writer.
package progress
