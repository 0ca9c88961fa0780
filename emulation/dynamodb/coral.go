package dynamodb

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/mldatalake/mldatalake/emulation/awsproto"
)

// Decoding request bodies. DynamoDB's front end (Coral, in Java) reads the
// JSON body into typed members and, when a value has the wrong JSON type,
// answers SerializationException with the Java deserializer's words
// ("NUMBER_VALUE cannot be converted to String"). Requests are decoded
// with encoding/json; only when that fails is the body walked against the
// Go input type to find the offending value and word the error as Coral
// does, so that messages never show the emulator's insides.
//
// Java types: a Go string is String, bool Boolean, []byte Blob (base64),
// int64 Long unless the field's `coral:"Integer"` tag says Integer; slices
// are Lists, maps Maps, structs structures named after the API's shapes
// (or a struct field's `coral` tag, where one Go type serves two shapes).

const javaPackage = "com.amazonaws.dynamodb.v20120810."

const castMessage = "class sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl cannot be cast to class java.lang.Class (sun.reflect.generics.reflectiveObjects.ParameterizedTypeImpl and java.lang.Class are in module java.base of loader 'bootstrap')"

// shapeNames are the API shape names of input types whose Go name differs.
var shapeNames = map[reflect.Type]string{
	reflect.TypeFor[AttributeValue]():        "AttributeValue",
	reflect.TypeFor[keysAndAttributes]():     "KeysAndAttributes",
	reflect.TypeFor[putRequest]():            "PutRequest",
	reflect.TypeFor[deleteRequest]():         "DeleteRequest",
	reflect.TypeFor[provisionedThroughput](): "ProvisionedThroughput",
	reflect.TypeFor[projection]():            "Projection",
	reflect.TypeFor[streamSpecification]():   "StreamSpecification",
	reflect.TypeFor[expectedAttr]():          "ExpectedAttributeValue",
	reflect.TypeFor[legacyCondition]():       "Condition",
	reflect.TypeFor[attributeUpdate]():       "AttributeValueUpdate",
	reflect.TypeFor[transactAction]():        "TransactAction",
	reflect.TypeFor[transactWriteItem]():     "TransactWriteItem",
	reflect.TypeFor[transactGetItem]():       "TransactGetItem",
	reflect.TypeFor[gsiUpdate]():             "GlobalSecondaryIndexUpdate",
	reflect.TypeFor[ttlSpecification]():      "TimeToLiveSpecification",
	reflect.TypeFor[statementInput]():        "BatchStatementRequest",
}

func shapeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n, ok := shapeNames[t]; ok {
		return n
	}
	switch t.Kind() {
	case reflect.String:
		return "java.lang.String"
	case reflect.Struct:
		n := t.Name()
		if n == "" {
			return "Object"
		}
		return strings.ToUpper(n[:1]) + n[1:]
	}
	return t.Name()
}

// place is where a value sits, which changes some of Coral's words.
type place int

const (
	inField place = iota // a member of a structure
	inList               // an element of a list
	inMap                // a value of a map
)

// serialization is a SerializationException with Coral's message.
func serialization(msg string) error {
	return awsproto.Errorf(http.StatusBadRequest, awsproto.CodeSerialization, "%s", msg)
}

// decodeBody decodes a request body into v (a pointer to an input
// struct), with Coral's errors.
func decodeBody(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	err := json.Unmarshal(body, v)
	if err == nil {
		return nil
	}
	var raw any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if derr := dec.Decode(&raw); derr != nil {
		var se *json.SyntaxError
		if errors.As(derr, &se) {
			return serialization(fmt.Sprintf("The request body is not valid JSON: error at byte %d", se.Offset))
		}
		return serialization("The request body is not valid JSON: it ends early")
	}
	changed := false
	if msg := coralWalk(&raw, reflect.TypeOf(v), inField, "", &changed); msg != "" {
		return serialization(msg)
	}
	if changed {
		// Values Coral converts (a Boolean given as "true", an Integer as
		// 1.5) were normalized: decode the result.
		if b, merr := json.Marshal(raw); merr == nil {
			if uerr := json.Unmarshal(b, v); uerr == nil {
				return nil
			}
		}
	}
	return serialization("Unexpected value type in payload")
}

