// Package s3 serves Amazon S3's REST protocol through gofakes3, in memory or
// on disk, and gives the other emulated services (Firehose) direct access to
// the objects.
//
// On disk (WithDir), the multipart upload operations (CreateMultipartUpload,
// UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts,
// ListMultipartUploads) are served by this package, in constant memory: each
// part is streamed to a file under dir/multipart/<uploadID>/<N>, and the
// completed object is streamed from the part files into the backend.
// gofakes3's own uploader, which the in-memory mode keeps, holds every part
// in memory and then joins them into one more copy of the object. Uploads
// under way do not survive a restart; their part files are removed at New.
//
// It imports nothing from the rest of the emulation.
package s3
