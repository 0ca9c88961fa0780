package firehose

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mldatalake/mldatalake/emulation/clock"

	"github.com/google/uuid"

	"github.com/mldatalake/mldatalake/emulation/kinesis"
)

// destination is the S3 side of a delivery stream, validated.
type destination struct {
	bucket    string
	prefix    template
	errPrefix template
	sizeBytes int
	interval  time.Duration
	gzip      bool
	extension string
}

// deliveryStream is one delivery stream and its delivery goroutine.
type deliveryStream struct {
	svc         *Service
	name        string
	arn         string
	typ         string
	version     string
	created     time.Time // service clock
	createdReal time.Time
	deletedReal time.Time // guarded by svc.mu; zero until DeleteDeliveryStream
	dest        destination
	describe    destinationDescription // echoed by DescribeDeliveryStream
	source      *kinesis.Reader        // nil for DirectPut, and until sourceStart
	sourceARN   string
	sourceRole  string
	// sourceStart, when not zero, is when the reader of the source is to
	// start at LATEST (the firehose_start fault); until then records put
	// to the source are not read.
	sourceStart time.Time
	delay       time.Duration // how long the stream stays CREATING

	mu      sync.Mutex
	pending []item // direct puts not yet taken by the goroutine
	kick    chan struct{}

	stop     chan struct{}
	stopOnce sync.Once
	done     chan struct{}
	stats    counters
}

type item struct {
	data    []byte
	arrival time.Time
}

type counters struct {
	in, delivered, bytes, objects, retries, errObjects, errRecords, dropped atomic.Int64
	reading                                                                 atomic.Bool
}

func (c *counters) snapshot() Stats {
	return Stats{
		RecordsIn: c.in.Load(), RecordsDelivered: c.delivered.Load(), BytesDelivered: c.bytes.Load(),
		ObjectsWritten: c.objects.Load(), WriteRetries: c.retries.Load(),
		ErrorObjects: c.errObjects.Load(), ErrorRecords: c.errRecords.Load(), RecordsDropped: c.dropped.Load(),
		Reading: c.reading.Load(),
	}
}

func (d *deliveryStream) status() string {
	switch {
	case !d.deletedReal.IsZero():
		return "DELETING"
	case clock.Since(d.svc.clock, d.createdReal) < d.delay:
		return "CREATING"
	}
	return "ACTIVE"
}

// enqueue hands direct-put records to the delivery goroutine.
func (d *deliveryStream) enqueue(items []item) {
	d.mu.Lock()
	d.pending = append(d.pending, items...)
	d.mu.Unlock()
	d.stats.in.Add(int64(len(items)))
	select {
	case d.kick <- struct{}{}:
	default:
	}
}

// buffer collects records until a flush.
type buffer struct {
	recs      [][]byte
	size      int
	first     time.Time // arrival of the oldest record (service clock), for keys
	startReal time.Time // when the oldest record was buffered, for the interval
}

// run is the delivery goroutine: it takes records from the source stream or
// from direct puts, buffers them and flushes by size or interval, until stop.
func (d *deliveryStream) run() {
	defer close(d.done)
	var buf buffer
	var timer clock.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	var startC <-chan time.Time
	if !d.sourceStart.IsZero() {
		start := d.svc.clock.NewTimer(d.sourceStart.Sub(d.svc.clock.Now()))
		defer start.Stop()
		startC = start.C()
	}
	for {
		more := d.ingest(&buf, false)
		if len(buf.recs) > 0 && (d.dest.interval == 0 || clock.Since(d.svc.clock, buf.startReal) >= d.dest.interval) {
			d.flush(&buf, false)
		}
		var timerC <-chan time.Time
		if len(buf.recs) > 0 {
			wait := d.dest.interval - clock.Since(d.svc.clock, buf.startReal)
			if timer == nil {
				timer = d.svc.clock.NewTimer(wait)
			} else {
				timer.Reset(wait)
			}
			timerC = timer.C()
		}
		select {
		case <-more:
		case <-d.kick:
		case <-timerC:
		case <-startC:
			startC = nil
			d.startSource()
		case <-d.stop:
			d.ingest(&buf, true)
			if len(buf.recs) > 0 {
				d.flush(&buf, true)
			}
			return
		}
	}
}

// startSource starts reading the source at LATEST, once the firehose_start
// fault's delay has passed.
func (d *deliveryStream) startSource() {
	r, err := d.svc.kinesis.NewLatestReader(d.sourceARN)
	if err != nil {
		d.svc.log.Warn("firehose source stream is gone; delivery from it never starts", "delivery_stream", d.name, "source", d.sourceARN, "err", err)
		return
	}
	d.source = r
	d.stats.reading.Store(true)
	d.svc.log.Debug("firehose source reader started late (fault firehose_start)", "delivery_stream", d.name, "source", d.sourceARN)
}

