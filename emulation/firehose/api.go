package firehose

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
	"github.com/mldatalake/mldatalake/emulation/clock"
	"github.com/mldatalake/mldatalake/emulation/fault"
)

// AWS limits this emulator enforces.
const (
	MaxRecordsPerBatch = 500
	MaxRecordSize      = 1000 << 10 // 1,000 KiB
	MaxBatchSize       = 4 << 20
)

const (
	typeDirectPut = "DirectPut"
	typeKinesis   = "KinesisStreamAsSource"
	destinationID = "destinationId-000000000001"
)

var namePattern = regexp.MustCompile(`^[a-zA-Z0-9_.-]+$`)
var bucketARNPattern = regexp.MustCompile(`^arn:[^:]+:s3:::([^/:]+)$`)

// epoch is a timestamp in AWS JSON form: seconds since the epoch.
type epoch time.Time

func (e epoch) MarshalJSON() ([]byte, error) {
	return strconv.AppendFloat(nil, float64(time.Time(e).UnixMilli())/1000, 'f', 3, 64), nil
}

func validationf(format string, args ...any) error {
	return awsproto.Validation("1 validation error detected: "+format, args...)
}

func checkName(field, name string) error {
	switch {
	case name == "":
		return validationf("Value null at '%s' failed to satisfy constraint: Member must not be null", field)
	case len(name) > 64:
		return validationf("Value '%s' at '%s' failed to satisfy constraint: Member must have length less than or equal to 64", name, field)
	case !namePattern.MatchString(name):
		return validationf("Value '%s' at '%s' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+", name, field)
	}
	return nil
}

// ---- shapes ----

type bufferingHints struct {
	SizeInMBs         *int `json:"SizeInMBs,omitempty"`
	IntervalInSeconds *int `json:"IntervalInSeconds,omitempty"`
}

type enabledFlag struct {
	Enabled *bool `json:"Enabled,omitempty"`
}

func (e *enabledFlag) on() bool { return e != nil && e.Enabled != nil && *e.Enabled }

type s3Config struct {
	RoleARN                  string          `json:"RoleARN"`
	BucketARN                string          `json:"BucketARN"`
	Prefix                   string          `json:"Prefix"`
	ErrorOutputPrefix        string          `json:"ErrorOutputPrefix"`
	BufferingHints           *bufferingHints `json:"BufferingHints"`
	CompressionFormat        string          `json:"CompressionFormat"`
	FileExtension            string          `json:"FileExtension"`
	CustomTimeZone           string          `json:"CustomTimeZone"`
	EncryptionConfiguration  json.RawMessage `json:"EncryptionConfiguration"`
	CloudWatchLoggingOptions json.RawMessage `json:"CloudWatchLoggingOptions"`
	// Features the emulator does not implement; enabling one is an error.
	ProcessingConfiguration           *enabledFlag `json:"ProcessingConfiguration"`
	DataFormatConversionConfiguration *enabledFlag `json:"DataFormatConversionConfiguration"`
	DynamicPartitioningConfiguration  *enabledFlag `json:"DynamicPartitioningConfiguration"`
}

type kinesisSourceConfig struct {
	KinesisStreamARN string `json:"KinesisStreamARN"`
	RoleARN          string `json:"RoleARN"`
}

type createInput struct {
	DeliveryStreamName                 string               `json:"DeliveryStreamName"`
	DeliveryStreamType                 string               `json:"DeliveryStreamType"`
	KinesisStreamSourceConfiguration   *kinesisSourceConfig `json:"KinesisStreamSourceConfiguration"`
	ExtendedS3DestinationConfiguration *s3Config            `json:"ExtendedS3DestinationConfiguration"`
	S3DestinationConfiguration         *s3Config            `json:"S3DestinationConfiguration"`
}

type createOutput struct {
	DeliveryStreamARN string `json:"DeliveryStreamARN"`
}

