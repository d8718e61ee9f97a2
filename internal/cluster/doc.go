// Package cluster holds no code, only the test that runs Parley as
// several real processes on one PostgreSQL database: the built binary,
// started with `parley serve`, killed with SIGKILL. The in-process tests
// of internal/app share one Go runtime and can stop a node only politely;
// this one checks what a deployment sees: separate address spaces, pools
// and listeners, and a node that dies mid-write.
package cluster
