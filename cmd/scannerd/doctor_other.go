//go:build !linux

package main

import "errors"

// freeBytes is measured on Linux only, where gates run.
func freeBytes(string) (int64, error) { return 0, errors.ErrUnsupported }