// s3Description is both S3DestinationDescription and
// ExtendedS3DestinationDescription (the extended one has more fields, which
// are omitted for the plain one).
type s3Description struct {
	RoleARN                  string          `json:"RoleARN"`
	BucketARN                string          `json:"BucketARN"`
	Prefix                   string          `json:"Prefix,omitempty"`
	ErrorOutputPrefix        string          `json:"ErrorOutputPrefix,omitempty"`
	BufferingHints           bufferingHints  `json:"BufferingHints"`
	CompressionFormat        string          `json:"CompressionFormat"`
	EncryptionConfiguration  json.RawMessage `json:"EncryptionConfiguration"`
	CloudWatchLoggingOptions json.RawMessage `json:"CloudWatchLoggingOptions"`
	FileExtension            string          `json:"FileExtension,omitempty"`
	S3BackupMode             string          `json:"S3BackupMode,omitempty"`
}

type destinationDescription struct {
	DestinationID                    string         `json:"DestinationId"`
	S3DestinationDescription         *s3Description `json:"S3DestinationDescription,omitempty"`
	ExtendedS3DestinationDescription *s3Description `json:"ExtendedS3DestinationDescription,omitempty"`
}

// ---- CreateDeliveryStream ----

func (s *Service) createDeliveryStream(_ context.Context, in *createInput) (*createOutput, error) {
	if err := checkName("deliveryStreamName", in.DeliveryStreamName); err != nil {
		return nil, err
	}
	typ := in.DeliveryStreamType
	switch typ {
	case "":
		typ = typeDirectPut
	case typeDirectPut, typeKinesis:
	case "MSKAsSource", "DatabaseAsSource":
		return nil, awsproto.InvalidArgument("DeliveryStreamType %s is not supported by the emulator; use DirectPut or KinesisStreamAsSource.", typ)
	default:
		return nil, validationf("Value '%s' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]", typ)
	}
	src := in.KinesisStreamSourceConfiguration
	switch {
	case typ == typeKinesis && src == nil:
		return nil, awsproto.InvalidArgument("KinesisStreamSourceConfiguration is required when DeliveryStreamType is KinesisStreamAsSource.")
	case typ == typeDirectPut && src != nil:
		return nil, awsproto.InvalidArgument("KinesisStreamSourceConfiguration is only allowed when DeliveryStreamType is KinesisStreamAsSource.")
	case src != nil && (src.KinesisStreamARN == "" || src.RoleARN == ""):
		return nil, awsproto.InvalidArgument("KinesisStreamSourceConfiguration needs both KinesisStreamARN and RoleARN.")
	}

	var cfg *s3Config
	field := "extendedS3DestinationConfiguration"
	switch {
	case in.ExtendedS3DestinationConfiguration != nil && in.S3DestinationConfiguration != nil:
		return nil, awsproto.InvalidArgument("Only one destination configuration is allowed: give ExtendedS3DestinationConfiguration or S3DestinationConfiguration, not both.")
	case in.ExtendedS3DestinationConfiguration != nil:
		cfg = in.ExtendedS3DestinationConfiguration
	case in.S3DestinationConfiguration != nil:
		cfg, field = in.S3DestinationConfiguration, "s3DestinationConfiguration"
	default:
		return nil, awsproto.InvalidArgument("A destination configuration is required; the emulator supports ExtendedS3DestinationConfiguration and S3DestinationConfiguration.")
	}
	dest, desc, err := s3Destination(field, cfg)
	if err != nil {
		return nil, err
	}
	if in.S3DestinationConfiguration != nil {
		desc.FileExtension, desc.S3BackupMode = "", ""
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil, awsproto.Errorf(503, awsproto.CodeServiceUnavailable, "The emulator is shutting down.")
	}
	if s.streams[in.DeliveryStreamName] != nil {
		return nil, awsproto.InUse("Firehose %s under account %s already exists.", in.DeliveryStreamName, s.account)
	}
	d := &deliveryStream{
		svc: s, name: in.DeliveryStreamName, arn: s.arn(in.DeliveryStreamName), typ: typ, version: "1",
		created: s.clock.Now(), createdReal: s.clock.Now(), dest: dest, delay: s.delay,
		describe: destinationDescription{DestinationID: destinationID},
		kick:     make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{}),
	}
	if in.S3DestinationConfiguration != nil {
		d.describe.S3DestinationDescription = &desc
	} else {
		plain := desc
		plain.FileExtension, plain.S3BackupMode = "", ""
		d.describe.ExtendedS3DestinationDescription = &desc
		d.describe.S3DestinationDescription = &plain
	}
	if src != nil {
		// Reading starts now: records put into the source before the
		// delivery stream existed are not delivered, as on AWS.
		r, err := s.kinesis.NewLatestReader(src.KinesisStreamARN)
		if err != nil {
			return nil, awsproto.InvalidArgument("Kinesis stream %s does not exist or is being deleted.", src.KinesisStreamARN)
		}
		d.source, d.sourceARN, d.sourceRole = r, src.KinesisStreamARN, src.RoleARN
		d.stats.reading.Store(true)
		if late := s.faults.FirehoseStart(); late > 0 {
			// The firehose_start fault: ACTIVE at once, reading only later.
			d.source, d.delay, d.sourceStart = nil, 0, s.clock.Now().Add(late)
			d.stats.reading.Store(false)
		}
	}
	s.streams[d.name] = d
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		d.run()
	}()
	s.log.Debug("firehose delivery stream created", "delivery_stream", d.name, "type", typ, "bucket", dest.bucket)
	return &createOutput{DeliveryStreamARN: d.arn}, nil
}

