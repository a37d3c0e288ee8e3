// Package archtest holds the tests that keep the architecture true: the
// dependency rules of ARCHITECTURE.md §3 and the rule that every package says
// its job in a doc.go. It has no code of its own.
package archtest
