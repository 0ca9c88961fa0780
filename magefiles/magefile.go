//go:build mage

// Targets of the MovieLens data-lake pipeline. Run `go tool mage -l` to list them.
package main

import (
	"os"

	"github.com/magefile/mage/sh"
)

// Test runs every test: go test ./...
func Test() error {
	return sh.RunV("go", "test", "./...")
}

// Emulator serves the AWS emulator on 127.0.0.1:4566 until interrupted (LISTEN overrides the address).
func Emulator() error {
	addr := os.Getenv("LISTEN")
	if addr == "" {
		addr = "127.0.0.1:4566"
	}
	return sh.RunV("go", "run", "./emulation/cmd/awsemu", "-listen", addr)
}