// s3Destination validates an S3 destination configuration.
func s3Destination(field string, c *s3Config) (destination, s3Description, error) {
	var d destination
	if c.RoleARN == "" {
		return d, s3Description{}, validationf("Value null at '%s.roleARN' failed to satisfy constraint: Member must not be null", field)
	}
	if c.BucketARN == "" {
		return d, s3Description{}, validationf("Value null at '%s.bucketARN' failed to satisfy constraint: Member must not be null", field)
	}
	m := bucketARNPattern.FindStringSubmatch(c.BucketARN)
	if m == nil {
		return d, s3Description{}, validationf("Value '%s' at '%s.bucketARN' failed to satisfy constraint: Member must satisfy regular expression pattern: arn:.*:s3:::[\\w\\.\\-]{1,255}", c.BucketARN, field)
	}
	d.bucket = m[1]
	size, interval := 5, 300
	if h := c.BufferingHints; h != nil {
		if h.SizeInMBs != nil {
			size = *h.SizeInMBs
			if size < 1 || size > 128 {
				return d, s3Description{}, validationf("Value '%d' at '%s.bufferingHints.sizeInMBs' failed to satisfy constraint: Member must have value between 1 and 128", size, field)
			}
		}
		if h.IntervalInSeconds != nil {
			interval = *h.IntervalInSeconds
			if interval < 0 || interval > 900 {
				return d, s3Description{}, validationf("Value '%d' at '%s.bufferingHints.intervalInSeconds' failed to satisfy constraint: Member must have value between 0 and 900", interval, field)
			}
		}
	}
	d.sizeBytes, d.interval = size<<20, time.Duration(interval)*time.Second
	format := c.CompressionFormat
	switch format {
	case "":
		format = "UNCOMPRESSED"
	case "UNCOMPRESSED":
	case "GZIP":
		d.gzip, d.extension = true, ".gz"
	case "ZIP", "Snappy", "HADOOP_SNAPPY":
		return d, s3Description{}, awsproto.InvalidArgument("CompressionFormat %s is not supported by the emulator; use UNCOMPRESSED or GZIP.", format)
	default:
		return d, s3Description{}, validationf("Value '%s' at '%s.compressionFormat' failed to satisfy constraint: Member must satisfy enum value set: [UNCOMPRESSED, GZIP, ZIP, Snappy, HADOOP_SNAPPY]", format, field)
	}
	if c.FileExtension != "" {
		if !strings.HasPrefix(c.FileExtension, ".") || len(c.FileExtension) > 128 {
			return d, s3Description{}, awsproto.InvalidArgument("FileExtension %q must start with a period and be at most 128 characters.", c.FileExtension)
		}
		d.extension = c.FileExtension
	}
	if c.CustomTimeZone != "" && c.CustomTimeZone != "UTC" {
		return d, s3Description{}, awsproto.InvalidArgument("CustomTimeZone %q is not supported by the emulator; keys use UTC.", c.CustomTimeZone)
	}
	switch {
	case c.ProcessingConfiguration.on():
		return d, s3Description{}, awsproto.InvalidArgument("ProcessingConfiguration (Lambda transformation) is not supported by the emulator.")
	case c.DataFormatConversionConfiguration.on():
		return d, s3Description{}, awsproto.InvalidArgument("DataFormatConversionConfiguration is not supported by the emulator.")
	case c.DynamicPartitioningConfiguration.on():
		return d, s3Description{}, awsproto.InvalidArgument("DynamicPartitioningConfiguration is not supported by the emulator.")
	}
	for _, p := range []struct{ name, v string }{{"prefix", c.Prefix}, {"errorOutputPrefix", c.ErrorOutputPrefix}} {
		if len(p.v) > 1024 {
			return d, s3Description{}, validationf("Value '%s' at '%s.%s' failed to satisfy constraint: Member must have length less than or equal to 1024", p.v, field, p.name)
		}
	}
	var err error
	if d.prefix, d.errPrefix, err = keyTemplates(c.Prefix, c.ErrorOutputPrefix); err != nil {
		return d, s3Description{}, err
	}
	enc := c.EncryptionConfiguration
	if len(enc) == 0 || string(enc) == "null" {
		enc = json.RawMessage(`{"NoEncryptionConfig":"NoEncryption"}`)
	}
	cw := c.CloudWatchLoggingOptions
	if len(cw) == 0 || string(cw) == "null" {
		cw = json.RawMessage(`{"Enabled":false}`)
	}
	desc := s3Description{
		RoleARN: c.RoleARN, BucketARN: c.BucketARN, Prefix: c.Prefix, ErrorOutputPrefix: c.ErrorOutputPrefix,
		BufferingHints:    bufferingHints{SizeInMBs: &size, IntervalInSeconds: &interval},
		CompressionFormat: format, EncryptionConfiguration: enc, CloudWatchLoggingOptions: cw,
		FileExtension: c.FileExtension, S3BackupMode: "Disabled",
	}
	return d, desc, nil
}

