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
	// ExceptionsTable is the DynamoDB table the full load records the rows
	// it could not write in, as DMS's awsdms_full_load_exceptions.
	ExceptionsTable string
	// Stream is the Kinesis data stream the new ratings are produced to.
	Stream string
	// DeliveryStream is the Firehose delivery stream from Stream to Bucket.
	DeliveryStream string
	// FirehoseRole is the IAM role made for Firehose to assume (see
	// stream.EnsureRole), on real AWS.
	FirehoseRole string
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
	DefaultExceptionsTable = "awsdms_full_load_exceptions"
	DefaultStream          = "gc_stream"
	DefaultDeliveryStream  = "gc_firehose"
	DefaultFirehoseRole    = "firehose-delivery"
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
	def(&n.ExceptionsTable, DefaultExceptionsTable)
	def(&n.Stream, DefaultStream)
	def(&n.DeliveryStream, DefaultDeliveryStream)
	def(&n.FirehoseRole, DefaultFirehoseRole)
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
