package domain

import (
	"errors"
	"fmt"
)

// Code classifies a domain error; http/ maps each code to one status.
type Code string

// The error codes. Anything not classified is Internal.
const (
	Invalid            Code = "invalid"              // the request is malformed or breaks a rule about its own content
	NotFound           Code = "not_found"            // no such thing, or the caller may not know it exists
	Conflict           Code = "conflict"             // the request clashes with the current state
	PreconditionFailed Code = "precondition_failed"  // an If-Match revision no longer holds
	Unauthorized       Code = "unauthorized"         // not signed in, or the credentials are wrong
	Forbidden          Code = "forbidden"            // signed in but not allowed
	TooManyRequests    Code = "too_many_requests"    // throttled
	Unavailable        Code = "unavailable"          // a backing service cannot be reached
	StorageFull        Code = "insufficient_storage" // the disk (or database) holding the data is full
	Internal           Code = "internal"             // a bug or an unexpected failure; never shown to users
)

// FieldError names one invalid field of a request and what is wrong with it.
// Messages never echo the field's value, which may be client data.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Error is the one error type of the domain. Message is safe to show a user
// and never contains client data. Cause, when set, is the failure behind it
// (a store's error): it is logged, never shown.
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Cause   error
}

func (e *Error) Error() string {
	if e.Cause != nil {
		return string(e.Code) + ": " + e.Message + ": " + e.Cause.Error()
	}
	return string(e.Code) + ": " + e.Message
}

// Unwrap returns the cause, so errors.Is and errors.As see through e.
func (e *Error) Unwrap() error { return e.Cause }

// Errorf returns an *Error with the given code and formatted message.
func Errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidFields returns an Invalid error listing the fields at fault.
func InvalidFields(fields ...FieldError) *Error {
	msg := "the request has invalid fields"
	if len(fields) == 1 {
		msg = fields[0].Field + ": " + fields[0].Message
	}
	return &Error{Code: Invalid, Message: msg, Fields: fields}
}

// ErrorCode returns the code of err, Internal for unclassified errors and ""
// for nil.
func ErrorCode(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}

// ErrorMessage returns the user-safe message of err; unclassified errors get a
// generic message so internals never leak.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "an internal error occurred"
}

// ErrorFields returns the field errors carried by err, if any.
func ErrorFields(err error) []FieldError {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