// ---- DescribeDeliveryStream ----

type describeInput struct {
	DeliveryStreamName          string `json:"DeliveryStreamName"`
	Limit                       *int   `json:"Limit"`
	ExclusiveStartDestinationID string `json:"ExclusiveStartDestinationId"`
}

type kinesisSourceDescription struct {
	KinesisStreamARN       string `json:"KinesisStreamARN"`
	RoleARN                string `json:"RoleARN"`
	DeliveryStartTimestamp epoch  `json:"DeliveryStartTimestamp"`
}

type describeOutput struct {
	DeliveryStreamDescription struct {
		DeliveryStreamName                    string                   `json:"DeliveryStreamName"`
		DeliveryStreamARN                     string                   `json:"DeliveryStreamARN"`
		DeliveryStreamStatus                  string                   `json:"DeliveryStreamStatus"`
		DeliveryStreamType                    string                   `json:"DeliveryStreamType"`
		VersionID                             string                   `json:"VersionId"`
		CreateTimestamp                       epoch                    `json:"CreateTimestamp"`
		Destinations                          []destinationDescription `json:"Destinations"`
		HasMoreDestinations                   bool                     `json:"HasMoreDestinations"`
		DeliveryStreamEncryptionConfiguration struct {
			Status string `json:"Status"`
		} `json:"DeliveryStreamEncryptionConfiguration"`
		Source *struct {
			KinesisStreamSourceDescription *kinesisSourceDescription `json:"KinesisStreamSourceDescription,omitempty"`
		} `json:"Source,omitempty"`
	} `json:"DeliveryStreamDescription"`
}

