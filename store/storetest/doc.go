// Package storetest gives tests of any package a Postgres database of their own: EmptyDatabase
// and NewDatabase create one per test (migrated, for NewDatabase) and drop it when the test
// ends; NewStore opens a store.DB on it; Photo inserts a photo in any state.
//
// Databases are created on the server named by PHOTOPROC_TEST_PG_URI (default
// postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable), which must allow CREATE
// DATABASE. A test that asks for a database skips under -short (testkit.NeedServices). It is
// for tests only.
package storetest
