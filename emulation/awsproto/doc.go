// Package awsproto holds what the emulated JSON-protocol services share: the
// request mux keyed by X-Amz-Target, typed protocol errors and their mapping
// to HTTP status and the `__type` field, and the service descriptors the
// edge router and the fault injector use.
//
// It imports nothing from the rest of the emulation.
package awsproto
