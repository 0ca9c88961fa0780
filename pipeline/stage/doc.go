// Package stage uploads the raw dataset files to the bucket in the workshop's
// layout, with the SDK's transfer manager (multipart for big files):
//
//	data/movies/movies.csv
//	data/ratings/ratings.csv
//	data/links/links.csv
//	data/tags/tags.csv
//	data/partial-load/ratings-partial-load.csv
//
// It creates the bucket when it does not exist.
//
// Like every stage it sees an aws.Config and nothing else: it must not
// import emulation/, fixtures/ or magefiles/.
package stage
