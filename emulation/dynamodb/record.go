package dynamodb

import "encoding/binary"

// Reading a Record: its size, its attributes, its wire JSON.

// name is the attribute name of a name id.
func (r Record) name(id uint64) string {
	if id < uint64(len(r.names)) {
		return r.names[id]
	}
	return ""
}

// Size is the item's size as DynamoDB counts it.
func (r Record) Size() int {
	v, _ := binary.Uvarint(r.b)
	return int(v)
}

// Item decodes the record into an item.
func (r Record) Item() Item {
	rd := recordReader(r.b)
	n := rd.uvarint()
	it := make(Item, n)
	for i := uint64(0); i < n && rd.err == nil; i++ {
		name := r.name(rd.uvarint())
		it[name] = rd.decodeValue()
	}
	return it
}

// AppendJSON renders the whole item as wire JSON.
func (r Record) AppendJSON(b []byte) []byte {
	return r.appendAttrsJSON(b, nil)
}

// appendAttrsJSON renders the attributes for which keep is true (all when
// keep is nil), without decoding the others.
func (r Record) appendAttrsJSON(b []byte, keep func(string) bool) []byte {
	rd := recordReader(r.b)
	n := rd.uvarint()
	b = append(b, '{')
	first := true
	for i := uint64(0); i < n && rd.err == nil; i++ {
		name := r.name(rd.uvarint())
		if keep != nil && !keep(name) {
			rd.skipValue()
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendJSONString(b, name)
		b = append(b, ':')
		b = rd.appendValueJSON(b)
	}
	return append(b, '}')
}

// Attr decodes the top-level attribute name, or returns nil.
func (r Record) Attr(name string) *AttributeValue {
	rd := recordReader(r.b)
	n := rd.uvarint()
	for i := uint64(0); i < n && rd.err == nil; i++ {
		if r.name(rd.uvarint()) == name {
			return rd.decodeValue()
		}
		rd.skipValue()
	}
	return nil
}

// scalar returns the tag and payload of the top-level attribute name when
// it is a string, number or binary.
func (r Record) scalar(name string) (tag byte, v []byte, ok bool) {
	rd := recordReader(r.b)
	n := rd.uvarint()
	for i := uint64(0); i < n && rd.err == nil; i++ {
		if r.name(rd.uvarint()) != name {
			rd.skipValue()
			continue
		}
		switch t := rd.byte(); t {
		case tagS, tagN, tagB:
			return t, rd.bytes(), rd.err == nil
		}
		return 0, nil, false
	}
	return 0, nil, false
}