// ingest moves every available record into buf, flushing whenever the buffer
// reaches its size. It returns a channel closed when the source stream has
// more records (nil for direct put).
func (d *deliveryStream) ingest(buf *buffer, stopping bool) <-chan struct{} {
	var more <-chan struct{}
	if d.source != nil {
		for {
			recs, ch, err := d.source.Read(500)
			if err != nil {
				if errors.Is(err, kinesis.ErrStreamNotFound) {
					d.svc.log.Warn("firehose source stream is gone; delivery from it stops",
						"delivery_stream", d.name, "source", d.sourceARN, "err", err)
					d.source = nil
					break
				}
				d.svc.log.Error("firehose read source", "delivery_stream", d.name, "err", err)
				break
			}
			more = ch
			d.stats.in.Add(int64(len(recs)))
			for _, r := range recs {
				d.add(buf, item{data: r.Data, arrival: r.ArrivalTime}, stopping)
			}
			if len(recs) < 500 {
				break
			}
		}
	}
	d.mu.Lock()
	pending := d.pending
	d.pending = nil
	d.mu.Unlock()
	for _, it := range pending {
		d.add(buf, it, stopping)
	}
	return more
}

// add buffers one record, flushing first if it would not fit and after if
// the buffer is full; an object exceeds SizeInMBs only for a record that
// alone does.
func (d *deliveryStream) add(buf *buffer, it item, stopping bool) {
	if len(buf.recs) > 0 && buf.size+len(it.data) > d.dest.sizeBytes {
		d.flush(buf, stopping)
	}
	if len(buf.recs) == 0 {
		buf.first, buf.startReal = it.arrival, d.svc.clock.Now()
	}
	buf.recs = append(buf.recs, it.data)
	buf.size += len(it.data)
	if buf.size >= d.dest.sizeBytes {
		d.flush(buf, stopping)
	}
}

// flush writes the buffer as one object and empties it.
func (d *deliveryStream) flush(buf *buffer, stopping bool) {
	recs, size, first := buf.recs, buf.size, buf.first
	*buf = buffer{}
	body := bytes.Join(recs, nil)
	if d.dest.gzip {
		var z bytes.Buffer
		zw := gzip.NewWriter(&z)
		_, _ = zw.Write(body)
		_ = zw.Close()
		body = z.Bytes()
	}
	suffix := fmt.Sprintf("%s-%s-%s-%s%s", d.name, d.version, first.UTC().Format("2006-01-02-15-04-05"), uuid.NewString(), d.dest.extension)
	key := d.dest.prefix.eval(first) + suffix
	log := d.svc.log.With("delivery_stream", d.name, "bucket", d.dest.bucket, "records", len(recs))
	err := d.write(key, body, stopping)
	if err == nil {
		d.stats.delivered.Add(int64(len(recs)))
		d.stats.bytes.Add(int64(size))
		d.stats.objects.Add(1)
		log.Debug("firehose delivered", "key", key, "bytes", len(body))
		return
	}
	errKey := d.dest.errPrefix.eval(first) + suffix
	errErr := d.put(errKey, body)
	if errErr == nil {
		d.stats.errObjects.Add(1)
		d.stats.errRecords.Add(int64(len(recs)))
		log.Warn("firehose could not deliver; wrote under ErrorOutputPrefix", "key", key, "error_key", errKey, "err", err)
		return
	}
	d.stats.dropped.Add(int64(len(recs)))
	log.Error("firehose dropped records: neither the object nor its error copy could be written",
		"key", key, "error_key", errKey, "err", errors.Join(err, errErr))
}

// write puts body at key, retrying with backoff for the retry duration; once
// the stream is stopping it makes a single attempt.
func (d *deliveryStream) write(key string, body []byte, stopping bool) error {
	deadline := d.svc.clock.Now().Add(d.svc.retryFor)
	backoff := 100 * time.Millisecond
	for {
		err := d.put(key, body)
		if err == nil || stopping || !d.svc.clock.Now().Before(deadline) {
			return err
		}
		d.stats.retries.Add(1)
		d.svc.log.Debug("firehose write failed; retrying", "delivery_stream", d.name, "key", key, "err", err, "backoff", backoff)
		select {
		case <-clock.After(d.svc.clock, min(backoff, deadline.Sub(d.svc.clock.Now()))):
		case <-d.stop:
			stopping = true
		}
		backoff = min(backoff*2, 5*time.Second)
	}
}

func (d *deliveryStream) put(key string, body []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return d.svc.store.PutObject(ctx, d.dest.bucket, key, body)
}