// coralWalk checks the decoded value *v against Go type t and returns
// Coral's message for the first mismatch, or "". It normalizes values
// Coral would convert and sets *changed.
func coralWalk(v *any, t reflect.Type, at place, tag string, changed *bool) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if *v == nil {
		return ""
	}
	if t == reflect.TypeFor[json.RawMessage]() || t.Kind() == reflect.Interface {
		return ""
	}
	switch x := (*v).(type) {
	case []any:
		switch {
		case t.Kind() == reflect.Slice && t.Elem().Kind() != reflect.Uint8:
			for i := range x {
				if msg := coralWalk(&x[i], t.Elem(), inList, tag, changed); msg != "" {
					return msg
				}
			}
			return ""
		case t.Kind() == reflect.Map:
			return "Unrecognized collection type java.util.Map<java.lang.String, " + mapValueName(t) + ">"
		case t.Kind() == reflect.Struct:
			name := shapeName(t)
			if tag != "" {
				name = tag
			}
			return "Unrecognized collection type class " + javaPackage + name
		case t.Kind() == reflect.Slice:
			return "Unrecognized collection type class java.nio.ByteBuffer"
		}
		return "Unrecognized collection type class java.lang." + scalarName(t, tag)
	case map[string]any:
		switch t.Kind() {
		case reflect.Map:
			for k := range x {
				e := x[k]
				if msg := coralWalk(&e, t.Elem(), inMap, "", changed); msg != "" {
					return msg
				}
				x[k] = e
			}
			return ""
		case reflect.Struct:
			for i := range t.NumField() {
				f := t.Field(i)
				name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
				if name == "" || name == "-" {
					continue
				}
				e, ok := x[name]
				if !ok {
					continue
				}
				if msg := coralWalk(&e, f.Type, inField, f.Tag.Get("coral"), changed); msg != "" {
					return msg
				}
				x[name] = e
			}
			return ""
		}
		return "Start of structure or map found where not expected"
	}
	// A scalar: string, json.Number or bool.
	switch t.Kind() {
	case reflect.String:
		switch x := (*v).(type) {
		case string:
			return ""
		case bool:
			return strings.ToUpper(boolWord(x)) + "_VALUE cannot be converted to String"
		case json.Number:
			return numberWord(x) + " cannot be converted to String"
		}
	case reflect.Bool:
		switch x := (*v).(type) {
		case bool:
			return ""
		case string:
			switch strings.ToUpper(x) {
			case "TRUE", "1", "YES":
				*v, *changed = true, true
				return ""
			case "FALSE", "0", "NO":
				*v, *changed = false, true
				return ""
			}
			return "Unexpected token received from parser"
		case json.Number:
			return numberWord(x) + " cannot be converted to Boolean"
		}
	case reflect.Int, reflect.Int32, reflect.Int64:
		name := scalarName(t, tag)
		switch x := (*v).(type) {
		case json.Number:
			if _, err := x.Int64(); err != nil {
				// Coral truncates a decimal given for an integer.
				if f, ferr := x.Float64(); ferr == nil && !math.IsInf(f, 0) && math.Abs(f) < 1<<62 {
					*v, *changed = json.Number(strconv.FormatInt(int64(math.Floor(f)), 10)), true
				}
			}
			return ""
		case string:
			return "STRING_VALUE cannot be converted to " + name
		case bool:
			return strings.ToUpper(boolWord(x)) + "_VALUE cannot be converted to " + name
		}
	case reflect.Float64:
		return ""
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			s, ok := (*v).(string)
			if !ok {
				return "only base-64-encoded strings are convertible to bytes"
			}
			if len(s)%4 != 0 {
				return "Base64 encoded length is expected a multiple of 4 bytes but found: " + itoa(len(s))
			}
			if _, err := base64.StdEncoding.Strict().DecodeString(s); err != nil {
				return "Invalid last non-pad Base64 character dectected"
			}
			return ""
		}
		if at == inMap {
			return castMessage
		}
		return "Unexpected field type"
	case reflect.Map:
		if at == inList {
			return castMessage
		}
		return "Unexpected field type"
	case reflect.Struct:
		if at == inField {
			return "Unexpected field type"
		}
		return "Unexpected value type in payload"
	}
	return ""
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}

// numberWord is how Coral names a JSON number's token.
func numberWord(n json.Number) string {
	if strings.ContainsAny(string(n), ".eE") {
		return "DECIMAL_VALUE"
	}
	return "NUMBER_VALUE"
}

// scalarName is the Java type of a scalar field.
func scalarName(t reflect.Type, tag string) string {
	switch t.Kind() {
	case reflect.String:
		return "String"
	case reflect.Bool:
		return "Boolean"
	case reflect.Int, reflect.Int32, reflect.Int64:
		if tag != "" {
			return tag
		}
		return "Long"
	}
	return "Object"
}

// mapValueName is the Java type of a map's values, as messages show it.
func mapValueName(t reflect.Type) string {
	e := t.Elem()
	for e.Kind() == reflect.Pointer {
		e = e.Elem()
	}
	switch e.Kind() {
	case reflect.String:
		return "java.lang.String"
	case reflect.Slice:
		return "java.util.List<" + javaPackage + shapeName(e.Elem()) + ">"
	}
	return javaPackage + shapeName(e)
}

// typed adapts a typed operation to an awsproto.Op, decoding the body with
// Coral's errors.
func typed[In any, Out any](fn func(context.Context, *In) (*Out, error)) awsproto.Op {
	return func(ctx context.Context, body []byte) (any, error) {
		in := new(In)
		if err := decodeBody(body, in); err != nil {
			return nil, err
		}
		out, err := fn(ctx, in)
		if err != nil {
			return nil, err
		}
		return out, nil
	}
}