func (s *Service) describeDeliveryStream(_ context.Context, in *describeInput) (*describeOutput, error) {
	if err := checkName("deliveryStreamName", in.DeliveryStreamName); err != nil {
		return nil, err
	}
	d, err := s.lookup(in.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	out := &describeOutput{}
	o := &out.DeliveryStreamDescription
	o.DeliveryStreamName, o.DeliveryStreamARN, o.DeliveryStreamType = d.name, d.arn, d.typ
	s.mu.Lock()
	o.DeliveryStreamStatus = d.status()
	s.mu.Unlock()
	o.VersionID = d.version
	o.CreateTimestamp = epoch(d.created)
	o.Destinations = []destinationDescription{d.describe}
	o.DeliveryStreamEncryptionConfiguration.Status = "DISABLED"
	if d.sourceARN != "" {
		o.Source = &struct {
			KinesisStreamSourceDescription *kinesisSourceDescription `json:"KinesisStreamSourceDescription,omitempty"`
		}{&kinesisSourceDescription{KinesisStreamARN: d.sourceARN, RoleARN: d.sourceRole, DeliveryStartTimestamp: epoch(d.created)}}
	}
	return out, nil
}

// ---- ListDeliveryStreams ----

type listInput struct {
	Limit                            *int   `json:"Limit"`
	DeliveryStreamType               string `json:"DeliveryStreamType"`
	ExclusiveStartDeliveryStreamName string `json:"ExclusiveStartDeliveryStreamName"`
}

type listOutput struct {
	DeliveryStreamNames    []string `json:"DeliveryStreamNames"`
	HasMoreDeliveryStreams bool     `json:"HasMoreDeliveryStreams"`
}

func (s *Service) listDeliveryStreams(_ context.Context, in *listInput) (*listOutput, error) {
	limit := 10
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 10000 {
			return nil, validationf("Value '%d' at 'limit' failed to satisfy constraint: Member must have value between 1 and 10000", *in.Limit)
		}
		limit = *in.Limit
	}
	switch in.DeliveryStreamType {
	case "", typeDirectPut, typeKinesis, "MSKAsSource", "DatabaseAsSource":
	default:
		return nil, validationf("Value '%s' at 'deliveryStreamType' failed to satisfy constraint: Member must satisfy enum value set: [DirectPut, KinesisStreamAsSource, MSKAsSource, DatabaseAsSource]", in.DeliveryStreamType)
	}
	out := &listOutput{DeliveryStreamNames: []string{}}
	for _, n := range s.sortedNames() {
		if in.ExclusiveStartDeliveryStreamName != "" && n <= in.ExclusiveStartDeliveryStreamName {
			continue
		}
		d, err := s.lookup(n)
		if err != nil || (in.DeliveryStreamType != "" && d.typ != in.DeliveryStreamType) {
			continue
		}
		if len(out.DeliveryStreamNames) == limit {
			out.HasMoreDeliveryStreams = true
			break
		}
		out.DeliveryStreamNames = append(out.DeliveryStreamNames, n)
	}
	return out, nil
}

// ---- DeleteDeliveryStream ----

type deleteInput struct {
	DeliveryStreamName string `json:"DeliveryStreamName"`
	AllowForceDelete   bool   `json:"AllowForceDelete"`
}

type emptyOutput struct{}

func (s *Service) deleteDeliveryStream(_ context.Context, in *deleteInput) (*emptyOutput, error) {
	if err := checkName("deliveryStreamName", in.DeliveryStreamName); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.streams[in.DeliveryStreamName]
	if d == nil || !d.deletedReal.IsZero() {
		return nil, s.notFound(in.DeliveryStreamName)
	}
	d.deletedReal = s.clock.Now()
	d.stopOnce.Do(func() { close(d.stop) })
	// The stream shows DELETING while its buffer is delivered, then goes.
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		<-d.done
		<-clock.After(s.clock, s.delay)
		s.mu.Lock()
		if s.streams[d.name] == d {
			delete(s.streams, d.name)
		}
		s.mu.Unlock()
	}()
	s.log.Debug("firehose delivery stream deleted", "delivery_stream", d.name)
	return &emptyOutput{}, nil
}

// ---- PutRecord, PutRecordBatch ----

type recordIn struct {
	Data []byte `json:"Data"`
}

type putRecordInput struct {
	DeliveryStreamName string    `json:"DeliveryStreamName"`
	Record             *recordIn `json:"Record"`
}

