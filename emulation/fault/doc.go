// Package fault injects failures into the emulated services: throttling,
// partial batch failures, 5xx responses, responses lost after the request was
// applied, and added latency. It is off unless configured, and deterministic
// for a given seed and sequence of requests.
//
// It imports nothing from the rest of the emulation.
package fault
