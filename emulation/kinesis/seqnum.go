package kinesis

import (
	"math/big"
	"math/bits"
	"strconv"
)

// Sequence numbers have the layout AWS's have (as observed and documented
// by kinesalite's tests): a 188-bit number, 56 or 57 decimal digits, whose
// 47 hexadecimal digits are
//
//	2 CCCCCCCCC I QQQQQQQQQQQQQQQQ 00 TTTTTTTTT SSSSSSSS 2
//
// C the shard's creation time and T the record's arrival time in epoch
// seconds, I the low hexadecimal digit of the shard index, Q the record's
// position in the stream (a counter shared by the stream's shards), S the
// shard index, and 2 the layout version. Within a shard the creation time
// and index are fixed, so numbers order as the counter does. A shard's
// StartingSequenceNumber has counter 0; a closed shard's
// EndingSequenceNumber has the largest counter, 2^63-1.

const (
	seqVersion = 2
	maxSeqIx   = 1<<63 - 1
)

// u192 is an unsigned 192-bit integer, high bits first.
type u192 struct{ hi, mid, lo uint64 }

// push shifts u left by n bits (1..64) and puts the low n bits of v below.
func (u *u192) push(v uint64, n uint) {
	mask := uint64(1)<<n - 1
	u.hi = u.hi<<n | u.mid>>(64-n)
	u.mid = u.mid<<n | u.lo>>(64-n)
	u.lo = u.lo<<n | v&mask
}

// decimal formats u in base 10.
func (u u192) decimal() string {
	const chunk = 1e19 // the largest power of ten below 2^64
	var buf [60]byte
	i := len(buf)
	for {
		var r uint64
		u.hi, r = bits.Div64(0, u.hi, chunk)
		u.mid, r = bits.Div64(r, u.mid, chunk)
		u.lo, r = bits.Div64(r, u.lo, chunk)
		last := u.hi == 0 && u.mid == 0 && u.lo == 0
		for d := 0; d < 19 && (!last || r > 0 || d == 0); d++ {
			i--
			buf[i] = byte('0' + r%10)
			r /= 10
		}
		if last {
			return string(buf[i:])
		}
	}
}

// formatSeq builds a sequence number.
func formatSeq(shardCreateSecs int64, shardIx int, seqIx uint64, seqSecs int64) string {
	var u u192
	u.push(2, 4)
	u.push(uint64(shardCreateSecs), 36)
	u.push(uint64(shardIx), 4)
	u.push(seqIx, 64)
	u.push(0, 8)
	u.push(uint64(seqSecs), 36)
	u.push(uint64(shardIx), 32)
	u.push(seqVersion, 4)
	return u.decimal()
}

// seqInfo is what a sequence number encodes.
type seqInfo struct {
	version         int
	shardCreateSecs int64
	shardIx         int64
	seqIx           uint64
	seqSecs         int64
}

var (
	pow124     = new(big.Int).Lsh(big.NewInt(1), 124)
	pow129     = new(big.Int).Lsh(big.NewInt(1), 129)
	pow185     = new(big.Int).Lsh(big.NewInt(1), 185)
	pow185Half = new(big.Int).Mul(big.NewInt(3), new(big.Int).Lsh(big.NewInt(1), 184))
)

// maxShardCreateSecs is the largest creation time Kinesis accepts in a
// sequence number (year 2477).
const maxShardCreateSecs = 16025175000

// parseSeq decodes a sequence number of the current layout or of the two
// older ones Kinesis still recognizes; ok is false for anything else.
func parseSeq(s string) (info seqInfo, ok bool) {
	n, ok := new(big.Int).SetString(s, 10)
	if !ok || n.Sign() < 0 {
		return seqInfo{}, false
	}
	if n.Cmp(pow124) < 0 {
		n.Add(n, pow124)
	}
	hex := n.Text(16)
	field := func(from, to int) int64 {
		v, _ := strconv.ParseUint(hex[from:to], 16, 64)
		return int64(v)
	}
	switch {
	case n.Cmp(pow129) < 0:
		info.version = 0
	case n.Cmp(pow185) > 0 && n.Cmp(pow185Half) < 0:
		info.version = int(hex[len(hex)-1] - '0')
	default:
		return seqInfo{}, false
	}
	switch info.version {
	case 0:
		info.shardCreateSecs = field(1, 10)
		info.shardIx = field(28, 32)
	case 1:
		info.shardCreateSecs = field(1, 10)
		info.seqSecs = field(13, 22)
		info.seqIx = uint64(field(36, 38))
		info.shardIx = int64(int32(uint32(field(38, 46))))
		return info, true
	case 2:
		if hex[11] > '7' {
			return seqInfo{}, false
		}
		info.shardCreateSecs = field(1, 10)
		info.seqIx = uint64(field(11, 27))
		info.seqSecs = field(29, 38)
		info.shardIx = int64(int32(uint32(field(38, 46))))
	default:
		return seqInfo{}, false
	}
	if info.shardCreateSecs >= maxShardCreateSecs {
		return seqInfo{}, false
	}
	return info, true
}