type putRecordOutput struct {
	RecordID  string `json:"RecordId"`
	Encrypted bool   `json:"Encrypted"`
}

type putBatchInput struct {
	DeliveryStreamName string     `json:"DeliveryStreamName"`
	Records            []recordIn `json:"Records"`
}

type batchEntry struct {
	RecordID     string `json:"RecordId,omitempty"`
	ErrorCode    string `json:"ErrorCode,omitempty"`
	ErrorMessage string `json:"ErrorMessage,omitempty"`
}

type putBatchOutput struct {
	FailedPutCount   int          `json:"FailedPutCount"`
	Encrypted        bool         `json:"Encrypted"`
	RequestResponses []batchEntry `json:"RequestResponses"`
}

// directPutTarget returns the ACTIVE DirectPut stream called name.
func (s *Service) directPutTarget(name string) (*deliveryStream, error) {
	if err := checkName("deliveryStreamName", name); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d := s.streams[name]
	if d == nil || d.status() != "ACTIVE" {
		return nil, s.notFound(name)
	}
	if d.typ != typeDirectPut {
		return nil, awsproto.InvalidArgument("This operation is not permitted on %s delivery stream type.", d.typ)
	}
	return d, nil
}

func checkRecord(r *recordIn, field string) error {
	if r.Data == nil {
		return validationf("Value null at '%sdata' failed to satisfy constraint: Member must not be null", field)
	}
	if len(r.Data) > MaxRecordSize {
		return validationf("Value 'java.nio.HeapByteBuffer[pos=0 lim=%d cap=%d]' at '%sdata' failed to satisfy constraint: Member must have length less than or equal to %d", len(r.Data), len(r.Data), field, MaxRecordSize)
	}
	return nil
}

func recordID() string {
	b := make([]byte, 56)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *Service) putRecord(_ context.Context, in *putRecordInput) (*putRecordOutput, error) {
	if in.Record == nil {
		return nil, validationf("Value null at 'record' failed to satisfy constraint: Member must not be null")
	}
	if err := checkRecord(in.Record, "record."); err != nil {
		return nil, err
	}
	d, err := s.directPutTarget(in.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	d.enqueue([]item{{data: in.Record.Data, arrival: s.clock.Now()}})
	return &putRecordOutput{RecordID: recordID()}, nil
}

func (s *Service) putRecordBatch(_ context.Context, in *putBatchInput) (*putBatchOutput, error) {
	switch n := len(in.Records); {
	case in.Records == nil:
		return nil, validationf("Value null at 'records' failed to satisfy constraint: Member must not be null")
	case n == 0:
		return nil, validationf("Value '[]' at 'records' failed to satisfy constraint: Member must have length greater than or equal to 1")
	case n > MaxRecordsPerBatch:
		return nil, validationf("Value '[Record x %d]' at 'records' failed to satisfy constraint: Member must have length less than or equal to %d", n, MaxRecordsPerBatch)
	}
	total := 0
	for i := range in.Records {
		if err := checkRecord(&in.Records[i], "records."+strconv.Itoa(i+1)+".member."); err != nil {
			return nil, err
		}
		total += len(in.Records[i].Data)
	}
	if total > MaxBatchSize {
		return nil, awsproto.InvalidArgument("PutRecordBatch request of %d bytes exceeds the limit of 4 MiB (%d bytes).", total, MaxBatchSize)
	}
	d, err := s.directPutTarget(in.DeliveryStreamName)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := &putBatchOutput{RequestResponses: make([]batchEntry, len(in.Records))}
	items := make([]item, 0, len(in.Records))
	for i, r := range in.Records {
		if s.faults.Roll(fault.Partial) {
			out.RequestResponses[i] = batchEntry{ErrorCode: awsproto.CodeServiceUnavailable, ErrorMessage: "Slow down."}
			out.FailedPutCount++
			continue
		}
		out.RequestResponses[i] = batchEntry{RecordID: recordID()}
		items = append(items, item{data: r.Data, arrival: now})
	}
	d.enqueue(items)
	return out, nil
}
