package pipeline

// Names are the AWS resource names the pipeline creates and reads. The zero
// value of a field means its default, the workshop's name.
type Names struct {
	// Bucket holds the raw data (data/...), the stream's objects and the
	// training data (ml/trainingdata/...).
	Bucket string
	// RatingsTable, MoviesTable, LinksTable and TagsTable are the DynamoDB
	// tables the DMS full load writes.
	RatingsTable, MoviesTable, LinksTable, TagsTable string
	// Stream is the Kinesis data stream the new ratings are produced to.
	Stream string
	// DeliveryStream is the Firehose delivery stream from Stream to Bucket.
	DeliveryStream string
	// FirehosePrefix is the S3 prefix Firehose writes under.
	FirehosePrefix string
	// CatalogDatabase is the crawler's catalog database.
	CatalogDatabase string
	// SourceSchema is the MySQL schema the DMS load reads.
	SourceSchema string
}

// Default names, as in the original workshop.
const (
	DefaultBucket          = "ml-data-lake"
	DefaultRatingsTable    = "ratings_t"
	DefaultMoviesTable     = "movies_t"
	DefaultLinksTable      = "links_t"
	DefaultTagsTable       = "tags_t"
	DefaultStream          = "gc_stream"
	DefaultDeliveryStream  = "gc_firehose"
	DefaultFirehosePrefix  = "firehose/"
	DefaultCatalogDatabase = "ml-data-lake"
	DefaultSourceSchema    = "movielens"
)

// WithDefaults returns n with every empty field set to its default.
func (n Names) WithDefaults() Names {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&n.Bucket, DefaultBucket)
	def(&n.RatingsTable, DefaultRatingsTable)
	def(&n.MoviesTable, DefaultMoviesTable)
	def(&n.LinksTable, DefaultLinksTable)
	def(&n.TagsTable, DefaultTagsTable)
	def(&n.Stream, DefaultStream)
	def(&n.DeliveryStream, DefaultDeliveryStream)
	def(&n.FirehosePrefix, DefaultFirehosePrefix)
	def(&n.CatalogDatabase, DefaultCatalogDatabase)
	def(&n.SourceSchema, DefaultSourceSchema)
	return n
}

// Training data locations in the bucket, as the workshop's Glue job writes them.
const (
	TrainingPrefix = "ml/trainingdata/"
	RatingNew      = "rating_new"
	MoviesNew      = "movies_new"
	LinksNew       = "links_new"
)
