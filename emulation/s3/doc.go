// Package s3 serves Amazon S3's REST protocol through gofakes3, in memory or
// on disk, and gives the other emulated services (Firehose) direct access to
// the objects.
//
// It imports nothing from the rest of the emulation.
package s3
