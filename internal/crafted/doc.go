// Package crafted makes image files that cost a decoder far more time or memory than their
// size suggests — the files an attacker would send — so that tests can check the limits that
// guard against them: progressive JPEGs (whose decoders keep every coefficient of the picture
// in memory), progressive JPEGs with one scan repeated thousands of times (each repeat costs a
// pass over the picture), and 16-bit deflate TIFFs (decoded through a buffer that keeps
// doubling).
//
// The files are generated, never downloaded, so every test that uses them runs from a clone.
// It is for tests only.
package crafted
